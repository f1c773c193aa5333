"""Which stream messages a data directory already holds, read from its parts' own metadata.

A part the consumer writes (``day-YYYY-MM-DD.s<first>-<last>.parquet``) names in its
Parquet key-value metadata the stream (``NAME@created``) and the exact sequences whose
rows for that day it holds. The note is inside the file, so it is renamed into place
with the rows: there is no second record to fall out of step with the data.

A message is *written for a day* once; a message whose rows span two days is in two
parts, so the ledger keys on ``(table, day, seq)``.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import re
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from telcolens.dataset import part_day, part_files, table_dir
from telcolens.schema import TABLES
from telcolens.streams._messages import format_ranges, parse_ranges

log = logging.getLogger("telcolens.streams")

STREAM_KEY = b"telcolens.stream"
SEQS_KEY = b"telcolens.stream.seqs"
_RANGE = re.compile(r"\.s(\d+)-(\d+)(?:\.|$)")
# write_part's temporary name for a consumer's part: .<name>.<uuid hex>.tmp
_OUR_TMP = re.compile(r"^\.day-\d{4}-\d{2}-\d{2}\.s\d+-\d+(\.[0-9a-f]{8})?\.[0-9a-f]{32}\.tmp$")

Key = tuple[str, dt.date, int]


def part_suffix(seqs: list[int]) -> str:
    return f"s{min(seqs)}-{max(seqs)}"


def part_metadata(stream_id: str, seqs: list[int]) -> dict[str, str]:
    return {STREAM_KEY.decode(): stream_id, SEQS_KEY.decode(): format_ranges(seqs)}


class Ledger:
    """The ``(table, day, seq)`` the data directory holds, above the consumer's ack floor.

    Below the floor the server never redelivers, so nothing there needs remembering.
    """

    def __init__(self, stream_id: str) -> None:
        self.stream_id = stream_id
        self.floor = 0
        self._keys: set[Key] = set()

    def __contains__(self, key: Key) -> bool:
        return key[2] <= self.floor or key in self._keys

    def __len__(self) -> int:
        return len(self._keys)

    def add(self, table: str, day: dt.date, seqs: list[int]) -> None:
        self._keys.update((table, day, s) for s in seqs)

    def raise_floor(self, floor: int) -> None:
        """Forget what lies at or below ``floor`` (all of it acknowledged)."""
        if floor > self.floor:
            self.floor = floor
            self._keys = {k for k in self._keys if k[2] > floor}

    def scan(self, data_dir: Path, floor: int) -> int:
        """Read the notes of every stream part whose last sequence is above ``floor``,
        removing the temporary files of writes a crash cut short.

        Returns the number of parts read. A part whose footer cannot be read (a write
        torn by a power cut before its fsync: never acknowledged) is moved aside as
        ``.torn-<name>``, so its messages, redelivered, are written again.
        """
        self.floor, read = floor, 0
        for spec in TABLES.values():
            if spec.time is None:
                continue
            # What a consumer killed mid-write left (write_part's temporary name): never
            # renamed into place, so never acknowledged either.
            for tmp in table_dir(data_dir, spec).glob(".day-*.tmp"):
                if _OUR_TMP.match(tmp.name):  # not another writer's (ingest, generator)
                    tmp.unlink(missing_ok=True)
            for path in part_files(data_dir, spec):
                m = _RANGE.search(path.name)
                day = part_day(path)
                if m is None or day is None or int(m.group(2)) <= floor:
                    continue
                read += 1
                seqs = self._noted(path)
                if seqs is not None:
                    self.add(spec.name, day, [s for s in seqs if s > floor])
        return read

    def _noted(self, path: Path) -> list[int] | None:
        try:
            meta = pq.read_schema(path).metadata or {}
        except (pa.ArrowInvalid, OSError) as exc:
            aside = path.with_name(f".torn-{path.name}")
            log.warning("stream part %s unreadable (%s); moved aside to %s", path, exc, aside)
            os.replace(path, aside)
            return None
        if meta.get(STREAM_KEY, b"").decode() != self.stream_id:
            return []  # another stream's (or an earlier incarnation's) part
        return parse_ranges(meta.get(SEQS_KEY, b"").decode())
