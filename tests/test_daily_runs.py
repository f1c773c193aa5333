"""Day runs: every capability for an as-of day, idempotent, blind to later days, reloadable."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from typer.testing import CliRunner

from telcolens import runs
from telcolens.cli import app
from telcolens.dataset import part_day
from telcolens.engine import connect
from telcolens.errors import BadInput
from telcolens.simulate import generate_province

START = dt.date(2026, 11, 2)  # the generator's first day
DAYS = 9


@pytest.fixture(scope="module")
def week(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A province of nine record days (2026-11-02 .. 2026-11-10)."""
    out = tmp_path_factory.mktemp("week") / "data"
    generate_province(out, subscribers=2000, days=DAYS, seed=4, progress=False)
    return out


def _cut(data: Path, before: dt.date, to: Path) -> Path:
    """A copy of ``data`` without the record days from ``before`` on (as it was then)."""
    shutil.copytree(data, to, ignore=shutil.ignore_patterns("_partials"))
    for f in to.rglob("*.parquet"):
        if (day := part_day(f)) is not None and day >= before:
            f.unlink()
    return to


def _frames(folder: Path) -> dict[str, pd.DataFrame]:
    files = ["antifraud/fraud_list.csv", "antifraud/victim_warnings.csv", "faults/incidents.csv"]
    frames = {name: pd.read_csv(folder / name) for name in files}
    with sqlite3.connect(folder / "itinerary" / "visits.sqlite") as con:
        frames["itinerary/visits"] = pd.read_sql(
            "SELECT * FROM visits ORDER BY subscriber_id, city", con
        )
    return frames


def test_a_past_day_runs_again_as_it_ran(week: Path, tmp_path: Path) -> None:
    """Records arriving later never change an earlier day's results."""
    as_of = START + dt.timedelta(days=6)
    steps = runs.day_steps()
    then = runs.run_day(
        _cut(week, as_of, tmp_path / "then"), tmp_path / "a", as_of, connect(), steps=steps
    )
    now = runs.run_day(week, tmp_path / "b", as_of, connect(), steps=steps)
    assert then.summary == now.summary
    for name, frame in _frames(then.folder).items():
        pd.testing.assert_frame_equal(frame, _frames(now.folder)[name], obj=name)
    assert (now.folder / runs.SUCCESS).is_file()
    assert {p.name for p in now.folder.iterdir()} == {
        "profile",
        "antifraud",
        "faults",
        "broadband",
        "itinerary",
        "_SUCCESS",
    }


def test_the_daily_command_backfills_and_reloads_one_day(week: Path, tmp_path: Path) -> None:
    out, db = tmp_path / "runs", tmp_path / "store.db"
    base = ["daily", "--data", str(week), "--out", str(out), "--database-url", f"sqlite:///{db}"]
    result = CliRunner().invoke(
        app, [*base, "--from", "2026-11-08", "--to", "2026-11-10", "--load", "--no-purge"]
    )
    assert result.exit_code == 0, result.output
    assert runs.completed(out) == [dt.date(2026, 11, d) for d in (8, 9, 10)]
    engine = sa.create_engine(f"sqlite:///{db}")
    query = "SELECT as_of, count(*) FROM victim_warnings GROUP BY as_of ORDER BY as_of"
    with engine.connect() as conn:
        before = conn.execute(sa.text(query)).all()
        runs_before = conn.execute(sa.text("SELECT as_of, digest FROM antifraud_runs")).all()
    # Running one day again replaces that day only: the same rows, one run per day.
    again = CliRunner().invoke(app, [*base, "--as-of", "2026-11-09", "--load", "--no-purge"])
    assert again.exit_code == 0, again.output
    with engine.connect() as conn:
        assert conn.execute(sa.text(query)).all() == before
        assert sorted(conn.execute(sa.text("SELECT as_of, digest FROM antifraud_runs")).all()) == (
            sorted(runs_before)
        )
        assert conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar() > 0
    engine.dispose()


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--as-of", "2026-11-09", "--from", "2026-11-08", "--to", "2026-11-09"], "not both"),
        (["--from", "2026-11-08"], "both --from and --to"),
        (["--from", "2026-11-09", "--to", "2026-11-08"], "is after"),
        (["--as-of", "2026-11-09", "--only", "nothing"], "no day step for nothing"),
        (["--as-of", "2026-11-09", "--with", "antifraud.model"], "NAME.KEY=VALUE"),
        (["--as-of", "2026-11-09", "--with", "antifraud.colour=red"], "no day option colour"),
        (["--as-of", "2026-10-01"], "no voice records in the 7 days before 2026-10-01"),
    ],
)
def test_bad_day_runs_are_clear_errors(
    week: Path, tmp_path: Path, args: list[str], message: str
) -> None:
    base = ["daily", "--data", str(week), "--out", str(tmp_path / "runs"), "--no-purge"]
    result = CliRunner().invoke(app, [*base, *args])
    assert result.exit_code != 0
    assert message in result.output, result.output


def test_options_name_a_capability_and_a_key() -> None:
    assert runs.parse_options(["antifraud.model=m", "antifraud.rules=r.yaml"], ["antifraud"]) == {
        "antifraud": {"model": "m", "rules": "r.yaml"}
    }
    with pytest.raises(BadInput, match="no capability 'fraud'"):
        runs.parse_options(["fraud.model=m"], ["antifraud"])
