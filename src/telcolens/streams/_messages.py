"""What a stream message holds: Arrow IPC of raw input rows, and how sequences are noted.

A message on ``<prefix>.<table>`` is one Arrow IPC stream (LZ4-compressed buffers) of
rows in the table's *input* schema (``Table.input_schema()``): identifiers as the
network delivered them, as text, exactly what ``telcolens ingest`` reads from a file.
The consumer checks and pseudonymises them as ingest does.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Iterator

import pyarrow as pa

from telcolens.errors import BadInput
from telcolens.schema import TABLES, Table

# Headers. Nats-Msg-Id is JetStream's own: a second publish with the same id within the
# stream's duplicate window is stored once (the publisher's retry after a lost PubAck).
MSG_ID = "Nats-Msg-Id"
ROWS = "Telcolens-Rows"

_IPC_OPTIONS = pa.ipc.IpcWriteOptions(compression="lz4")


def streamed_table(name: str) -> Table:
    """The dated table ``name`` (only tables with a time column are streamed)."""
    spec = TABLES.get(name)
    if spec is None or spec.time is None:
        dated = ", ".join(t.name for t in TABLES.values() if t.time)
        raise BadInput(f"table {name!r} is not streamed; streamed tables: {dated}")
    return spec


def encode(batch: pa.RecordBatch | pa.Table) -> bytes:
    """One message's payload: ``batch`` as a compressed Arrow IPC stream."""
    sink = pa.BufferOutputStream()
    with pa.ipc.new_stream(sink, batch.schema, options=_IPC_OPTIONS) as writer:
        writer.write(batch)
    return sink.getvalue().to_pybytes()


def decode(payload: bytes) -> pa.Table:
    """The rows of one message's payload."""
    return pa.ipc.open_stream(payload).read_all()


def messages(
    table: Table, batches: Iterable[pa.RecordBatch], rows_per_message: int, max_bytes: int
) -> Iterator[tuple[bytes, int]]:
    """``(payload, rows)`` per message: ``rows_per_message`` rows, fewer if they exceed
    ``max_bytes`` (the server's max_payload)."""
    schema = table.input_schema()
    for batch in batches:
        if batch.schema != schema:
            batch = pa.RecordBatch.from_arrays(batch.columns, schema=schema)
        for start in range(0, batch.num_rows, rows_per_message):
            yield from _fitting(batch.slice(start, rows_per_message), max_bytes)


def _fitting(batch: pa.RecordBatch, max_bytes: int) -> Iterator[tuple[bytes, int]]:
    payload = encode(batch)
    if len(payload) <= max_bytes:
        yield payload, batch.num_rows
        return
    if batch.num_rows == 1:
        raise BadInput(f"one row encodes to {len(payload):,} bytes, over max_payload {max_bytes:,}")
    half = batch.num_rows // 2
    yield from _fitting(batch.slice(0, half), max_bytes)
    yield from _fitting(batch.slice(half), max_bytes)


def message_id(table: str, payload: bytes) -> str:
    """A content id: the same rows published twice (a retry) are stored once."""
    return f"{table}-{hashlib.blake2b(payload, digest_size=16).hexdigest()}"


def format_ranges(seqs: Iterable[int]) -> str:
    """Sorted sequences as ranges: ``[3, 4, 5, 9]`` -> ``"3-5,9"``."""
    out: list[str] = []
    ordered = sorted(set(seqs))
    i = 0
    while i < len(ordered):
        j = i
        while j + 1 < len(ordered) and ordered[j + 1] == ordered[j] + 1:
            j += 1
        out.append(str(ordered[i]) if i == j else f"{ordered[i]}-{ordered[j]}")
        i = j + 1
    return ",".join(out)


def parse_ranges(text: str) -> list[int]:
    """The inverse of :func:`format_ranges`."""
    seqs: list[int] = []
    for item in filter(None, text.split(",")):
        first, _, last = item.partition("-")
        seqs.extend(range(int(first), int(last or first) + 1))
    return seqs
