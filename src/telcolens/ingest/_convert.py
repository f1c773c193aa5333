"""Vectorised conversion and checking of one input column against its schema Column.

Nothing here knows about files: a check returns the 0-based index of the first
offending value and a reason, and the caller turns that into a line or row
number. Every check is one pyarrow.compute pass over the column; locating a
value that a cast rejects takes a bisection of casts (about two passes).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from telcolens.privacy import mask
from telcolens.schema import Column

# The text forms accepted for typed columns. pyarrow's own casts are more lenient
# (a date-only string becomes a midnight timestamp), so the format is checked first.
_PATTERNS = {
    "integer": r"^-?[0-9]+$",
    "number": r"^[+-]?([0-9]+(\.[0-9]*)?|\.[0-9]+)([eE][+-]?[0-9]+)?$",
    "timestamp": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]{1,6})?$",
    "date": r"^[0-9]{4}-[0-9]{2}-[0-9]{2}$",
}
# Phone numbers and IMEIs: digits with the usual separators. Anything else (an 'N/A',
# a name) would otherwise normalise to the same empty string and share one pseudonym.
_IDENTIFIER = r"^[0-9 +()\-]*[0-9][0-9 +()\-]*$"
_IDENTIFIER_KINDS = {"number": "a phone number", "imei": "an IMEI"}
_EXPECTED = {
    "integer": "is not an integer",
    "number": "is not a number",
    "timestamp": "is not a timestamp (expected 'YYYY-MM-DD HH:MM:SS' or 'YYYY-MM-DDTHH:MM:SS')",
    "date": "is not a date (expected 'YYYY-MM-DD')",
}
_CAST_ERRORS = (pa.ArrowInvalid, pa.ArrowNotImplementedError, pa.ArrowTypeError)


@dataclass(frozen=True)
class Problem:
    """The first bad value of a column: ``index`` is 0-based, None for the whole column."""

    index: int | None
    reason: str


def show(value: object, column: Column) -> str:
    """A value as an error message may show it: short, and masked if it identifies someone."""
    text = repr(value)
    if len(text) > 40:
        text = text[:37] + "..."
    if not column.pseudonym:
        return text
    masked = mask(text)
    # mask() leaves digit runs glued to letters ('13812345678a') alone; an identifier
    # must not leak that way, so anything still long and digit-bearing is starred.
    if re.search(r"[0-9]{4}", masked):
        inner = text[1:-1]
        masked = repr(inner[:3] + "*" * max(len(inner) - 5, 1) + inner[-2:])
    return masked


def convert(arr: pa.Array, column: Column) -> tuple[pa.Array, Problem | None]:
    """``arr`` cast to the column's input type, and the column's first problem, if any.

    When there is a problem the returned array holds only the values before it.
    """
    problems: list[Problem] = []
    if not column.nullable:
        first_null = _first(pc.is_null(arr))
        if first_null is not None:
            problems.append(Problem(first_null, "empty value in a column that must not be empty"))
    converted, cast_problem = _cast(_plain(arr), column)
    if cast_problem is not None:
        problems.append(cast_problem)
    problems.extend(_constraints(converted, column))
    return converted, _earliest(problems)


def _plain(arr: pa.Array) -> pa.Array:
    """Dictionary-encoded and large strings (common in Parquet) as plain values."""
    if pa.types.is_dictionary(arr.type):
        arr = arr.dictionary_decode()
    if pa.types.is_large_string(arr.type):
        arr = arr.cast(pa.string())
    return arr


def _cast(arr: pa.Array, column: Column) -> tuple[pa.Array, Problem | None]:
    target = column.input_dtype
    if arr.type == target:
        return arr, None
    if not _castable(arr.type, target):
        return pa.array([], target), Problem(
            None, f"the column has type {arr.type}, which cannot be read as {target}"
        )
    if pa.types.is_timestamp(arr.type) and arr.type.tz is not None:
        return pa.array([], target), Problem(
            None,
            f"timestamps carry time zone {arr.type.tz!r}; expected naive China Standard "
            "Time (no zone)",
        )
    family = _family(target)
    bad_format = None
    if pa.types.is_string(arr.type) and family is not None:
        ok = pc.match_substring_regex(arr, _PATTERNS[family])
        bad_format = _first(pc.invert(pc.fill_null(ok, True)))
    good = arr if bad_format is None else arr.slice(0, bad_format)
    try:
        converted, bad_cast = good.cast(target), None
    except _CAST_ERRORS:
        bad_cast = _first_cast_failure(good, target)
        converted = good.slice(0, bad_cast).cast(target)
    if bad_cast is not None:
        return converted, Problem(bad_cast, _cast_reason(good[bad_cast].as_py(), column, family))
    if bad_format is not None:
        value = show(arr[bad_format].as_py(), column)
        return converted, Problem(bad_format, f"{value} {_EXPECTED[family]}")
    return converted, None


def _castable(source: pa.DataType, target: pa.DataType) -> bool:
    try:
        pa.array([], source).cast(target)
    except _CAST_ERRORS:
        return False
    return True


def _family(dtype: pa.DataType) -> str | None:
    if pa.types.is_integer(dtype):
        return "integer"
    if pa.types.is_floating(dtype):
        return "number"
    if pa.types.is_timestamp(dtype):
        return "timestamp"
    if pa.types.is_date(dtype):
        return "date"
    return None


def _cast_reason(value: object, column: Column, family: str | None) -> str:
    shown = show(value, column)
    if family == "integer" and isinstance(value, str | int):
        return f"{shown} is out of range for {column.input_dtype}"
    if family in ("timestamp", "date"):
        return f"{shown} is not a valid {family}"
    return f"{shown} cannot be read as {column.input_dtype}"


def _first_cast_failure(arr: pa.Array, target: pa.DataType) -> int:
    """Index of the first value of ``arr`` (known to fail as a whole) that will not cast."""
    lo, hi = 0, len(arr)  # arr[:lo] casts; arr[lo:hi] holds a failure
    while hi - lo > 1:
        mid = (lo + hi) // 2
        try:
            arr.slice(lo, mid - lo).cast(target)
        except _CAST_ERRORS:
            hi = mid
        else:
            lo = mid
    return lo


def _constraints(arr: pa.Array, column: Column) -> list[Problem]:
    problems = []
    if column.pseudonym in _IDENTIFIER_KINDS:
        ok = pc.fill_null(pc.match_substring_regex(arr, _IDENTIFIER), True)
        odd = _first(pc.invert(ok))
        if odd is not None:
            value = show(arr[odd].as_py(), column)
            problems.append(Problem(odd, f"{value} is not {_IDENTIFIER_KINDS[column.pseudonym]}"))
    if pa.types.is_floating(arr.type):
        nan = _first(pc.fill_null(pc.is_nan(arr), False))
        if nan is not None:
            problems.append(Problem(nan, "NaN is not a number"))
    if column.minimum is not None:
        below = _first(pc.fill_null(pc.less(arr, column.minimum), False))
        if below is not None:
            problems.append(Problem(below, _below(arr[below].as_py(), column)))
    if column.maximum is not None:
        above = _first(pc.fill_null(pc.greater(arr, column.maximum), False))
        if above is not None:
            value = show(arr[above].as_py(), column)
            problems.append(
                Problem(above, f"value {value} above maximum (must be <= {column.maximum:g})")
            )
    if column.allowed is not None:
        valid = pc.is_in(arr, value_set=pa.array(column.allowed, arr.type))
        other = _first(pc.and_(pc.invert(valid), pc.is_valid(arr)))
        if other is not None:
            allowed = ", ".join(repr(a) for a in column.allowed)
            value = show(arr[other].as_py(), column)
            problems.append(Problem(other, f"value {value} not allowed (allowed: {allowed})"))
    return problems


def _below(value: object, column: Column) -> str:
    shown = show(value, column)
    if column.minimum == 0:
        return f"negative value {shown} (must be >= 0)"
    return f"value {shown} below minimum (must be >= {column.minimum:g})"


def _first(mask_array: pa.Array) -> int | None:
    """Index of the first true value, or None."""
    index = pc.index(mask_array, True).as_py()
    return None if index < 0 else index


def _earliest(problems: list[Problem]) -> Problem | None:
    """The problem in the earliest row; a whole-column problem comes first."""
    if not problems:
        return None
    return min(problems, key=lambda p: -1 if p.index is None else p.index)
