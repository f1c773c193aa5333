"""The Parquet sink: batches in the alarms table, clears matched to their raises."""

from __future__ import annotations

import time
from datetime import datetime, timedelta
from pathlib import Path

import pytest

from telcolens.dataset import part_files, read_table
from telcolens.faults.receivers import Alarm, ParquetSink

T0 = datetime(2026, 11, 24, 8, 0, 0)


def raised(ne: str, kind: str = "LOS", severity: str = "major", at: datetime = T0) -> Alarm:
    return Alarm(ne, kind, severity, "syslog", raised_at=at, text=f"{kind} on {ne}")


def cleared(ne: str, kind: str = "LOS", at: datetime = T0 + timedelta(minutes=5)) -> Alarm:
    return Alarm(ne, kind, "indeterminate", "syslog", cleared_at=at)


def test_alarm_needs_a_time_and_an_x733_severity():
    with pytest.raises(ValueError, match="raised_at or cleared_at"):
        Alarm("ne", "LOS", "major", "snmp")
    with pytest.raises(ValueError, match="severity"):
        Alarm("ne", "LOS", "fatal", "snmp", raised_at=T0)


def test_flushes_every_n_rows_and_on_close(tmp_path: Path):
    sink = ParquetSink(tmp_path, max_rows=2, max_seconds=3600).start()
    for i in range(5):
        sink(raised(f"ne-{i}"))
    deadline = time.monotonic() + 10
    while sink.written < 4 and time.monotonic() < deadline:
        time.sleep(0.01)
    assert sink.written >= 4 and len(part_files(tmp_path, "alarms")) >= 1
    sink.close()
    table = read_table(tmp_path, "alarms")
    assert sorted(table["ne_id"].to_pylist()) == [f"ne-{i}" for i in range(5)]
    assert sink.pending == 0 and sink.written == 5


def test_flushes_after_t_seconds(tmp_path: Path):
    with ParquetSink(tmp_path, max_rows=1000, max_seconds=0.1) as sink:
        sink(raised("ne-1"))
        deadline = time.monotonic() + 10
        while sink.written == 0 and time.monotonic() < deadline:
            time.sleep(0.01)
        assert sink.written == 1


def test_clear_reuses_the_raise_id_time_and_severity(tmp_path: Path):
    with ParquetSink(tmp_path) as sink:
        sink(raised("ne-1", severity="critical"))
        sink(raised("ne-2"))
        sink(cleared("ne-1"))
        sink(cleared("ne-9"))  # its raise was never seen
    rows = read_table(tmp_path, "alarms").to_pylist()
    by_ne = {}
    for row in rows:
        by_ne.setdefault(row["ne_id"], []).append(row)
    (raise_row, clear_row) = by_ne["ne-1"]
    assert clear_row["alarm_id"] == raise_row["alarm_id"]
    assert (clear_row["raised_at"], clear_row["cleared_at"]) == (T0, T0 + timedelta(minutes=5))
    assert clear_row["severity"] == "critical" and raise_row["cleared_at"] is None
    (orphan,) = by_ne["ne-9"]
    assert orphan["raised_at"] == orphan["cleared_at"] == T0 + timedelta(minutes=5)
    assert len({r["alarm_id"] for r in rows}) == 3


def test_failed_write_keeps_rows_for_the_next_flush(tmp_path: Path):
    blocked = tmp_path / "data"
    blocked.write_text("a file where the directory should be")
    sink = ParquetSink(blocked)
    sink(raised("ne-1"))
    assert sink.flush() == 0 and sink.pending == 1
    blocked.unlink()
    assert sink.flush() == 1 and read_table(blocked, "alarms").num_rows == 1


def test_a_batch_across_midnight_lands_in_a_part_per_record_day(tmp_path: Path):
    from telcolens.dataset import part_day

    late, early = datetime(2026, 11, 24, 23, 59, 58), datetime(2026, 11, 25, 0, 0, 1)
    with ParquetSink(tmp_path, max_rows=1000, max_seconds=3600) as sink:
        sink(raised("ne-1", at=late))
        sink(raised("ne-2", at=early))
    parts = part_files(tmp_path, "alarms")
    assert [part_day(p) for p in parts] == [late.date(), early.date()]
    assert [read_table(tmp_path, "alarms").num_rows] == [2]
