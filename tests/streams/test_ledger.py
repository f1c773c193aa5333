"""What the consumer reads back from its parts on start."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa

from telcolens.dataset import write_part
from telcolens.schema import TABLES
from telcolens.streams._ledger import Ledger, part_metadata

DAY = dt.date(2026, 11, 2)
VOICE = TABLES["voice"]


def _part(data_dir: Path, stream_id: str, seqs: list[int], name: str) -> None:
    write_part(data_dir, VOICE, VOICE.empty(), name, metadata=part_metadata(stream_id, seqs))


def test_the_ledger_holds_the_parts_sequences_above_the_ack_floor(tmp_path: Path):
    _part(tmp_path, "S@1", [3, 4, 5, 9], "day-2026-11-02.s3-9")
    _part(tmp_path, "S@1", [1, 2], "day-2026-11-02.s1-2")  # at or below the floor: not read
    _part(tmp_path, "S@0", [10, 11], "day-2026-11-03.s10-11")  # an earlier incarnation's
    ledger = Ledger("S@1")
    assert ledger.scan(tmp_path, floor=4) == 2
    assert ("voice", DAY, 5) in ledger and ("voice", DAY, 9) in ledger
    assert ("voice", DAY, 4) in ledger  # at the floor: acknowledged, never redelivered
    assert ("voice", DAY, 6) not in ledger
    assert ("voice", DAY + dt.timedelta(1), 10) not in ledger
    ledger.raise_floor(9)
    assert len(ledger) == 0 and ("voice", DAY, 9) in ledger


def test_a_torn_part_is_moved_aside_and_its_messages_count_as_unwritten(tmp_path: Path):
    folder = tmp_path / "voice"
    folder.mkdir()
    (folder / "day-2026-11-02.s1-3.parquet").write_bytes(b"PAR1 cut short by a power cut")
    (folder / f".day-2026-11-02.s4-4.{'0a' * 16}.tmp").write_bytes(b"half a file")
    other = f".day-2026-11-02.ingest-0123456789abcdef.{'0b' * 16}.tmp"  # ingest's, in progress
    (folder / other).write_bytes(b"being written")
    ledger = Ledger("S@1")
    ledger.scan(tmp_path, floor=0)
    assert ("voice", DAY, 1) not in ledger
    assert sorted(p.name for p in folder.iterdir()) == [
        other,
        ".torn-day-2026-11-02.s1-3.parquet",
    ]


def test_write_part_keeps_the_metadata_with_the_rows(tmp_path: Path):
    import pyarrow.parquet as pq

    path = write_part(tmp_path, VOICE, VOICE.empty(), "p", metadata={"k": "v"})
    assert pq.read_schema(path).metadata[b"k"] == b"v"
    assert pq.read_table(path).schema.equals(pa.schema(VOICE.arrow_schema()))
