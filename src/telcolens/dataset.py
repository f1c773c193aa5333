"""The on-disk layout of a data directory, shared by the generator, ingest and engines.

::

    DIR/
      voice/day-2026-11-02.parquet   one folder per table of telcolens.schema; a dated
      voice/day-2026-11-02.s17-940.parquet   table's parts each hold one record day
      subscribers/part-000.parquet   reference tables (no time column): undated parts
      truth/                         ground truth of a synthetic province (evaluation only)
      _ingest_log.jsonl              one line per ingested file (see telcolens.ingest)

Every Parquet file under a table's folder has exactly that table's stored schema,
so DuckDB and Spark both read ``DIR/<table>/*.parquet`` as one table. Files are
written to a temporary name and renamed into place, so a reader never sees half
a file.

A dated part's name starts with ``day-YYYY-MM-DD``, the day (China Standard Time, like
the records) of every record in it; what follows a dot is the writer's own (the
generator writes ``day-2026-11-02``, the stream consumer ``day-2026-11-02.s<first>-<last>``
for the stream sequences it holds). Day runs read one day's parts, and retention
deletes whole days, by name alone.
"""

from __future__ import annotations

import datetime as dt
import os
import re
import uuid
from collections.abc import Iterable
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcolens.schema import TABLES, Table

TRUTH_DIR = "truth"
PARQUET_COMPRESSION = "zstd"


def table_dir(data_dir: str | os.PathLike[str], table: str | Table) -> Path:
    name = table.name if isinstance(table, Table) else table
    return Path(data_dir) / name


def part_files(data_dir: str | os.PathLike[str], table: str | Table) -> list[Path]:
    """The Parquet files of one table, sorted by name."""
    folder = table_dir(data_dir, table)
    return sorted(folder.glob("*.parquet")) if folder.is_dir() else []


_DAY_PART = re.compile(r"^day-(\d{4}-\d{2}-\d{2})(?:\.|$)")


def day_part(day: dt.date, suffix: str = "") -> str:
    """The part name (no extension) for records of ``day``: ``day-2026-11-02[.suffix]``."""
    return f"day-{day.isoformat()}" + (f".{suffix}" if suffix else "")


def part_day(path: str | os.PathLike[str]) -> dt.date | None:
    """The record day a part's name says it holds, or None for an undated part."""
    name = Path(path).name.removesuffix(".parquet")
    m = _DAY_PART.match(name)
    return dt.date.fromisoformat(m.group(1)) if m else None


def day_files(
    data_dir: str | os.PathLike[str], table: str | Table, days: Iterable[dt.date]
) -> list[Path]:
    """The parts of ``table`` holding records of any of ``days``, sorted by name."""
    wanted = set(days)
    return [f for f in part_files(data_dir, table) if part_day(f) in wanted]


def table_days(data_dir: str | os.PathLike[str], table: str | Table) -> list[dt.date]:
    """The record days ``table`` has parts for, in order."""
    return sorted({d for f in part_files(data_dir, table) if (d := part_day(f)) is not None})


def split_days(table: Table, data: pa.Table) -> list[tuple[dt.date | None, pa.Table]]:
    """``data`` cut into one piece per record day of ``table.time``, in day order.

    A reference table (no time column) is one undated piece, and so are any rows
    without a time (never dropped).
    """
    if table.time is None:
        return [(None, data)]
    days = pc.cast(data[table.time], pa.date32())
    pieces: list[tuple[dt.date | None, pa.Table]] = [
        (day.as_py(), data.filter(pc.equal(days, day)))
        for day in pc.unique(days).sort()
        if day.is_valid
    ]
    if days.null_count:
        pieces.append((None, data.filter(pc.is_null(days))))
    return pieces


def conform(table: Table, data: pa.Table) -> pa.Table:
    """``data`` with exactly ``table``'s stored columns, order and types (cast safely)."""
    schema = table.arrow_schema()
    missing = [n for n in schema.names if n not in data.column_names]
    if missing:
        raise ValueError(f"{table.name}: missing columns {missing}")
    return data.select(schema.names).cast(schema)


def write_part(
    data_dir: str | os.PathLike[str],
    table: Table,
    data: pa.Table,
    name: str,
    *,
    row_group_size: int = 1_000_000,
    metadata: dict[str, str] | None = None,
) -> Path:
    """Write one Parquet part of ``table`` atomically; returns its final path.

    ``metadata`` is stored as the file's key-value metadata, so a note about the rows
    (the stream consumer's: which messages they came from) appears with them or not at all.
    """
    folder = table_dir(data_dir, table)
    folder.mkdir(parents=True, exist_ok=True)
    final = folder / f"{name}.parquet"
    tmp = folder / f".{name}.{uuid.uuid4().hex}.tmp"
    try:
        stored = conform(table, data)
        if metadata:
            stored = stored.replace_schema_metadata({**(stored.schema.metadata or {}), **metadata})
        pq.write_table(
            stored,
            tmp,
            compression=PARQUET_COMPRESSION,
            row_group_size=row_group_size,
            # Dictionary pages pay off for low-cardinality text (city, direction, app),
            # not for pseudonyms and timestamps, where they only cost write time.
            use_dictionary=[c.name for c in table.columns if c.dtype == pa.string()],
        )
        os.replace(tmp, final)
    finally:
        tmp.unlink(missing_ok=True)
    return final


def read_table(
    data_dir: str | os.PathLike[str],
    table: str | Table,
    days: Iterable[dt.date] | None = None,
) -> pa.Table:
    """The parts of one table as a single Arrow table (empty with the schema if none).

    ``days`` reads only the parts of those record days, and any undated ones.
    """
    spec = table if isinstance(table, Table) else TABLES[table]
    files = part_files(data_dir, spec)
    if days is not None:
        wanted = set(days)
        files = [f for f in files if (d := part_day(f)) is None or d in wanted]
    if not files:
        return spec.empty()
    return pa.concat_tables([pq.read_table(f, schema=spec.arrow_schema()) for f in files])
