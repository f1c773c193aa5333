"""Reading a CSV input file as batches of text columns, with precise read errors.

Every column is read as text and converted afterwards (see ``_convert``), so a bad
value is reported by row rather than as pyarrow's "conversion failed". Line
numbers are exact because blank lines are not skipped and quoted values may not
span lines: data row ``i`` (0-based) is on line ``i + 2``. When pyarrow cannot
parse the file at all (a line longer than a block, a quote that is never closed),
the file is scanned again, on the error path only, to find the line.
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
_QUOTE = ord('"')
# Byte-order marks of the encodings a spreadsheet may export instead of UTF-8; the
# four-byte UTF-32 marks first, as UTF-32LE's starts with UTF-16LE's.
_BOMS = (
    (b"\xff\xfe\x00\x00", "UTF-32", "UTF-32 (little-endian)"),
    (b"\x00\x00\xfe\xff", "UTF-32", "UTF-32 (big-endian)"),
    (b"\xff\xfe", "UTF-16", "UTF-16 (little-endian)"),
    (b"\xfe\xff", "UTF-16", "UTF-16 (big-endian)"),
)


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
        wide = _wide_encoding(first)
        if wide is not None:
            raise self._wide_encoding_error(*wide)
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
            if "straddl" in str(exc) or "out of sync with chunker" in str(exc):
                # A row longer than a block, or a quote running on past a line's end.
                raise self._unparseable_error(exc) from None
            raise IngestError(self.path, f"cannot read the CSV: {mask(str(exc))}") from None

    def _shape_error(self, bad: pacsv.InvalidRow) -> IngestError:
        """The error for a row with the wrong number of fields, found by its text."""
        # An unclosed quote runs on into the next lines: the row's text then spans
        # them, and its first line is the one where the quote opens.
        first = bad.text.split("\n", 1)[0].rstrip("\r").encode("utf-8")
        line, is_last = self._find_line(first)
        field = _unclosed_quote(first)
        if field is not None:
            return self._quote_error(line, field, is_last and "\n" not in bad.text)
        reason = f"line has {bad.actual_columns} field(s), expected {bad.expected_columns}"
        if is_last and bad.actual_columns < bad.expected_columns:
            reason += "; the file looks truncated"
        return IngestError(self.path, reason, row=line)

    def line_break_error(self, line: int, column: str) -> IngestError:
        """The error for a value holding a line break whose row starts on ``line``.

        pyarrow ends an open quote at the end of the file, so a quote that is never
        closed reads as a value with line breaks; it is told apart by scanning on.
        """
        with self._open() as stream:
            lines = _lines(stream, _BLOCK_SIZE)
            text = next((text for number, text, _ in lines if number == line), None)
            field = None if text is None else _unclosed_quote(text)
            quoted, is_last = field is not None, True
            for _, text, _ in lines:
                is_last = False
                if text is None or not _scan_quotes(text, quoted=True)[0]:
                    quoted = False
                    break
        if quoted:
            return self._quote_error(line, field, is_last)
        return IngestError(self.path, "line break inside a quoted value", row=line, column=column)

    def _quote_error(self, line: int | None, field: int, is_last: bool) -> IngestError:
        column = self.names[field] if field < len(self.names) else None
        reason = (
            'unterminated quote: a value opens with " and is not closed on its line '
            "(a quoted value must end on the line it starts)"
        )
        if is_last:
            reason += "; the file looks truncated"
        return IngestError(self.path, reason, row=line, column=column)

    def _unparseable_error(self, exc: pa.ArrowInvalid) -> IngestError:
        """The error for a file pyarrow cannot split into rows: a huge line or an open quote."""
        limit = _BLOCK_SIZE
        with self._open() as stream:
            for number, text, length in _lines(stream, limit):
                if length > limit:
                    reason = (
                        f"line is {length:,} bytes long, more than the {limit >> 20} MiB a "
                        "CSV line may have; the file is probably damaged, or is not one "
                        "record per line"
                    )
                    return IngestError(self.path, reason, row=number)
                field = None if text is None or number == 1 else _unclosed_quote(text)
                if field is not None:
                    return self._quote_error(number, field, is_last=False)
        return IngestError(self.path, f"cannot read the CSV: {mask(str(exc))}")

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

    def _wide_encoding_error(self, iconv_name: str, described: str) -> IngestError:
        gz = "zcat in.csv.gz | " if _is_gzip(self.path) else ""
        source = "" if gz else " in.csv"
        reason = (
            f"not UTF-8: the file is {described}. Convert it first, e.g. "
            f"{gz}iconv -f {iconv_name} -t UTF-8{source} > in.utf8.csv"
        )
        return IngestError(self.path, reason)


def _wide_encoding(head: bytes) -> tuple[str, str] | None:
    """(iconv name, description) when ``head`` starts a UTF-16 or UTF-32 file, else None.

    With a byte-order mark that says it; without one, the header's ASCII column names
    give it away: every second (UTF-16) or three of every four (UTF-32) bytes are NUL.
    """
    for bom, name, described in _BOMS:
        if head.startswith(bom):
            return name, f"{described}, with a byte-order mark"
    sample = head[: len(head[:4096]) // 4 * 4]
    if b"\0" not in sample:
        return None
    nul = [sample[k::4].count(0) / (len(sample) // 4) for k in range(4)]
    mostly, rarely = (lambda *ks: all(nul[k] > 0.5 for k in ks)), (lambda k: nul[k] < 0.1)
    if mostly(1, 2, 3) and rarely(0):
        return "UTF-32LE", "UTF-32 (little-endian), without a byte-order mark"
    if mostly(0, 1, 2) and rarely(3):
        return "UTF-32BE", "UTF-32 (big-endian), without a byte-order mark"
    if mostly(1, 3) and rarely(0) and rarely(2):
        return "UTF-16LE", "UTF-16 (little-endian), without a byte-order mark"
    if mostly(0, 2) and rarely(1) and rarely(3):
        return "UTF-16BE", "UTF-16 (big-endian), without a byte-order mark"
    return None


def _unclosed_quote(line: bytes) -> int | None:
    """0-based field in which a quote opens and is not closed by the end of ``line``."""
    quoted, field = _scan_quotes(line, quoted=False)
    return field if quoted else None


def _scan_quotes(line: bytes, *, quoted: bool) -> tuple[bool, int | None]:
    """(still inside a quoted value at the end of ``line``, field where it opened).

    Follows pyarrow's parser: a quote opens a value only at the start of a field, and
    a doubled quote inside a quoted value is a literal quote. ``quoted`` says the line
    starts inside a quoted value carried over from the line before.
    """
    field, opened, at_start, i = 0, None, not quoted, 0
    while i < len(line):
        if quoted:
            end = line.find(b'"', i)
            if end < 0:
                return True, opened
            if line[end + 1 : end + 2] == b'"':
                i = end + 2
                continue
            quoted, at_start, i = False, False, end + 1
        elif at_start and line[i] == _QUOTE:
            quoted, opened, at_start, i = True, field, False, i + 1
        else:
            comma = line.find(b",", i)
            if comma < 0:
                break
            field, at_start, i = field + 1, True, comma + 1
    return quoted, opened


def _lines(stream: IO[bytes], limit: int) -> Iterator[tuple[int, bytes | None, int]]:
    """(1-based line number, text or None when longer than ``limit``, length) per line.

    Reads in chunks, so a line of any length costs at most ``limit`` bytes of memory.
    """
    number, parts, length = 1, [], 0
    while chunk := stream.read(_SCAN_CHUNK):
        start = 0
        while (end := chunk.find(b"\n", start)) >= 0:
            length += end - start
            text = None if length > limit else b"".join([*parts, chunk[start:end]])
            yield number, None if text is None else text.rstrip(b"\r"), length
            number, parts, length, start = number + 1, [], 0, end + 1
        length += len(chunk) - start
        parts = [] if length > limit else [*parts, chunk[start:]]
    if length:
        yield number, None if length > limit else b"".join(parts), length


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
