"""Spreadsheet formula neutralisation for the CSV files telcolens writes for people.

A text cell whose first character is ``=``, ``+``, ``-``, ``@``, a tab or a carriage
return is taken for a formula when the file is opened in Excel, LibreOffice or Google
Sheets, and values that came in through ingest (a device id, a city or cell name, an
outlet code, a reason an analyst typed) can be one: ``=cmd|' /C calc'!A0``. As OWASP's
CSV injection guidance recommends (https://owasp.org/www-community/attacks/CSV_Injection),
such a cell is written with a single quote in front, which a spreadsheet shows as text.

Only text is touched. Numbers are written as they are, and so is text that is exactly a
number (a pseudonym such as ``-7195415152231158087`` in a text column): a spreadsheet reads
it as a constant, never as a formula, and negative numbers stay numbers.

Every CSV telcolens writes for people goes through :func:`write_frame`, :func:`writer` or
:func:`dict_writer`. Code that reads one back uses :func:`read_frame` (or :func:`restore`),
which returns the original values: a value that already starts with quotes before a
trigger character gets one more, so that stripping one is exact. Files that are machine
input only (``antifraud.replay``'s CDR files for the watcher) are written plainly.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

TRIGGERS = ("=", "+", "-", "@", "\t", "\r")
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
# A value restore() unwraps: quotes, then a trigger (what neutralise() makes).
_NEUTRALISED = re.compile(r"'+[=+\-@\t\r]")


def neutralise(value: Any) -> Any:
    """``value`` with a ``'`` in front if it is text a spreadsheet would run as a formula."""
    if not isinstance(value, str) or not value:
        return value
    if value.startswith(TRIGGERS) and not _NUMBER.fullmatch(value):
        return "'" + value
    if _NEUTRALISED.match(value):  # keep the round trip exact for values like "'=x"
        return "'" + value
    return value


def restore(value: Any) -> Any:
    """The value :func:`neutralise` was given, from what it returned."""
    if isinstance(value, str) and _NEUTRALISED.match(value):
        return value[1:]
    return value


def neutralise_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its text cells and column names neutralised."""
    return _each_text_cell(frame, neutralise)


def restore_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy of ``frame`` with its text cells and column names restored."""
    return _each_text_cell(frame, restore)


def write_frame(frame: pd.DataFrame, path: Path | str | IO[str], **to_csv: Any) -> None:
    """Write ``frame`` as CSV (no index unless asked), text cells neutralised.

    Lines end in CRLF (RFC 4180): with pandas' default LF the csv module leaves a value
    holding a carriage return unquoted, and a spreadsheet starts a new row there, so the
    rest of the value would reach it as a cell of its own, un-neutralised.
    """
    to_csv.setdefault("index", False)
    to_csv.setdefault("lineterminator", "\r\n")
    neutralise_frame(frame).to_csv(path, **to_csv)


def read_frame(path: Path | str | IO[str], **read_csv: Any) -> pd.DataFrame:
    """Read a CSV written by :func:`write_frame` (``pd.read_csv`` arguments), values restored."""
    return restore_frame(pd.read_csv(path, **read_csv))


def writer(file: IO[str], **fmt: Any) -> _Writer:
    """A ``csv.writer`` over ``file`` whose rows are neutralised cell by cell."""
    return _Writer(csv.writer(file, **fmt))


def dict_writer(file: IO[str], fieldnames: Sequence[str], **fmt: Any) -> _DictWriter:
    """A ``csv.DictWriter`` over ``file`` whose rows are neutralised cell by cell."""
    return _DictWriter(csv.DictWriter(file, fieldnames=fieldnames, **fmt))


class _Writer:
    def __init__(self, inner) -> None:
        self._inner = inner

    def writerow(self, row: Iterable[Any]) -> None:
        self._inner.writerow([neutralise(v) for v in row])

    def writerows(self, rows: Iterable[Iterable[Any]]) -> None:
        for row in rows:
            self.writerow(row)


class _DictWriter:
    def __init__(self, inner: csv.DictWriter) -> None:
        self._inner = inner

    def writeheader(self) -> None:
        self._inner.writerow({name: neutralise(name) for name in self._inner.fieldnames})

    def writerow(self, row: Mapping[str, Any]) -> None:
        self._inner.writerow({k: neutralise(v) for k, v in row.items()})

    def writerows(self, rows: Iterable[Mapping[str, Any]]) -> None:
        for row in rows:
            self.writerow(row)


def _each_text_cell(frame: pd.DataFrame, fn) -> pd.DataFrame:
    out = frame.copy(deep=False)
    for i in range(frame.shape[1]):  # by position: column names may repeat
        values = frame.iloc[:, i]
        if _is_text(values):
            out.isetitem(i, values.astype(object).map(fn))
    return out.set_axis([fn(c) for c in frame.columns], axis=1)


def _is_text(values: pd.Series) -> bool:
    dtype = values.dtype
    return (
        pd.api.types.is_object_dtype(dtype)
        or pd.api.types.is_string_dtype(dtype)
        or isinstance(dtype, pd.CategoricalDtype)
    )
