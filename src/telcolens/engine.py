"""Query engines: ``connect("duckdb" | "spark")`` returns an Ibis backend.

Capabilities are Ibis expressions over the tables returned by :func:`tables`;
nothing outside this module knows which engine runs them. DuckDB is embedded and
needs nothing started. Spark runs in local mode from PySpark (Java 17), or on a
cluster when ``TELCOLENS_SPARK_MASTER`` names one.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import os
from collections.abc import Iterable
from pathlib import Path
from typing import Literal

import ibis
from ibis.backends import BaseBackend

from telcolens.dataset import part_files, table_dir
from telcolens.errors import BadInput, NotFound
from telcolens.schema import TABLES
from telcolens.settings import get_settings

Engine = Literal["duckdb", "spark"]
ENGINES: tuple[Engine, ...] = ("duckdb", "spark")

log = logging.getLogger(__name__)
_LOG4J = Path(__file__).with_name("log4j2-spark.properties")


class NoData(NotFound, FileNotFoundError):
    """A data directory, or a table a pipeline needs, is not there."""


def connect(engine: str | None = None) -> BaseBackend:
    """An Ibis backend on ``engine`` (the ``TELCOLENS_ENGINE`` setting by default)."""
    settings = get_settings()
    engine = engine or settings.engine
    if engine == "duckdb":
        config: dict[str, object] = {}
        if settings.duckdb_memory_limit:
            config["memory_limit"] = settings.duckdb_memory_limit
        if settings.duckdb_threads:
            config["threads"] = settings.duckdb_threads
        con = ibis.duckdb.connect(**config)
        # DuckDB's own progress bar writes to stdout and would mix with command output;
        # telcolens shows its own progress on stderr.
        con.raw_sql("SET enable_progress_bar = false")
        return con
    if engine == "spark":
        return ibis.pyspark.connect(_spark_session())
    raise BadInput(f"unknown engine {engine!r}; choose one of {', '.join(ENGINES)}")


def _spark_session():  # -> pyspark.sql.SparkSession, imported lazily: it is slow to import
    from pyspark.sql import SparkSession

    settings = get_settings()
    # Spark resolves the machine's hostname, which may not route; loopback always does
    # in local mode. A cluster deployment sets SPARK_LOCAL_IP itself.
    if settings.spark_master.startswith("local"):
        os.environ.setdefault("SPARK_LOCAL_IP", "127.0.0.1")
    builder = (
        SparkSession.builder.master(settings.spark_master)
        .appName("telcolens")
        .config("spark.driver.memory", settings.spark_driver_memory)
        .config("spark.driver.extraJavaOptions", f"-Dlog4j2.configurationFile={_LOG4J}")
        .config("spark.ui.enabled", "false")
        .config("spark.ui.showConsoleProgress", "false")
        # Timestamps are naive local time in our files; UTC keeps Spark from shifting them.
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.sql.parquet.inferTimestampNTZ.enabled", "true")
        .config("spark.sql.shuffle.partitions", str(max(4, (os.cpu_count() or 2) * 2)))
    )
    session = builder.getOrCreate()
    session.sparkContext.setLogLevel("ERROR")
    return session


def tables(
    con: BaseBackend, data_dir: str | os.PathLike[str], *, require: Iterable[str] = ()
) -> dict[str, ibis.Table]:
    """Register every table present in ``data_dir`` on ``con`` and return them by name.

    A table with no files is returned empty, with its schema, so a pipeline can
    run on a province that lacks, say, SMS records; a table named in ``require``
    must have files, or :class:`NoData` says which are missing.
    """
    data_dir = Path(data_dir)
    if not data_dir.is_dir():
        raise NoData(f"data directory {data_dir} does not exist")
    missing = [name for name in require if not part_files(data_dir, name)]
    if missing:
        raise NoData(
            f"data directory {data_dir} has no {', '.join(missing)} table "
            f"(expected {data_dir / missing[0]}/*.parquet); add it with `telcolens ingest "
            f"--table {missing[0]}` or generate a province with `telcolens generate`"
        )
    # Views are named per directory, so two provinces can be open on one session.
    tag = hashlib.sha1(str(data_dir.resolve()).encode()).hexdigest()[:10]
    out: dict[str, ibis.Table] = {}
    for name, spec in TABLES.items():
        if part_files(data_dir, name):
            # Spark reads a folder (skipping dot-files such as half-written parts);
            # DuckDB reads a glob of the same files.
            source = table_dir(data_dir, name)
            path = str(source) if con.name == "pyspark" else str(source / "*.parquet")
            out[name] = con.read_parquet(path, table_name=f"tl_{tag}_{name}")
        else:
            out[name] = ibis.memtable(spec.empty())
    return out


def in_window(t: dict[str, ibis.Table], as_of: dt.date, days: int) -> dict[str, ibis.Table]:
    """``t`` with each dated table cut to the records of the ``days`` days before ``as_of``.

    Records with time in [as_of - days, as_of); reference tables (subscribers, cells,
    devices: no ``Table.time``) are left whole. DuckDB and Spark skip the row groups and
    day parts outside the window by their time statistics.
    """
    start = ibis.literal(as_of - dt.timedelta(days=days)).cast("timestamp")
    end = ibis.literal(as_of).cast("timestamp")
    out = dict(t)
    for name, table in t.items():
        if name in TABLES and (col := TABLES[name].time):
            out[name] = table.filter((table[col] >= start) & (table[col] < end))
    return out


def write_parquet(con: BaseBackend, expr: ibis.Table, path: str | os.PathLike[str]) -> Path:
    """Run ``expr`` and write its result to one Parquet file at ``path`` (atomically)."""
    import pyarrow.parquet as pq

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        # Each batch is cast to the expression's own schema: DuckDB returns int64
        # sums as 128-bit integers, which its COPY would write as doubles. Writing
        # batches ourselves also turns Spark's folder of parts into one file.
        schema = expr.schema().to_pyarrow()
        reader = con.to_pyarrow_batches(expr, chunk_size=1_000_000)
        with pq.ParquetWriter(tmp, schema, compression="zstd") as writer:
            for batch in reader:
                writer.write_batch(batch.cast(schema))
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    return path
