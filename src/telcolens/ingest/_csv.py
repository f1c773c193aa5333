"""Reading a CSV input file as batches of text columns, with precise read errors.

Every column is read as text and converted afterwards (see ``_convert``), so a bad
value is reported by row rather than as pyarrow's "conversion failed". Line
numbers are exact because blank lines are not skipped and quoted values may not
span lines: data row ``i`` (0-based) is on line ``i + 2``.
"""

from __future__ import annotations

import csv
import gzip
import io
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

import pyarrow as pa
import pyarrow.csv as pacsv

from telcolens.ingest.errors import IngestError
from telcolens.privacy import mask

_BLOCK_SIZE = 16 << 20  # large blocks: fewer Python round trips through the counting reader
_SCAN_CHUNK = 4 << 20


class _CountingFile(io.FileIO):
    """A file that reports how many bytes have been read from it, for the progress bar."""

    def __init__(self, path: Path, on_read: Callable[[int], None]) -> None:
        super().__init__(path, "rb")
        self._on_read = on_read

    def read(self, size: int = -1) -> bytes:
        data = super().read(size)
        self._on_read(len(data or b""))
        return data

    def readinto(self, buffer) -> int:
        n = super().readinto(buffer) or 0
        self._on_read(n)
        return n


class CsvSource:
    """One CSV (or gzip-compressed CSV) file: its header, then its rows in batches."""

    row_label = "line"

    def __init__(self, path: Path) -> None:
        self.path = path
        self.total = path.stat().st_size  # progress counts (compressed) bytes
        self.names = self._read_header()

    @contextmanager
    def _open(self, on_read: Callable[[int], None] = lambda n: None) -> Iterator[IO[bytes]]:
        with _CountingFile(self.path, on_read) as raw:
            if not _is_gzip(self.path):
                yield raw
                return
            with gzip.GzipFile(fileobj=raw, mode="rb") as unzipped:
                yield unzipped

    def _read_header(self) -> list[str]:
        try:
            with self._open() as stream:
                first = stream.readline()
        except (OSError, EOFError) as exc:  # a damaged gzip stream
            raise IngestError(self.path, f"cannot read the file: {mask(str(exc))}") from None
        if not first:
            raise IngestError(self.path, "file is empty (expected a header line, then rows)")
        if not first.strip():
            raise IngestError(self.path, "the header line is blank", row=1)
        try:
            text = first.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise self._encoding_error() from None
        return next(csv.reader([text.rstrip("\r\n")]))

    def batches(self, advance: Callable[[int], None]) -> Iterator[tuple[int, pa.RecordBatch]]:
        """Yield (line number of the batch's first row, batch of text columns)."""
        bad_rows: list[pacsv.InvalidRow] = []

        def remember(row: pacsv.InvalidRow) -> str:
            bad_rows.append(row)
            return "error"

        line = 2
        try:
            with self._open(advance) as stream:
                reader = pacsv.open_csv(
                    stream,
                    read_options=pacsv.ReadOptions(block_size=_BLOCK_SIZE),
                    parse_options=pacsv.ParseOptions(
                        newlines_in_values=False,
                        ignore_empty_lines=False,
                        invalid_row_handler=remember,
                    ),
                    convert_options=pacsv.ConvertOptions(
                        column_types={name: pa.string() for name in self.names},
                        null_values=[""],
                        strings_can_be_null=True,
                    ),
                )
                for batch in reader:
                    yield line, batch
                    line += batch.num_rows
        except (pa.ArrowInvalid, OSError, EOFError) as exc:
            if bad_rows:
                raise self._shape_error(bad_rows[0]) from None
            if "UTF8" in str(exc) or "UTF-8" in str(exc):
                raise self._encoding_error() from None
            raise IngestError(self.path, f"cannot read the CSV: {mask(str(exc))}") from None

    def _shape_error(self, bad: pacsv.InvalidRow) -> IngestError:
        """The error for a row with the wrong number of fields, found by its text."""
        line, is_last = self._find_line(bad.text.encode("utf-8"))
        reason = f"line has {bad.actual_columns} field(s), expected {bad.expected_columns}"
        if is_last and bad.actual_columns < bad.expected_columns:
            reason += "; the file looks truncated"
        return IngestError(self.path, reason, row=line)

    def _find_line(self, text: bytes) -> tuple[int | None, bool]:
        # pyarrow's multi-threaded reader does not know the row's number; this
        # scan only runs on the error path.
        found = None
        with self._open() as stream:
            for number, raw in enumerate(stream, start=1):
                if found is None and number > 1 and raw.rstrip(b"\r\n") == text:
                    found = number
                elif found is not None:
                    return found, False
        return found, found is not None

    def _encoding_error(self) -> IngestError:
        with self._open() as stream:
            where = find_invalid_utf8(stream)
        if where is None:  # pyarrow saw what Python did not: report what it said
            return IngestError(self.path, "the file is not valid UTF-8 text")
        line, offset, bad, field = where
        column = self.names[field] if line > 1 and field < len(getattr(self, "names", [])) else None
        gz = " (uncompressed)" if _is_gzip(self.path) else ""
        reason = (
            f"not UTF-8: byte {bad[:4].hex(' ')} at byte offset {offset}{gz} cannot be decoded; "
            "the file is probably GBK/GB18030. Convert it first, e.g. "
            "iconv -f GB18030 -t UTF-8 in.csv > in.utf8.csv"
        )
        return IngestError(self.path, reason, row=line, column=column)


def find_invalid_utf8(stream: IO[bytes]) -> tuple[int, int, bytes, int] | None:
    """(line, byte offset, bad bytes, 0-based field) of the first invalid UTF-8, or None."""
    offset, line, carry, line_head = 0, 1, b"", b""
    while True:
        chunk = stream.read(_SCAN_CHUNK)
        data = carry + chunk
        try:
            data.decode("utf-8")
            good, error = len(data), None
        except UnicodeDecodeError as exc:
            # A character split across two chunks is not an error yet.
            split = exc.reason == "unexpected end of data" and bool(chunk)
            good, error = exc.start, (None if split else exc)
        newline = data.rfind(b"\n", 0, good)
        line_head = data[newline + 1 : good] if newline >= 0 else line_head + data[:good]
        if error is not None:
            line += data.count(b"\n", 0, good)
            return line, offset + good, data[error.start : error.end], _field_of(line_head)
        if not chunk:
            return None
        line += data.count(b"\n", 0, good)
        offset, carry = offset + good, data[good:]


def _field_of(line_head: bytes) -> int:
    """0-based index of the field that the end of ``line_head`` falls in."""
    if not line_head:
        return 0
    return len(next(csv.reader([line_head.decode("utf-8")]))) - 1


def _is_gzip(path: Path) -> bool:
    return path.name.lower().endswith(".gz")
