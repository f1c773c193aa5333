"""The stream intake: micro-batches of messages into day parts, with exactly-once effect.

One batch is: fetch messages (up to ``batch_rows`` rows or ``max_wait`` seconds), check
and pseudonymise their rows, group them by (table, record day), write each group as a
part ``day-YYYY-MM-DD.s<first>-<last>`` whose metadata lists its messages' sequences,
fsync the parts and their folders, and only then acknowledge the messages.

Why each crash is safe (docs/streams.md has the long form):

- before a part is renamed into place: nothing is visible and nothing acknowledged; the
  server redelivers every message and they are written then;
- after some or all renames, before the acks: the parts on disk say which (day, message)
  they hold; on restart :class:`~telcolens.streams._ledger.Ledger` reads that, and a
  redelivered message is acknowledged without writing what is already there;
- after the acks: the messages are not redelivered.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import fcntl
import logging
import os
import time
import uuid
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc

from telcolens.dataset import day_part, table_dir, write_part
from telcolens.errors import BadInput, Conflict
from telcolens.privacy import mask
from telcolens.schema import TABLES, Table
from telcolens.streams._ledger import Ledger, part_metadata, part_suffix
from telcolens.streams._messages import decode
from telcolens.streams._rows import Pseudonymiser, check
from telcolens.streams.jetstream import ACK_WAIT_S, Delivery, PullSource, StreamNames

log = logging.getLogger("telcolens.streams")

# How often the consumer asks the server for its ack floor, to forget old sequences.
FLOOR_EVERY_S = 10.0
_EPOCH = dt.date(1970, 1, 1)


@dataclass
class BatchReport:
    """One micro-batch: messages fetched, rows and parts written, messages skipped."""

    messages: int = 0
    rows: int = 0
    parts: int = 0
    redelivered: int = 0  # messages already in the data directory, acknowledged only
    rejected: int = 0  # messages whose rows fail the checks, terminated
    seconds: float = 0.0
    tables: tuple[str, ...] = ()  # the tables rows were written to


@dataclass
class ConsumeReport(BatchReport):
    """Totals over a run."""

    batches: int = 0

    def add(self, batch: BatchReport) -> None:
        self.batches += 1
        for name in ("messages", "rows", "parts", "redelivered", "rejected", "seconds"):
            setattr(self, name, getattr(self, name) + getattr(batch, name))


@dataclass
class Group:
    """The rows of one table and record day in a batch, and the messages they came from."""

    spec: Table
    day: dt.date
    seqs: list[int]
    data: pa.Table


@dataclass
class _Prepared:
    groups: list[Group] = field(default_factory=list)
    rejected: list[tuple[Delivery, str]] = field(default_factory=list)
    redelivered: int = 0
    others: int = 0


class Consumer:
    """Reads ``source`` into ``data_dir``, one :meth:`step` (micro-batch) at a time."""

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        source: PullSource,
        *,
        batch_rows: int = 200_000,
        max_wait: float = 1.0,
        tables: Collection[str] | None = None,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.source = source
        self.batch_rows = batch_rows
        self.max_wait = max_wait
        # The tables this consumer writes (default: every streamed one). Messages of the
        # others are another consumer's (the fault follower's alarms): acknowledged for
        # this consumer only, never written by it.
        streamed = [n for n, spec in TABLES.items() if spec.time is not None]
        self.tables = frozenset(streamed if tables is None else tables)
        unknown = self.tables - set(streamed)
        if unknown:
            raise BadInput(f"not streamed tables: {', '.join(sorted(unknown))}")
        self.ledger = Ledger(source.stream_id)
        self.pseudonymiser = Pseudonymiser()
        self._locks: list[int] = []
        self._floor_at = 0.0

    async def start(self) -> None:
        """Take the data directory's consumer lock and read what its parts hold."""
        self.data_dir.mkdir(parents=True, exist_ok=True)
        # One writer per table: a lock for each table this consumer writes.
        for table in sorted(self.tables):
            fd = os.open(self.data_dir / f".stream-{table}.lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                os.close(fd)
                self.close()
                raise Conflict(
                    f"another stream consumer is writing {table} into {self.data_dir}"
                ) from None
            self._locks.append(fd)
        floor = await self.source.ack_floor()
        await asyncio.to_thread(self.ledger.scan, self.data_dir, floor)
        self._floor_at = time.monotonic()

    def close(self) -> None:
        while self._locks:
            os.close(self._locks.pop())

    async def step(self) -> BatchReport | None:
        """One micro-batch; None when no message came within ``max_wait``."""
        started = time.monotonic()
        deliveries = await self._fetch()
        if not deliveries:
            await self._refresh_floor()
            return None
        prepared = await asyncio.to_thread(self._prepare, deliveries)
        await asyncio.to_thread(self._write, prepared.groups)
        for group in prepared.groups:
            self.ledger.add(group.spec.name, group.day, group.seqs)
        await self._acknowledge(deliveries, prepared.rejected)
        await self._refresh_floor()
        return BatchReport(
            messages=len(deliveries),
            rows=sum(g.data.num_rows for g in prepared.groups),
            parts=len(prepared.groups),
            redelivered=prepared.redelivered,
            rejected=len(prepared.rejected),
            seconds=time.monotonic() - started,
            tables=tuple(sorted({g.spec.name for g in prepared.groups})),
        )

    async def _fetch(self) -> list[Delivery]:
        return await self.source.fetch(self.batch_rows, self.max_wait)

    def _prepare(self, deliveries: list[Delivery]) -> _Prepared:
        prepared = _Prepared()
        by_table: dict[str, list[Delivery]] = {}
        for d in deliveries:
            spec = TABLES.get(d.table)
            if spec is None or spec.time is None:
                prepared.rejected.append((d, f"subject of no streamed table ({d.table!r})"))
                continue
            if d.table not in self.tables:
                prepared.others += 1  # acknowledged below, written by its own consumer
                continue
            by_table.setdefault(d.table, []).append(d)
        for name, ds in by_table.items():
            self._prepare_table(TABLES[name], ds, prepared)
        return prepared

    def _prepare_table(self, spec: Table, deliveries: list[Delivery], out: _Prepared) -> None:
        parts, seqs = [], []
        for d in deliveries:
            data, reason = check(decode(d.payload), spec)
            if data is None:
                out.rejected.append((d, reason or ""))
                continue
            parts.append(data)
            seqs.append(np.full(data.num_rows, d.seq, np.int64))
        if not parts:
            return
        stored = self.pseudonymiser.stored(pa.concat_tables(parts), spec)
        days = pc.cast(stored[spec.time], pa.date32()).to_numpy().astype(np.int64)
        seq = np.concatenate(seqs)
        keep = np.ones(len(seq), bool)
        for d in deliveries:
            had = [k for k in np.unique(days[seq == d.seq]) if self._held(spec, k, d.seq)]
            if had:
                keep &= ~((seq == d.seq) & np.isin(days, had))
                out.redelivered += not keep[seq == d.seq].any()
        for k in np.unique(days[keep]):
            rows = keep & (days == k)
            out.groups.append(
                Group(spec, _day(k), np.unique(seq[rows]).tolist(), stored.filter(pa.array(rows)))
            )

    def _held(self, spec: Table, day: int, seq: int) -> bool:
        return (spec.name, _day(day), seq) in self.ledger

    def _write(self, groups: list[Group]) -> list[Path]:
        """Write each group as a part, then make the parts and their folders durable."""
        paths = []
        for g in groups:
            name = day_part(g.day, part_suffix(g.seqs))
            if (table_dir(self.data_dir, g.spec) / f"{name}.parquet").exists():
                # Only an earlier incarnation of the stream (its sequences restarted at 1)
                # can have used this name; never replace its rows.
                name = f"{name}.{uuid.uuid4().hex[:8]}"
            meta = part_metadata(self.source.stream_id, g.seqs)
            paths.append(write_part(self.data_dir, g.spec, g.data, name, metadata=meta))
        for path in paths:
            _fsync(path)
        for folder in {p.parent for p in paths}:
            _fsync(folder)
        return paths

    async def _acknowledge(
        self, deliveries: list[Delivery], rejected: list[tuple[Delivery, str]]
    ) -> None:
        bad = {d.seq for d, _ in rejected}
        for d, reason in rejected:
            # mask(): a reason may quote a value; a subscriber's number must not reach a log.
            log.warning("stream message %s (%s) rejected: %s", d.seq, d.table, mask(reason))
            await self.source.reject(d)
        await self.source.ack([d for d in deliveries if d.seq not in bad])

    async def _refresh_floor(self) -> None:
        if time.monotonic() - self._floor_at >= FLOOR_EVERY_S:
            self.ledger.raise_floor(await self.source.ack_floor())
            self._floor_at = time.monotonic()


def _day(days_since_epoch: int) -> dt.date:
    return _EPOCH + dt.timedelta(days=int(days_since_epoch))


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


async def run_consumer(
    data_dir: str | os.PathLike[str],
    *,
    url: str | None = None,
    names: StreamNames | None = None,
    batch_rows: int = 200_000,
    max_wait: float = 1.0,
    once: bool = False,
    ack_wait: float = ACK_WAIT_S,
    on_batch: Callable[[BatchReport, ConsumeReport], None] | None = None,
    stop: asyncio.Event | None = None,
    tables: Collection[str] | None = None,
) -> ConsumeReport:
    """Consume the stream into ``data_dir`` until ``stop`` is set (or, with ``once``, until
    a fetch finds nothing). ``on_batch`` is told each batch and the totals so far;
    ``ack_wait`` is :meth:`PullSource.open`'s. ``tables`` limits what this consumer writes
    (its durable consumer, ``names.consumer``, must be its own: a follower's)."""
    names = names or StreamNames.from_settings()
    only = next(iter(tables)) if tables is not None and len(tables) == 1 else None
    source = await PullSource.open(
        url, names, ack_wait=ack_wait, subject=names.subject(only) if only else None
    )
    consumer = Consumer(data_dir, source, batch_rows=batch_rows, max_wait=max_wait, tables=tables)
    total, stop = ConsumeReport(), stop or asyncio.Event()
    try:
        await consumer.start()
        while not stop.is_set():
            batch = await consumer.step()
            if batch is None:
                if once:
                    break
                continue
            total.add(batch)
            if on_batch:
                on_batch(batch, total)
    finally:
        consumer.close()
        await source.close()
    return total


def consume(data_dir: str | os.PathLike[str], **options) -> ConsumeReport:
    """:func:`run_consumer` for callers that are not asyncio code."""
    return asyncio.run(run_consumer(data_dir, **options))
