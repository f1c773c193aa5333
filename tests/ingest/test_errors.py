"""Every kind of bad input gets an IngestError naming file, row and column, and writes nothing."""

from __future__ import annotations

import gzip
import os
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest

from telcolens.ingest import IngestError, ingest_files, validate_files
from telcolens.ingest import _csv as csv_source
from telcolens.schema import CELLS, SUBSCRIBERS
from tests.ingest.helpers import (
    RAW_CALLEE,
    RAW_CALLER,
    RAW_IMEI,
    VOICE_HEADER,
    good_voice_csv,
    tree_digest,
    voice_input_table,
    voice_row,
    write_csv,
    write_parquet,
)


@dataclass(frozen=True)
class Case:
    """A bad file (made by ``make``), and where and why ingest must reject it."""

    name: str
    make: object  # Callable[[Path], Path]
    row: int | None
    column: str | None
    reason: str
    table: str = "voice"


def _voice_with_bad_line(**changes: str):
    # Good lines 2, 3 and 5 around the bad line 4, so the row number means something.
    def make(tmp: Path) -> Path:
        lines = [VOICE_HEADER, voice_row(), voice_row(), voice_row(**changes), voice_row()]
        return write_csv(tmp / "voice.csv", lines)

    return make


def _csv(name: str, text: str, encoding: str = "utf-8"):
    def make(tmp: Path) -> Path:
        path = tmp / name
        path.write_bytes(text.encode(encoding))
        return path

    return make


def _gbk_direction(tmp: Path) -> Path:
    lines = [VOICE_HEADER, voice_row(), voice_row(), voice_row(direction="主叫")]
    path = tmp / "voice.csv"
    path.write_bytes(("\n".join(lines) + "\n").encode("gbk"))
    return path


def _voice_with_long_line(tmp: Path) -> Path:
    # 60 MB in one line: far past pyarrow's block, which it reports without a line number.
    lines = [VOICE_HEADER, voice_row(), voice_row(direction="M" * (60 << 20)), voice_row()]
    return write_csv(tmp / "voice.csv", lines)


def _symlink_loop(tmp: Path) -> Path:
    os.symlink("b.csv", tmp / "a.csv")
    os.symlink("a.csv", tmp / "b.csv")
    return tmp / "a.csv"


def _voice_encoded(encoding: str, name: str = "voice.csv"):
    def make(tmp: Path) -> Path:
        text = "\n".join([VOICE_HEADER, voice_row(), voice_row()]) + "\n"
        path = tmp / name
        data = text.encode(encoding)
        path.write_bytes(gzip.compress(data) if name.endswith(".gz") else data)
        return path

    return make


def _parquet_with(column: str, values: list, dtype: pa.DataType | None = None):
    def make(tmp: Path) -> Path:
        table = voice_input_table(rows=len(values))
        array = pa.array(values, dtype)
        table = table.set_column(table.schema.get_field_index(column), column, array)
        return write_parquet(tmp / "voice.parquet", table)

    return make


def _parquet_without(column: str):
    def make(tmp: Path) -> Path:
        return write_parquet(tmp / "voice.parquet", voice_input_table().drop_columns([column]))

    return make


def _parquet_cut_short(tmp: Path) -> Path:
    path = write_parquet(tmp / "voice.parquet", voice_input_table(rows=100))
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _subscribers_bad_date(tmp: Path) -> Path:
    header = ",".join(SUBSCRIBERS.input_schema().names)
    good = "13812345678,370102199001011234,34,Jinan,370102,2024-01-05,OUT1,P58,individual"
    bad = good.replace("2024-01-05", "05/01/2024")
    return write_csv(tmp / "subscribers.csv", [header, good, bad])


def _cells_bad_number(tmp: Path) -> Path:
    header = ",".join(CELLS.input_schema().names)
    rows = ["1,10,36.6,117.0,Jinan,370102,4G", "2,10,north,117.0,Jinan,370102,5G"]
    return write_csv(tmp / "cells.csv", [header, *rows])


def _parquet_lat_nan(tmp: Path) -> Path:
    table = pa.table(
        {
            "cell_id": [1, 2],
            "site_id": [10, 10],
            "lat": [36.6, float("nan")],
            "lon": [117.0, 117.0],
            "city": ["Jinan"] * 2,
            "county": ["370102"] * 2,
            "rat": ["4G", "5G"],
        },
        schema=CELLS.input_schema(),
    )
    return write_parquet(tmp / "cells.parquet", table)


CASES = [
    Case(
        "missing column",
        _csv(
            "voice.csv",
            "caller,callee,start_time,duration_s,cell_id,imei\n1,2,2024-01-01 10:00:00,3,4,5\n",
        ),
        1,
        "direction",
        "missing column(s) 'direction'",
    ),
    Case(
        "extra columns",
        _csv("voice.csv", VOICE_HEADER + ",foo,bar\n" + voice_row() + ",1,2\n"),
        1,
        "foo",
        "unexpected column(s) 'foo', 'bar'",
    ),
    Case(
        "duplicate column",
        _csv("voice.csv", VOICE_HEADER + ",caller\n" + voice_row() + ",1\n"),
        1,
        "caller",
        "more than once",
    ),
    Case(
        "text in integer column",
        _voice_with_bad_line(duration_s="abc"),
        4,
        "duration_s",
        "'abc' is not an integer",
    ),
    Case(
        "decimal in integer column",
        _voice_with_bad_line(cell_id="10.5"),
        4,
        "cell_id",
        "'10.5' is not an integer",
    ),
    Case(
        "integer too large",
        _voice_with_bad_line(duration_s="99999999999"),
        4,
        "duration_s",
        "out of range for int32",
    ),
    Case(
        "unparseable timestamp",
        _voice_with_bad_line(start_time="2024/01/01 10:00"),
        4,
        "start_time",
        "is not a timestamp",
    ),
    Case(
        "date only in timestamp column",
        _voice_with_bad_line(start_time="2024-01-01"),
        4,
        "start_time",
        "is not a timestamp",
    ),
    Case(
        "impossible timestamp",
        _voice_with_bad_line(start_time="2024-02-30 10:00:00"),
        4,
        "start_time",
        "'2024-02-30 10:00:00' is not a valid timestamp",
    ),
    Case(
        "unparseable date",
        _subscribers_bad_date,
        3,
        "activation_date",
        "'05/01/2024' is not a date",
        "subscribers",
    ),
    Case("text in float column", _cells_bad_number, 3, "lat", "'north' is not a number", "cells"),
    Case(
        "negative duration",
        _voice_with_bad_line(duration_s="-3"),
        4,
        "duration_s",
        "negative value -3 (must be >= 0)",
    ),
    Case(
        "above maximum",
        _voice_with_bad_line(duration_s="90000"),
        4,
        "duration_s",
        "value 90000 above maximum (must be <= 86400)",
    ),
    Case(
        "value not allowed",
        _voice_with_bad_line(direction="XX"),
        4,
        "direction",
        "value 'XX' not allowed (allowed: 'MO', 'MT')",
    ),
    Case(
        "null in non-nullable column", _voice_with_bad_line(caller=""), 4, "caller", "empty value"
    ),
    Case("non-UTF-8 (GBK) text", _gbk_direction, 4, "direction", "iconv -f GB18030"),
    Case(
        "truncated last line",
        _csv(
            "voice.csv",
            "\n".join(
                [VOICE_HEADER, voice_row(), voice_row(), f"{RAW_CALLER},{RAW_CALLEE},2024-01"]
            ),
        ),
        4,
        None,
        "3 field(s), expected 7; the file looks truncated",
    ),
    Case(
        "too many fields",
        _csv(
            "voice.csv",
            "\n".join([VOICE_HEADER, voice_row(), voice_row() + ",9", voice_row()]) + "\n",
        ),
        3,
        None,
        "8 field(s), expected 7",
    ),
    Case(
        "blank line",
        _csv("voice.csv", "\n".join([VOICE_HEADER, voice_row(), "", voice_row()]) + "\n"),
        3,
        None,
        "blank line",
    ),
    Case(
        "line break in a quoted value",
        _csv(
            "voice.csv",
            "\n".join([VOICE_HEADER, voice_row(), voice_row(direction='"M\nO"'), voice_row()])
            + "\n",
        ),
        3,
        "direction",
        "line break inside a quoted value",
    ),
    Case(
        "unterminated quote",
        _voice_with_bad_line(direction='"MO'),
        4,
        "direction",
        'unterminated quote: a value opens with " and is not closed on its line',
    ),
    Case(
        "unterminated quote on the last line",
        _csv("voice.csv", "\n".join([VOICE_HEADER, voice_row(), voice_row(imei='"35')]) + "\n"),
        3,
        "imei",
        'unterminated quote: a value opens with " and is not closed on its line (a quoted '
        "value must end on the line it starts); the file looks truncated",
    ),
    Case(
        "60 MB line",
        _voice_with_long_line,
        3,
        None,
        "line is 62,914,628 bytes long, more than the 16 MiB a CSV line may have",
    ),
    Case(
        "UTF-16 with a byte-order mark",
        _voice_encoded("utf-16"),
        None,
        None,
        "the file is UTF-16 (little-endian), with a byte-order mark. Convert it first, "
        "e.g. iconv -f UTF-16 -t UTF-8 in.csv > in.utf8.csv",
    ),
    Case(
        "UTF-16LE without a byte-order mark",
        _voice_encoded("utf-16-le"),
        None,
        None,
        "UTF-16 (little-endian), without a byte-order mark. Convert it first, "
        "e.g. iconv -f UTF-16LE -t UTF-8",
    ),
    Case(
        "UTF-16BE without a byte-order mark",
        _voice_encoded("utf-16-be"),
        None,
        None,
        "UTF-16 (big-endian), without a byte-order mark. Convert it first, "
        "e.g. iconv -f UTF-16BE -t UTF-8",
    ),
    Case(
        "gzipped UTF-16",
        _voice_encoded("utf-16", "voice.csv.gz"),
        None,
        None,
        "e.g. zcat in.csv.gz | iconv -f UTF-16 -t UTF-8 > in.utf8.csv",
    ),
    Case(
        "UTF-32 with a byte-order mark",
        _voice_encoded("utf-32"),
        None,
        None,
        "UTF-32 (little-endian), with a byte-order mark. Convert it first, "
        "e.g. iconv -f UTF-32 -t UTF-8",
    ),
    Case(
        "UTF-32BE without a byte-order mark",
        _voice_encoded("utf-32-be"),
        None,
        None,
        "UTF-32 (big-endian), without a byte-order mark",
    ),
    Case("empty file", _csv("voice.csv", ""), None, None, "file is empty"),
    Case("header only", _csv("voice.csv", VOICE_HEADER + "\n"), None, None, "no data rows"),
    Case("file not found", lambda tmp: tmp / "nope.csv", None, None, "file not found"),
    Case(
        "symlink loop",
        _symlink_loop,
        None,
        None,
        "symlink loop (ELOOP): its symbolic links point back at each other",
    ),
    Case(
        "dangling symlink",
        lambda tmp: (tmp / "link.csv").symlink_to("gone.csv") or tmp / "link.csv",
        None,
        None,
        "file not found: it is a symbolic link to a file that does not exist",
    ),
    Case(
        "unsupported format",
        _csv("voice.txt", VOICE_HEADER + "\n"),
        None,
        None,
        "unsupported file type '.txt'",
    ),
    Case("parquet cut short", _parquet_cut_short, None, None, "not a readable Parquet file"),
    Case(
        "parquet missing column",
        _parquet_without("duration_s"),
        None,
        "duration_s",
        "missing column(s) 'duration_s'",
    ),
    Case(
        "parquet text in integer column",
        _parquet_with("duration_s", ["30", "31", "abc"]),
        3,
        "duration_s",
        "'abc' is not an integer",
    ),
    Case(
        "parquet negative value",
        _parquet_with("duration_s", [30, -1, -2], pa.int32()),
        2,
        "duration_s",
        "negative value -1",
    ),
    Case(
        "parquet value too large for column",
        _parquet_with("duration_s", [1, 2, 3, 2**40], pa.int64()),
        4,
        "duration_s",
        "1099511627776 is out of range for int32",
    ),
    Case(
        "parquet null in non-nullable column",
        _parquet_with("direction", ["MO", None]),
        2,
        "direction",
        "empty value",
    ),
    Case("parquet NaN", _parquet_lat_nan, 2, "lat", "NaN", "cells"),
]


@pytest.fixture
def store(tmp_path: Path) -> Path:
    """A data directory that already holds one ingested file (and so an ingest log)."""
    data = tmp_path / "data"
    ingest_files(data, "voice", [good_voice_csv(tmp_path / "earlier.csv")])
    return data


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_input_is_rejected_precisely(case: Case, tmp_path: Path, store: Path) -> None:
    bad_dir = tmp_path / "in"
    bad_dir.mkdir()
    bad = case.make(bad_dir)
    before = tree_digest(store)
    with pytest.raises(IngestError) as caught:
        ingest_files(store, case.table, [bad])
    error = caught.value
    assert (error.file, error.row, error.column) == (bad, case.row, case.column)
    assert case.reason in error.reason
    message = str(error)
    assert message.startswith(f"{bad}, " if case.row or case.column else f"{bad}: ")
    assert message.endswith(f": {error.reason}")
    if case.row is not None:
        label = "row" if bad.suffix == ".parquet" else "line"
        assert f", {label} {case.row}," in message or f", {label} {case.row}:" in message
    if case.column is not None:
        assert f"column {case.column!r}" in message
    for raw in (RAW_CALLER, RAW_CALLEE, RAW_IMEI):
        assert raw not in message
    assert tree_digest(store) == before


@pytest.mark.parametrize("case", CASES[:6], ids=[c.name for c in CASES[:6]])
def test_validate_files_raises_the_same_errors(case: Case, tmp_path: Path) -> None:
    bad = case.make(tmp_path)
    with pytest.raises(IngestError) as caught:
        validate_files(case.table, [bad])
    assert (caught.value.row, caught.value.column) == (case.row, case.column)


def test_a_bad_second_file_stops_the_first_from_being_written(tmp_path: Path, store: Path):
    good = good_voice_csv(tmp_path / "good.csv", minute=5)
    bad = _voice_with_bad_line(duration_s="-3")(tmp_path)
    before = tree_digest(store)
    with pytest.raises(IngestError, match="negative value"):
        ingest_files(store, "voice", [good, bad])
    assert tree_digest(store) == before


def test_failed_ingest_does_not_create_the_data_directory(tmp_path: Path) -> None:
    bad = _voice_with_bad_line(direction="XX")(tmp_path)
    target = tmp_path / "new" / "data"
    with pytest.raises(IngestError):
        ingest_files(target, "voice", [bad])
    assert not (tmp_path / "new").exists()


def test_message_reads_as_one_line_naming_everything(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    _voice_with_bad_line(duration_s="-3")(tmp_path)
    with pytest.raises(IngestError) as caught:
        ingest_files(Path("data"), "voice", [Path("voice.csv")])
    assert str(caught.value) == (
        "voice.csv, line 4, column 'duration_s': negative value -3 (must be >= 0)"
    )


def test_the_earliest_bad_row_is_reported_across_columns(tmp_path: Path) -> None:
    lines = [VOICE_HEADER, voice_row(), voice_row(direction="XX"), voice_row(duration_s="x")]
    path = write_csv(tmp_path / "voice.csv", lines)
    with pytest.raises(IngestError) as caught:
        validate_files("voice", [path])
    assert (caught.value.row, caught.value.column) == (3, "direction")


def test_bad_row_deep_in_a_large_file_is_pinpointed(tmp_path: Path) -> None:
    table = voice_input_table(rows=300_000)
    durations = pc.if_else(
        pc.equal(pa.array(range(300_000)), 271_828), -7, table["duration_s"]
    ).cast(pa.int32())
    table = table.set_column(3, "duration_s", durations)
    path = write_parquet(tmp_path / "voice.parquet", table)
    with pytest.raises(IngestError) as caught:
        validate_files("voice", [path])
    assert caught.value.row == 271_829
    assert "negative value -7" in caught.value.reason


@pytest.mark.parametrize("raw", [RAW_CALLER + "a", "x" + RAW_CALLER, RAW_CALLER + " ext"])
def test_identifier_values_are_masked_in_messages(raw: str, tmp_path: Path) -> None:
    path = _voice_with_bad_line(callee=raw)(tmp_path)
    with pytest.raises(IngestError) as caught:
        validate_files("voice", [path])
    assert (caught.value.row, caught.value.column) == (4, "callee")
    assert "is not a phone number" in caught.value.reason
    assert RAW_CALLER not in str(caught.value)
    assert "1234567" not in str(caught.value)


def test_a_column_of_the_wrong_kind_is_reported_as_a_whole(tmp_path: Path) -> None:
    path = _parquet_with("caller", [[int(RAW_CALLER)]], pa.list_(pa.int64()))(tmp_path)
    with pytest.raises(IngestError) as caught:
        validate_files("voice", [path])
    assert (caught.value.row, caught.value.column) == (None, "caller")
    assert "the column has type list<" in caught.value.reason
    assert RAW_CALLER not in str(caught.value)


def test_an_unclosed_quote_that_swallows_more_than_a_block_is_pinpointed(
    tmp_path: Path, monkeypatch
) -> None:
    # The quote on line 3 runs on past pyarrow's block, so pyarrow fails without a row.
    monkeypatch.setattr(csv_source, "_BLOCK_SIZE", 64 << 10)
    rows = [voice_row()] * 2 + [voice_row(cell_id='"1001')] + [voice_row()] * 5_000
    path = write_csv(tmp_path / "voice.csv", [VOICE_HEADER, *rows])
    with pytest.raises(IngestError) as caught:
        validate_files("voice", [path])
    assert (caught.value.row, caught.value.column) == (4, "cell_id")
    assert caught.value.reason.startswith("unterminated quote")


@pytest.mark.parametrize(
    ("line", "field"),
    [
        (b'a,b,"c', 2),
        (b'"a,b,c', 0),
        (b'a,"b""",c', None),  # a doubled quote is a literal one
        (b'a,"b"""",c', 1),  # two doubled quotes leave it open
        (b'a,"b""c,d', 1),
        (b'a,b"c,d', None),  # a quote inside an unquoted value is literal
        (b"a,b,c", None),
    ],
)
def test_unclosed_quote_follows_the_csv_quoting_rules(line: bytes, field: int | None) -> None:
    assert csv_source._unclosed_quote(line) == field
