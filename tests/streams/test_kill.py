"""Exactly-once under SIGKILL: a consumer killed at each point of a batch, then restarted,
leaves every published record in the data directory exactly once."""

from __future__ import annotations

import datetime as dt
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from telcolens.dataset import part_files, read_table
from telcolens.streams import consume
from tests.streams.helpers import expected_voice, publish, same_rows

CRASH = Path(__file__).with_name("_crash.py")
DAYS = [dt.date(2026, 11, 2), dt.date(2026, 11, 3)]


@pytest.mark.parametrize(
    ("point", "nth"),
    [
        ("fetched", 1),  # the first batch: nothing is written yet
        ("fetched", 3),  # a later batch, after two were written and acknowledged
        ("renaming", 1),  # the first part about to be renamed into place
        # The 5th rename: the second part of the batch spanning midnight, whose first part
        # (the day before, with half of one message) is in place already.
        ("renaming", 5),
        ("renamed", 2),  # parts in place and fsynced, their messages not acknowledged
        ("acked", 2),  # acknowledged, the next batch not begun
    ],
)
def test_killed_and_restarted_consumer_stores_each_record_once(
    province: Path, names, tmp_path: Path, point: str, nth: int
):
    # 65,768 records in 28 messages of 2,500 rows: batches of 4 messages; message 14 holds
    # the end of the first day and the start of the second, so batch 4 writes two parts.
    publish(names, province, days=DAYS, rows_per_message=2_500)
    args = [str(tmp_path), names.stream, names.prefix, names.consumer, point, str(nth)]
    killed = subprocess.run([sys.executable, str(CRASH), *args], capture_output=True, timeout=120)
    assert killed.returncode == -signal.SIGKILL, killed.stderr.decode()[-2000:]
    before = read_table(tmp_path, "voice").num_rows

    # The restart waits out ack_wait for the unacknowledged messages to come again.
    report = consume(tmp_path, names=names, max_wait=3.0, ack_wait=1.0, once=True)

    want = expected_voice(province, DAYS)
    assert same_rows(read_table(tmp_path, "voice"), want)
    assert before + report.rows == want.num_rows
    if point == "renamed":
        assert report.redelivered > 0  # written before the kill, delivered again, skipped
    # The temporary file a kill mid-write leaves is removed by the restart.
    assert sorted(p.name[:4] for p in (tmp_path / "voice").iterdir()) == ["day-"] * len(
        part_files(tmp_path, "voice")
    )
