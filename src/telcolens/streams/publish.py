"""Publishing records onto the stream: raw input rows as Arrow IPC messages.

Mediation (or the alarm receivers) publishes in production; ``telcolens stream publish``
stands in for it by replaying a CSV/Parquet input file, or a synthetic province's records
with their raw numbers put back from ``truth/numbers.parquet``.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
import time
from collections.abc import Callable, Coroutine, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import nats.errors
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcolens.dataset import TRUTH_DIR, part_files
from telcolens.errors import BadInput
from telcolens.schema import Table
from telcolens.streams._messages import MSG_ID, ROWS, message_id, messages, streamed_table
from telcolens.streams.jetstream import StreamNames, StreamUnavailable, connect, ensure_stream

ROWS_PER_MESSAGE = 5_000
# Publishes awaiting their PubAck at once: enough to keep the link busy.
WINDOW = 64

T = TypeVar("T")


@dataclass
class PublishReport:
    """What one publish call sent: messages, rows, and how many the stream had already."""

    messages: int = 0
    rows: int = 0
    duplicates: int = 0
    seconds: float = 0.0


async def publish_batches(
    nc: Any,
    names: StreamNames,
    table: str,
    batches: Iterable[pa.RecordBatch],
    *,
    rows_per_message: int = ROWS_PER_MESSAGE,
    rate: float | None = None,
    on_sent: Callable[[PublishReport], None] | None = None,
) -> PublishReport:
    """Publish input-schema rows of ``table`` on ``<prefix>.<table>``; waits for every PubAck.

    ``rate`` paces the rows per second (a steady feed); ``on_sent`` is called after each
    window of acknowledged messages. Raises StreamUnavailable if the stream refuses one.
    """
    spec = streamed_table(table)
    js = nc.jetstream()
    await ensure_stream(js, names)
    report, started = PublishReport(), time.monotonic()
    subject, pending = names.subject(spec.name), []
    for payload, rows in messages(spec, batches, rows_per_message, nc.max_payload):
        headers = {MSG_ID: message_id(spec.name, payload), ROWS: str(rows)}
        pending.append(await js.publish_async(subject, payload, headers=headers))
        report.messages += 1
        report.rows += rows
        if len(pending) >= WINDOW:
            await _settle(pending, report)
            if on_sent:
                on_sent(report)
        if rate:
            ahead = report.rows / rate - (time.monotonic() - started)
            if ahead > 0:
                await asyncio.sleep(ahead)
    await _settle(pending, report)
    report.seconds = time.monotonic() - started
    if on_sent:
        on_sent(report)
    return report


async def _settle(pending: list[asyncio.Future], report: PublishReport) -> None:
    try:
        acks = await asyncio.gather(*pending)
    except (nats.errors.Error, TimeoutError) as exc:
        raise StreamUnavailable(f"publishing failed: {exc!r}") from None
    report.duplicates += sum(1 for a in acks if a.duplicate)
    pending.clear()


def file_batches(path: Path, table: str) -> Iterator[pa.RecordBatch]:
    """A CSV/Parquet input file's rows, checked as ``telcolens ingest`` checks them."""
    from telcolens.ingest._load import checked_batches

    return checked_batches(Path(path), streamed_table(table))


def province_batches(
    data_dir: Path, table: str, days: Iterable[dt.date] | None = None
) -> Iterator[pa.RecordBatch]:
    """A province's stored records of ``table`` as raw input rows, part by part, in time order.

    Numbers come back from ``truth/numbers.parquet`` (synthetic numbers, no real person's);
    other identifiers (IMEIs) are not kept there and are sent empty.
    """
    spec = streamed_table(table)
    numbers = _numbers(Path(data_dir))
    wanted = None if days is None else pa.array(sorted(set(days)), pa.date32())
    for path in part_files(data_dir, spec):
        data = pq.read_table(path, schema=spec.arrow_schema())
        if wanted is not None:  # by the records' own time: parts may predate day names
            data = data.filter(pc.is_in(pc.cast(data[spec.time], pa.date32()), wanted))
        data = data.sort_by(spec.time)
        yield from as_input(spec, data, numbers).to_batches(max_chunksize=1_000_000)


def as_input(spec: Table, data: pa.Table, numbers: pa.Table) -> pa.Table:
    """Stored rows with each pseudonymised number replaced by its raw form."""
    ids, raw = numbers["subscriber_id"], numbers["number"]
    arrays = []
    for c in spec.columns:
        column = data[c.name]
        if c.pseudonym == "number":
            index = pc.index_in(column, value_set=ids)
            if index.null_count > column.null_count:
                raise BadInput(f"{spec.name}.{c.name}: pseudonyms missing from numbers.parquet")
            column = pc.take(raw, index)
        elif c.pseudonym:
            if not c.nullable:
                raise BadInput(f"{spec.name}.{c.name}: raw {c.pseudonym} values are not kept")
            column = pa.nulls(len(data), pa.string())
        arrays.append(column)
    return pa.Table.from_arrays(arrays, schema=spec.input_schema())


def _numbers(data_dir: Path) -> pa.Table:
    path = data_dir / TRUTH_DIR / "numbers.parquet"
    if not path.is_file():
        raise BadInput(
            f"{path} is missing: replaying a data directory needs a synthetic province's "
            "raw numbers (telcolens generate); publish an input file instead"
        )
    return pq.read_table(path, columns=["subscriber_id", "number"])


class SyncPublisher:
    """Publishes from ordinary threads: its own event loop and connection on a thread.

    For callers that are not asyncio code (the alarm sink's flushing thread).
    """

    def __init__(self, url: str | None = None, names: StreamNames | None = None) -> None:
        self.names = names or StreamNames.from_settings()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="nats", daemon=True)
        self._thread.start()
        try:
            self._nc = self._run(connect(url))
            self._run(ensure_stream(self._nc.jetstream(), self.names))
        except BaseException:
            self._stop()
            raise

    def publish(self, table: str, data: pa.Table) -> PublishReport:
        """Publish ``data`` (input-schema rows of ``table``); returns once stored."""
        return self._run(publish_batches(self._nc, self.names, table, data.to_batches()))

    def close(self) -> None:
        try:
            self._run(self._nc.drain())
        finally:
            self._stop()

    def _run(self, coro: Coroutine[Any, Any, T]) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result()

    def _stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join()
        self._loop.close()
