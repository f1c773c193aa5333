"""One input file, read, checked and converted to a table of telcolens.schema."""

from __future__ import annotations

import errno
import functools
import stat
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from telcolens.ingest._convert import Problem, convert
from telcolens.ingest._csv import CsvSource
from telcolens.ingest._parquet import ParquetSource
from telcolens.ingest.errors import IngestError
from telcolens.privacy import pseudonymise_many
from telcolens.schema import Table

Source = CsvSource | ParquetSource
FORMATS = (".csv", ".csv.gz", ".parquet")


def open_source(path: Path) -> Source:
    """The reader for ``path``, chosen by its extension, with its columns read."""
    name = path.name.lower()
    fmt = next((f for f in FORMATS if name.endswith(f)), None)
    if fmt is None:
        raise IngestError(
            path,
            f"unsupported file type {''.join(path.suffixes) or '(none)'!r}; "
            f"expected one of {', '.join(FORMATS)}",
        )
    try:
        info = path.stat()
    except OSError as exc:
        raise IngestError(path, _unopenable(path, exc)) from None
    if not stat.S_ISREG(info.st_mode):
        raise IngestError(path, "not a regular file")
    if info.st_size == 0:
        raise IngestError(path, "file is empty")
    return ParquetSource(path) if fmt == ".parquet" else CsvSource(path)


def _unopenable(path: Path, exc: OSError) -> str:
    """Why ``path`` cannot be opened, in words; Path.exists() would call a loop 'missing'."""
    if exc.errno == errno.ELOOP:
        return (
            "symlink loop (ELOOP): its symbolic links point back at each other and never "
            "reach a file; give the real file, or repoint the link (ls -l shows each target)"
        )
    if exc.errno == errno.ENOENT and path.is_symlink():
        return "file not found: it is a symbolic link to a file that does not exist"
    if exc.errno in (errno.ENOENT, errno.ENOTDIR):
        return "file not found"
    if exc.errno in (errno.EACCES, errno.EPERM):
        return "permission denied: cannot read the file"
    return f"cannot open the file: {exc.strerror or exc}"


def check_columns(source: Source, table: Table) -> None:
    """Raise unless the file has exactly the table's input columns (in any order)."""
    header_row = 1 if isinstance(source, CsvSource) else None
    duplicated = [n for n, count in Counter(source.names).items() if count > 1]
    if duplicated:
        raise IngestError(
            source.path,
            f"column(s) appear more than once: {_names(duplicated)}",
            row=header_row,
            column=duplicated[0],
        )
    expected = table.input_schema().names
    missing = [n for n in expected if n not in source.names]
    extra = [n for n in source.names if n not in expected]
    if missing:
        raise IngestError(
            source.path,
            f"missing column(s) {_names(missing)} for table "
            f"{table.name!r} (expected: {_names(expected)})",
            row=header_row,
            column=missing[0],
        )
    if extra:
        raise IngestError(
            source.path,
            f"unexpected column(s) {_names(extra)} for table "
            f"{table.name!r} (expected exactly: {_names(expected)})",
            row=header_row,
            column=extra[0],
        )


def checked_batches(
    path: Path,
    table: Table,
    *,
    on_open: Callable[[int], None] = lambda total: None,
    advance: Callable[[int], None] = lambda n: None,
) -> Iterator[pa.RecordBatch]:
    """The rows of ``path`` converted to the table's input types, checked batch by batch.

    Raises IngestError at the first bad row; columns are named as in input files and
    identifiers are still raw (see :func:`pseudonymise`). ``on_open`` gets the
    progress total (bytes for CSV, rows for Parquet), ``advance`` the progress.
    """
    source = open_source(path)
    check_columns(source, table)
    on_open(source.total)
    rows = 0
    for first_row, batch in source.batches(advance):
        yield _convert_batch(source, table, first_row, batch)
        rows += batch.num_rows
    if rows == 0:
        raise IngestError(
            path,
            "no data rows (the file has a header only)"
            if isinstance(source, CsvSource)
            else "no data rows",
        )


def _convert_batch(
    source: Source, table: Table, first_row: int, batch: pa.RecordBatch
) -> pa.RecordBatch:
    arrays, problems = [], []
    for column in table.columns:
        converted, problem = convert(batch.column(column.input_name), column)
        arrays.append(converted)
        if problem is not None:
            problems.append((problem, column.input_name))
    if isinstance(source, CsvSource):
        problems.extend((p, None) for p in [_blank_line(batch)] if p is not None)
        problems.extend(_line_breaks(batch))
    if problems:
        problem, column = min(problems, key=lambda item: _order(item[0]))
        row = None if problem.index is None else first_row + problem.index
        if problem.reason == _LINE_BREAK and isinstance(source, CsvSource):
            raise source.line_break_error(row, column)
        raise IngestError(
            source.path, problem.reason, row=row, column=column, row_label=source.row_label
        )
    return pa.RecordBatch.from_arrays(arrays, schema=table.input_schema())


def _blank_line(batch: pa.RecordBatch) -> Problem | None:
    # pyarrow reads a blank line as a row of empty fields; say what it really is.
    all_empty = functools.reduce(pc.and_, (pc.is_null(c) for c in batch.columns))
    index = pc.index(all_empty, True).as_py()
    return None if index < 0 else Problem(index, "blank line")


def _line_breaks(batch: pa.RecordBatch) -> list[tuple[Problem, str]]:
    # pyarrow accepts a quoted line break, but it would shift every later line number.
    found = []
    for name, column in zip(batch.schema.names, batch.columns, strict=True):
        index = pc.index(pc.fill_null(pc.match_substring(column, "\n"), False), True).as_py()
        if index >= 0:
            found.append((Problem(index, _LINE_BREAK), name))
    return found


_LINE_BREAK = "line break inside a quoted value"
_LINE_LEVEL = {"blank line", _LINE_BREAK}


def _order(problem: Problem) -> tuple[int, int]:
    """Earlier rows first; whole-column problems first; a malformed line before its cells."""
    if problem.index is None:
        return (-1, 0)
    return (problem.index, 0 if problem.reason in _LINE_LEVEL else 1)


def pseudonymise(data: pa.Table, table: Table) -> pa.Table:
    """Input-named, raw-identifier rows as the stored table: identifiers hashed, names stored."""
    arrays = [
        pa.chunked_array([pseudonymise_many(data[c.input_name], c.pseudonym)])
        if c.pseudonym
        else data[c.input_name]
        for c in table.columns
    ]
    return pa.Table.from_arrays(arrays, names=table.names)


def _names(names: list[str]) -> str:
    return ", ".join(repr(n) for n in names)
