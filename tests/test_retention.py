"""Retention: a purge deletes whole record days past each table's keep, and nothing else."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from typer.testing import CliRunner

from telcolens import retention
from telcolens.cli_daily import register
from telcolens.dataset import day_part, table_days, write_part
from telcolens.errors import BadInput
from telcolens.schema import TABLES
from telcolens.settings import get_settings

AS_OF = dt.date(2026, 12, 1)


def _province(root: Path, days: int = 40) -> Path:
    """A data directory with one part per record day of location and voice, plus references."""
    for table in ("location_events", "voice"):
        for back in range(1, days + 1):
            day = AS_OF - dt.timedelta(days=back)
            write_part(root, TABLES[table], TABLES[table].empty(), day_part(day))
        # A second writer's part of the oldest day (the stream consumer's): goes too.
        oldest = AS_OF - dt.timedelta(days=days)
        write_part(root, TABLES[table], TABLES[table].empty(), day_part(oldest, "s1-9"))
    write_part(root, TABLES["subscribers"], TABLES["subscribers"].empty(), "part-000")
    write_part(root, TABLES["voice"], TABLES["voice"].empty(), "ingest-0001")  # undated
    partials = root / retention.PARTIALS_DIR / "voice" / "calls_per_pair"
    partials.mkdir(parents=True)
    for back in (3, 200):
        (partials / f"{day_part(AS_OF - dt.timedelta(days=back))}.parquet").write_bytes(b"x")
    return root


def test_location_records_keep_14_days_by_default(tmp_path: Path) -> None:
    data = _province(tmp_path)
    report = retention.purge(data, AS_OF, days={})
    left = table_days(data, "location_events")
    assert left[0] == AS_OF - dt.timedelta(days=14) and left[-1] == AS_OF - dt.timedelta(days=1)
    assert len(left) == 14
    assert len(report.files["location_events"]) == 40 - 14 + 1  # with the stream part
    # Voice keeps 180 days: none of its 40 days goes, but its 200-day-old partial does.
    assert len(table_days(data, "voice")) == 40
    assert [p.name for p in report.files["voice"]] == [
        f"{day_part(AS_OF - dt.timedelta(days=200))}.parquet"
    ]
    assert (data / "voice" / "ingest-0001.parquet").exists()  # undated: never touched
    assert (data / "subscribers" / "part-000.parquet").exists()


def test_a_configured_retention_and_a_dry_run(tmp_path: Path) -> None:
    data = _province(tmp_path)
    before = sorted(data.rglob("*.parquet"))
    dry = retention.purge(data, AS_OF, days={"voice": 7}, dry_run=True)
    assert sorted(data.rglob("*.parquet")) == before  # nothing deleted
    assert len(dry.files["voice"]) == 40 - 7 + 1 + 1  # days, the stream part, the partial
    done = retention.purge(data, AS_OF, days={"voice": 7})
    assert done.count == dry.count and done.bytes == dry.bytes
    assert table_days(data, "voice") == [AS_OF - dt.timedelta(days=d) for d in range(7, 0, -1)]
    assert all(not f.exists() for f in dry.files["voice"])


def test_bad_retention_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="not a dated table"):
        retention.purge(tmp_path, AS_OF, days={"subscribers": 3})
    with pytest.raises(BadInput, match="whole number of days"):
        retention.purge(tmp_path, AS_OF, days={"voice": 0})
    with pytest.raises(BadInput, match="not a data directory"):
        retention.purge(tmp_path / "missing", AS_OF, days={})


def test_the_purge_command_reads_the_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import typer

    data = _province(tmp_path)
    monkeypatch.setenv("TELCOLENS_RETENTION_DAYS", "location_events=3")
    get_settings.cache_clear()
    app = typer.Typer()
    register(app)

    @app.callback()
    def _root() -> None:
        pass

    try:
        result = CliRunner().invoke(
            app, ["purge", "--data", str(data), "--as-of", AS_OF.isoformat()]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code == 0, result.output
    assert len(table_days(data, "location_events")) == 3
    assert "files" in result.output
    bad = CliRunner().invoke(app, ["purge", "--data", str(data), "--as-of", "1 Dec"])
    assert bad.exit_code == 2 and "1 Dec" in bad.output
