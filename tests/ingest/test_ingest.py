"""Good files round-trip into the store; re-runs change nothing; failures change nothing."""

from __future__ import annotations

import gzip
import io
import json
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from telcolens import dataset
from telcolens.ingest import IngestReport, _csv, _store, ingest_files, validate_files
from telcolens.privacy import pseudonymise
from telcolens.schema import SUBSCRIBERS, VOICE
from tests.ingest.helpers import (
    RAW_CALLEE,
    RAW_CALLER,
    RAW_IMEI,
    VOICE_HEADER,
    good_voice_csv,
    tree_digest,
    voice_input_table,
    voice_row,
    write_csv,
    write_parquet,
)


def _stored_parts(data: Path, table: str = "voice") -> list[Path]:
    return dataset.part_files(data, table)


def test_csv_round_trip_pseudonymises_and_types_every_column(tmp_path: Path) -> None:
    lines = [
        VOICE_HEADER,
        voice_row(start_time="2024-01-01 10:00:00"),
        voice_row(start_time="2024-01-01T10:05:30", direction="MT", cell_id="", imei=""),
    ]
    path = write_csv(tmp_path / "voice.csv", lines)
    report = ingest_files(tmp_path / "data", "voice", [path])

    (entry,) = report.files
    assert (entry.path, entry.rows, entry.status) == (path, 2, "ingested")
    [part] = _stored_parts(tmp_path / "data")
    assert part.name == f"day-2024-01-01.ingest-{entry.sha256[:16]}.parquet"
    stored = pq.read_table(part)
    assert stored.schema == VOICE.arrow_schema()
    assert stored["caller"].to_pylist() == [pseudonymise(RAW_CALLER, "number")] * 2
    assert stored["callee"].to_pylist() == [pseudonymise(RAW_CALLEE, "number")] * 2
    assert stored["imei_id"].to_pylist() == [pseudonymise(RAW_IMEI, "imei"), None]
    assert stored["cell_id"].to_pylist() == [1001, None]
    assert [t.isoformat() for t in stored["start_time"].to_pylist()] == [
        "2024-01-01T10:00:00",
        "2024-01-01T10:05:30",
    ]


def test_a_file_spanning_midnight_lands_as_one_part_per_record_day(tmp_path: Path) -> None:
    lines = [
        VOICE_HEADER,
        voice_row(start_time="2024-01-02 00:00:00"),
        voice_row(start_time="2024-01-01 23:59:59"),
        voice_row(start_time="2024-01-02 08:00:00", direction="MT"),
    ]
    ingest_files(tmp_path / "data", "voice", [write_csv(tmp_path / "voice.csv", lines)])
    parts = _stored_parts(tmp_path / "data")
    assert [dataset.part_day(p).isoformat() for p in parts] == ["2024-01-01", "2024-01-02"]
    assert [pq.read_metadata(p).num_rows for p in parts] == [1, 2]
    assert dataset.table_days(tmp_path / "data", "voice") == [dataset.part_day(p) for p in parts]


def test_no_raw_identifier_reaches_the_store(tmp_path: Path) -> None:
    path = good_voice_csv(tmp_path / "voice.csv")
    data = tmp_path / "data"
    ingest_files(data, "voice", [path])
    for stored in data.rglob("*"):
        if stored.is_file():
            content = stored.read_bytes()
            assert RAW_CALLER.encode() not in content
            assert RAW_IMEI.encode() not in content


def test_parquet_round_trip(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "voice.parquet", voice_input_table(rows=5))
    report = ingest_files(tmp_path / "data", "voice", [path])
    assert report.files[0].rows == 5
    stored = dataset.read_table(tmp_path / "data", "voice")
    assert stored.schema == VOICE.arrow_schema()
    assert set(stored["callee"].to_pylist()) == {pseudonymise(RAW_CALLEE, "number")}
    assert set(stored["imei_id"].to_pylist()) == {pseudonymise(RAW_IMEI, "imei")}


def test_gzipped_csv_and_a_date_column(tmp_path: Path) -> None:
    header = ",".join(SUBSCRIBERS.input_schema().names)
    row = "+86 138-1234-5678,370102199001011234,,Jinan,370102,2024-01-05,OUT1,P58,business"
    path = tmp_path / "subscribers.csv.gz"
    path.write_bytes(gzip.compress(f"{header}\n{row}\n".encode()))
    ingest_files(tmp_path / "data", "subscribers", [path])
    stored = dataset.read_table(tmp_path / "data", "subscribers").to_pylist()[0]
    # The formatted number gets the same pseudonym as the bare one.
    assert stored["subscriber_id"] == pseudonymise(RAW_CALLER, "number")
    assert stored["id_card_id"] == pseudonymise("370102199001011234", "id_card")
    assert stored["age"] is None
    assert stored["activation_date"].isoformat() == "2024-01-05"


def test_rerun_is_reported_and_changes_nothing(tmp_path: Path) -> None:
    path = good_voice_csv(tmp_path / "voice.csv")
    data = tmp_path / "data"
    first = ingest_files(data, "voice", [path])
    before = tree_digest(data)
    again = ingest_files(data, "voice", [path])
    assert tree_digest(data) == before
    assert [(f.status, f.rows, f.sha256) for f in again.files] == [
        ("already ingested", 3, first.files[0].sha256)
    ]


def test_same_content_under_another_name_is_skipped(tmp_path: Path) -> None:
    path = good_voice_csv(tmp_path / "voice.csv")
    copy = tmp_path / "copy.csv"
    copy.write_bytes(path.read_bytes())
    data = tmp_path / "data"
    report = ingest_files(data, "voice", [path, copy])
    assert [f.status for f in report.files] == ["ingested", "already ingested"]
    assert len(_stored_parts(data)) == 1
    assert len((data / _store.LOG_NAME).read_text().splitlines()) == 1


def test_the_same_file_may_go_into_another_table_only_by_its_own_log_entry(tmp_path: Path):
    # The log is per table: a voice file's sha does not make the sms table skip anything.
    path = good_voice_csv(tmp_path / "voice.csv")
    data = tmp_path / "data"
    ingest_files(data, "voice", [path])
    assert _store.logged(data, "sms") == {}


def test_log_line_records_the_ingest_without_raw_numbers(tmp_path: Path) -> None:
    path = good_voice_csv(tmp_path / "voice.csv", rows=4)
    data = tmp_path / "data"
    report = ingest_files(data, "voice", [path])
    (line,) = (data / _store.LOG_NAME).read_text().splitlines()
    entry = json.loads(line)
    assert entry["table"] == "voice" and entry["file"] == "voice.csv" and entry["rows"] == 4
    assert entry["sha256"] == report.files[0].sha256
    assert "time" in entry
    assert RAW_CALLER not in line


def test_two_files_are_ingested_together(tmp_path: Path) -> None:
    one = good_voice_csv(tmp_path / "one.csv", minute=1)
    two = write_parquet(tmp_path / "two.parquet", voice_input_table(rows=2))
    data = tmp_path / "data"
    report = ingest_files(data, "voice", [one, two])
    assert isinstance(report, IngestReport)
    assert report.rows_ingested == 5
    assert len(_stored_parts(data)) == 2
    assert dataset.read_table(data, "voice").num_rows == 5
    assert not list(data.glob(f"{_store.STAGING_PREFIX}*"))


@pytest.fixture
def store_and_two_files(tmp_path: Path) -> tuple[Path, Path, Path]:
    data = tmp_path / "data"
    ingest_files(data, "voice", [good_voice_csv(tmp_path / "earlier.csv")])
    one = good_voice_csv(tmp_path / "one.csv", minute=1)
    two = good_voice_csv(tmp_path / "two.csv", minute=2)
    return data, one, two


def _fail_on_call(n: int, real):
    calls = []

    def wrapper(*args, **kwargs):
        calls.append(args)
        if len(calls) == n:
            raise OSError("disk full (simulated)")
        return real(*args, **kwargs)

    return wrapper


def test_failure_moving_the_second_part_undoes_the_first(store_and_two_files, monkeypatch):
    data, one, two = store_and_two_files
    before = tree_digest(data)
    monkeypatch.setattr(_store, "_move", _fail_on_call(2, _store._move))
    with pytest.raises(OSError, match="disk full"):
        ingest_files(data, "voice", [one, two])
    assert tree_digest(data) == before


def test_failure_writing_the_second_part_writes_nothing(store_and_two_files, monkeypatch):
    data, one, two = store_and_two_files
    before = tree_digest(data)
    monkeypatch.setattr(_store, "write_part", _fail_on_call(2, dataset.write_part))
    with pytest.raises(OSError, match="disk full"):
        ingest_files(data, "voice", [one, two])
    assert tree_digest(data) == before


def test_failure_appending_the_log_undoes_the_parts_and_the_log(store_and_two_files, monkeypatch):
    data, one, two = store_and_two_files
    before = tree_digest(data)
    monkeypatch.setattr(_store.os, "fsync", _fail_on_call(1, lambda fd: None))
    with pytest.raises(OSError, match="disk full"):
        ingest_files(data, "voice", [one, two])
    assert tree_digest(data) == before


def test_a_part_left_by_a_crash_before_its_log_line_is_replaced(tmp_path: Path) -> None:
    path = good_voice_csv(tmp_path / "voice.csv")
    data = tmp_path / "data"
    ingest_files(data, "voice", [path])
    (data / _store.LOG_NAME).unlink()  # as if the process died before logging
    report = ingest_files(data, "voice", [path])
    assert report.files[0].status == "ingested"
    assert dataset.read_table(data, "voice").num_rows == 3


def test_validate_files_counts_rows_and_writes_nothing(tmp_path: Path) -> None:
    one = good_voice_csv(tmp_path / "one.csv", rows=4)
    two = write_parquet(tmp_path / "two.parquet", voice_input_table(rows=2))
    before = tree_digest(tmp_path)
    assert validate_files("voice", [one, two]) == [4, 2]
    assert tree_digest(tmp_path) == before


def test_progress_is_reported_per_file_in_bytes_read(tmp_path: Path) -> None:
    path = good_voice_csv(tmp_path / "voice.csv")
    size = path.stat().st_size
    reports: list[tuple] = []
    ingest_files(tmp_path / "data", "voice", [path], progress=lambda *r: reports.append(r))
    assert reports[0] == ("voice.csv", 0, size)
    assert reports[-1] == ("voice.csv", size, size)
    assert {label for label, _, _ in reports} == {"voice.csv"}
    reports.clear()
    ingest_files(tmp_path / "data", "voice", [path], progress=lambda *r: reports.append(r))
    assert reports == [
        ("voice.csv (already ingested)", 0, 1),
        ("voice.csv (already ingested)", 1, 1),
    ]


def test_validation_reports_parquet_progress_in_rows(tmp_path: Path) -> None:
    path = write_parquet(tmp_path / "voice.parquet", voice_input_table(rows=3))
    reports: list[tuple] = []
    validate_files("voice", [path], progress=lambda *r: reports.append(r))
    assert (reports[0], reports[-1]) == (("voice.parquet", 0, 3), ("voice.parquet", 3, 3))


def test_unknown_table_is_rejected(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="unknown table 'calls'"):
        ingest_files(tmp_path / "data", "calls", [good_voice_csv(tmp_path / "v.csv")])


def test_utf8_check_is_not_fooled_by_a_character_split_across_chunks(monkeypatch) -> None:
    monkeypatch.setattr(_csv, "_SCAN_CHUNK", 4)
    text = "a,b\n1,济南\n2,青岛\n".encode()
    assert _csv.find_invalid_utf8(io.BytesIO(text)) is None
    bad = text + b"3," + "淄博".encode("gbk") + b"\n"
    line, offset, byte, field = _csv.find_invalid_utf8(io.BytesIO(bad))
    assert (line, offset, field) == (4, len(text) + 2, 1)
    assert byte == "淄".encode("gbk")[:1]


def test_concurrent_ingests_of_one_file_store_it_once(tmp_path):
    """Two processes ingesting the same file at once: one ingests, one finds it done."""
    import subprocess
    import sys

    src = good_voice_csv(tmp_path / "voice.csv", rows=2000)
    data = tmp_path / "data"
    code = (
        "import sys; from pathlib import Path; from telcolens.ingest import ingest_files; "
        "r = ingest_files(Path(sys.argv[1]), 'voice', [Path(sys.argv[2])]); "
        "print(r.files[0].status)"
    )
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", code, str(data), str(src)], stdout=subprocess.PIPE, text=True
        )
        for _ in range(2)
    ]
    statuses = sorted(p.communicate()[0].strip() for p in procs)
    assert statuses == ["already ingested", "ingested"]
    assert len(list((data / "voice").glob("*.parquet"))) == 1
    assert len((data / "_ingest_log.jsonl").read_text().splitlines()) == 1
