"""``telcolens ingest``: operator CSV/Parquet files into a data directory, all or nothing."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

import pyarrow as pa

from telcolens.dataset import day_part, split_days
from telcolens.ingest._load import checked_batches, open_source, pseudonymise
from telcolens.ingest._store import Staging, file_sha256, logged, part_name
from telcolens.progress import Counter, Progress
from telcolens.schema import Table, get_table

Status = Literal["ingested", "already ingested"]


@dataclass(frozen=True)
class FileReport:
    """What happened to one input file."""

    path: Path
    rows: int
    sha256: str
    status: Status


@dataclass
class IngestReport:
    """The outcome of one :func:`ingest_files` call, one entry per file in the order given."""

    table: str
    files: list[FileReport] = field(default_factory=list)

    def __iter__(self) -> Iterator[FileReport]:
        return iter(self.files)

    @property
    def rows_ingested(self) -> int:
        return sum(f.rows for f in self.files if f.status == "ingested")


def ingest_files(
    data_dir: Path, table: str, files: Sequence[Path], *, progress: Progress | None = None
) -> IngestReport:
    """Validate every file, then add them all to ``table`` in ``data_dir``, or none.

    Each file becomes ``DIR/<table>/ingest-<sha256[:16]>.parquet`` with identifiers
    pseudonymised, and a line in ``DIR/_ingest_log.jsonl``. A file whose content is
    already in the log for this table is skipped as 'already ingested'. ``progress``
    is reported one task per file, labelled with its name: bytes read for CSV, rows
    for Parquet (a skipped file: "NAME (already ingested)", done at once).

    Raises
    ------
    IngestError
        For the first bad file, naming its row and column; the data directory is
        then unchanged.
    """
    spec, data_dir = get_table(table), Path(data_dir)
    paths = [Path(f) for f in files]
    for path in paths:  # fail fast on a typo before reading anything large
        open_source(path)
    report = IngestReport(spec.name)
    with Staging(data_dir) as staging:
        done = logged(data_dir, spec.name)  # read under the lock Staging holds
        log_lines = []
        for path in paths:
            sha = file_sha256(path)
            if sha in done:
                report.files.append(FileReport(path, done[sha], sha, "already ingested"))
                _skipped(progress, path)
                continue
            data = _read(path, spec, progress)
            # A dated table's file lands as one part per record day (day-YYYY-MM-DD.ingest-...).
            for day, piece in split_days(spec, pseudonymise(data, spec)):
                name = part_name(sha) if day is None else day_part(day, part_name(sha))
                staging.add(spec, piece, name)
            done[sha] = data.num_rows
            report.files.append(FileReport(path, data.num_rows, sha, "ingested"))
            log_lines.append(_log_line(spec, path, sha, data.num_rows))
        if log_lines:
            staging.commit(log_lines)
    return report


def validate_files(
    table: str, files: Sequence[Path], *, progress: Progress | None = None
) -> list[int]:
    """Check files as :func:`ingest_files` would, writing nothing; rows per file, in order.

    ``progress`` is reported as by :func:`ingest_files`. Raises IngestError for the
    first bad file.
    """
    spec = get_table(table)
    paths = [Path(f) for f in files]
    for path in paths:
        open_source(path)
    counts = []
    for path in paths:
        batches = checked_batches(path, spec, **_file_progress(progress, path))
        counts.append(sum(b.num_rows for b in batches))
    return counts


def _read(path: Path, spec: Table, progress: Progress | None) -> pa.Table:
    batches = list(checked_batches(path, spec, **_file_progress(progress, path)))
    return pa.Table.from_batches(batches, schema=spec.input_schema())


def _file_progress(progress: Progress | None, path: Path) -> dict:
    """The ``on_open`` and ``advance`` callbacks :func:`checked_batches` takes, for ``path``."""
    counter = Counter(progress, path.name)
    return {"on_open": counter.start, "advance": counter.advance}


def _skipped(progress: Progress | None, path: Path) -> None:
    counter = Counter(progress, f"{path.name} (already ingested)")
    counter.start(1)
    counter.advance(1)


def _log_line(spec: Table, path: Path, sha: str, rows: int) -> dict:
    return {
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "table": spec.name,
        "file": path.name,
        "sha256": sha,
        "rows": rows,
    }
