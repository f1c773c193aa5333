"""Watch mode on the shared province: its last day arrives as a raw CSV file."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from telcolens import engine as engines
from telcolens.antifraud.replay import hold_back_last_day, write_raw_files
from telcolens.antifraud.watch import Watcher, read_flagged, table_for
from telcolens.cli import app
from telcolens.ingest import IngestError, ingest_files

ID = "subscriber_id"
BAD_CALLER = "1381234567a"  # a raw number with a typo: must not appear unmasked


@pytest.fixture(scope="module")
def last_day_csv(province, tmp_path_factory) -> Path:
    """The province's last day of voice records as one raw CSV, as mediation delivers it."""
    tmp = tmp_path_factory.mktemp("last-day")
    held = hold_back_last_day(province, tmp / "data")
    (path,) = write_raw_files(held, province, tmp / "outgoing", files_per_day=1)
    return path


@pytest.fixture
def site(province, tmp_path) -> dict[str, Path]:
    """A data dir holding the province without its last day of voice; inbox and out empty."""
    hold_back_last_day(province, tmp_path / "data")
    return {"inbox": tmp_path / "inbox", "data": tmp_path / "data", "out": tmp_path / "out"}


@pytest.fixture(scope="module")
def fraud(province) -> set[int]:
    return set(pd.read_parquet(province / "truth" / "fraud_numbers.parquet")[ID].tolist())


def deliver(src: Path, inbox: Path, name: str | None = None) -> Path:
    """Write under a dot-name, then rename, as a mediation system does."""
    inbox.mkdir(parents=True, exist_ok=True)
    tmp = inbox / f".{name or src.name}.part"
    shutil.copyfile(src, tmp)
    return tmp.rename(inbox / (name or src.name))


def bad_csv(inbox: Path, name: str = "voice_bad.csv") -> Path:
    tmp = inbox / f".{name}"
    tmp.write_text(
        "caller,callee,start_time,duration_s,direction,cell_id,imei\n"
        "13812345678,13987654321,2026-11-03 10:00:00,30,MO,1001,\n"
        f"{BAD_CALLER},13987654321,2026-11-03 10:00:05,30,MO,1001,\n"
    )
    return tmp.rename(inbox / name)


def flag_lines(out: Path) -> list[dict]:
    return [json.loads(line) for line in (out / "flags.jsonl").read_text().splitlines()]


def watcher(site: dict[str, Path]) -> Watcher:
    return Watcher(site["inbox"], site["data"], site["out"], con=engines.connect())


def test_a_planted_fraud_number_is_flagged_within_60_s_of_its_file(
    site, last_day_csv, fraud
) -> None:
    w = watcher(site)
    w.start()
    before = read_flagged(site["out"] / "flags.jsonl")
    deliver(last_day_csv, site["inbox"])
    outcomes = w.drain(settle=0.1)

    assert [(o.name, o.status) for o in outcomes] == [(last_day_csv.name, "ingested")]
    assert (site["inbox"] / "done" / last_day_csv.name).exists()
    new = [f for f in flag_lines(site["out"]) if f["file"] is not None]
    assert new and all(f["file"] == last_day_csv.name for f in new)
    assert not {f[ID] for f in new} & before, "a number is reported once"
    planted = [f for f in new if f[ID] in fraud]
    assert planted, "the last day's calls put a planted fraud number on the list"
    for f in planted:
        assert 0 < f["seconds_to_flag"] < 60
        assert f["reasons"].startswith("rule ")
    latest = pd.read_csv(site["out"] / "latest" / "fraud_list.csv")
    assert {f[ID] for f in new} <= set(latest[ID])


def test_a_bad_file_goes_to_failed_and_the_good_one_beside_it_is_still_flagged(
    site, last_day_csv, fraud
) -> None:
    w = watcher(site)
    w.start()
    bad = bad_csv(site["inbox"])
    deliver(last_day_csv, site["inbox"])
    outcomes = {o.name: o for o in w.drain(settle=0.1)}

    assert outcomes[bad.name].status == "failed"
    error = (site["inbox"] / "failed" / f"{bad.name}.error.txt").read_text()
    assert "line 3" in error and "caller" in error
    assert BAD_CALLER[:-1] not in error, "the raw number is masked"
    assert (site["inbox"] / "failed" / bad.name).exists()
    assert outcomes[last_day_csv.name].status == "ingested"
    assert {f[ID] for f in w.flags} & fraud
    log = (site["data"] / "_ingest_log.jsonl").read_text()
    assert last_day_csv.name in log and bad.name not in log


def test_an_unknown_table_prefix_is_refused_with_a_reason(site, last_day_csv) -> None:
    deliver(last_day_csv, site["inbox"], "data_2026110300.csv")
    (outcome,) = watcher(site).drain(settle=0.1)
    assert outcome.status == "failed"
    error = (site["inbox"] / "failed" / "data_2026110300.csv.error.txt").read_text()
    assert "unknown table prefix 'data'" in error


@pytest.mark.parametrize(
    ("name", "table"),
    [
        ("voice_2026110300.csv", "voice"),
        ("sms_2026110300.csv.gz", "sms"),
        ("data_sessions_2026110300.parquet", "data_sessions"),
        ("location_events-01.csv", "location_events"),
        ("MSC01_2026110300.csv", "voice"),
        ("2026110300.csv", "voice"),
    ],
)
def test_the_table_comes_from_the_file_name(name, table) -> None:
    assert table_for(name) == table


@pytest.mark.parametrize("name", ["data_01.csv", "location_01.csv", "subscribers_01.csv"])
def test_ambiguous_or_non_cdr_prefixes_are_refused(name) -> None:
    with pytest.raises(IngestError):
        table_for(name)


def test_half_written_and_changing_files_are_left_alone(site, last_day_csv) -> None:
    inbox = site["inbox"]
    inbox.mkdir()
    half = inbox / f".{last_day_csv.name}"
    half.write_bytes(last_day_csv.read_bytes()[:5000])  # cut mid-line, still being written
    (inbox / "voice_01.csv.tmp").write_bytes(last_day_csv.read_bytes()[:5000])
    growing = inbox / "voice_02.csv"
    lines = last_day_csv.read_text().splitlines(keepends=True)
    growing.write_text("".join(lines[:100]))
    w = watcher(site)
    assert w.poll_once() == []  # first look: seen, not yet taken
    with growing.open("a") as f:
        f.write("".join(lines[100:200]))
    assert w.poll_once() == [], "its size changed between looks"
    (taken,) = w.poll_once()
    assert (taken.name, taken.rows) == ("voice_02.csv", 199)
    assert half.exists() and (inbox / "voice_01.csv.tmp").exists()
    assert not list((inbox / "failed").iterdir())
    assert len((site["data"] / "_ingest_log.jsonl").read_text().splitlines()) == 1


def test_a_restart_carries_on_without_reporting_old_flags_again(site, last_day_csv) -> None:
    watcher(site).start()
    starting = flag_lines(site["out"])
    # A crash after the ingest but before the run: the file is ingested, still in the inbox.
    deliver(last_day_csv, site["inbox"])
    ingest_files(site["data"], "voice", [site["inbox"] / last_day_csv.name])

    (outcome,) = watcher(site).drain(settle=0.1)
    assert outcome.status == "already ingested"
    after_crash = flag_lines(site["out"])
    assert after_crash[: len(starting)] == starting
    assert len(after_crash) > len(starting), "the crashed file's flags are still reported"

    deliver(last_day_csv, site["inbox"], "voice_again.csv")  # a redelivery, new name
    w = watcher(site)
    (again,) = w.drain(settle=0.1)
    assert again.status == "already ingested"
    assert w.flags == [] and flag_lines(site["out"]) == after_crash
    assert (site["inbox"] / "done" / "voice_again.csv").exists()


def test_cli_once_processes_the_inbox_and_exits_1_when_a_file_failed(site, last_day_csv) -> None:
    deliver(last_day_csv, site["inbox"])
    bad_csv(site["inbox"])
    args = ["antifraud", "watch", "--once", "--poll", "0.1"]
    args += [f"--{k}={v}" for k, v in site.items()]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 1, result.output
    assert "1 file(s) processed, 1 failed" in result.output
    assert len(list((site["inbox"] / "done").iterdir())) == 1


def test_ctrl_c_stops_the_watcher_cleanly(tmp_path) -> None:
    cmd = [sys.executable, "-c", "from telcolens.cli import app; app()", "antifraud", "watch"]
    cmd += ["--inbox", str(tmp_path / "in"), "--data", str(tmp_path / "d")]
    cmd += ["--out", str(tmp_path / "out"), "--poll", "0.1"]
    env = {**os.environ, "COLUMNS": "200"}
    proc = subprocess.Popen(cmd, stderr=subprocess.PIPE, text=True, env=env)
    try:
        # Ctrl-C only once it watches: sent during start-up (which a loaded CI machine can
        # stretch past any short deadline) it would land in a DuckDB query, and Python runs
        # a signal handler only when the query returns.
        lines: list[str] = []
        deadline = time.monotonic() + 180
        while not any("Watching" in line for line in lines) and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line and proc.poll() is not None:
                break
            lines.append(line)
        assert any("Watching" in line for line in lines), "never watched:\n" + "".join(lines)
        proc.send_signal(signal.SIGINT)
        rest = proc.communicate(timeout=60)[1]
    finally:
        proc.kill()
    assert proc.returncode == 0, "".join(lines) + rest
    assert "Stopping" in rest and "Traceback" not in rest
