"""The whitelist and reinstatement records: numbers the fraud list must leave alone.

Both are CSV files an analyst keeps (and the service stores later):

- whitelist: registered business numbers (couriers, delivery, customer service,
  sales lines...). Columns ``number`` (as dialled; pseudonymised on load, never
  stored raw) or ``subscriber_id`` (the pseudonym), ``category``, ``note``,
  ``added_by``, ``added_at``.
- reinstatements: numbers an analyst cleared after review. Columns
  ``subscriber_id``, ``reason``, ``analyst``, ``reinstated_at``.

A listed number is never put on the day's fraud list; the run writes it to
``suppressed.csv`` instead, with its score, so nothing is hidden from review.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd

from telcolens import csvsafe
from telcolens.errors import BadInput
from telcolens.privacy import mask, normalise, pseudonymise

CATEGORIES = ("courier", "delivery", "customer_service", "sales", "government", "other_business")
WHITELIST_COLUMNS = ("subscriber_id", "category", "note", "added_by", "added_at")
REINSTATEMENT_COLUMNS = ("subscriber_id", "reason", "analyst", "reinstated_at")


class ListError(BadInput):
    """A whitelist or reinstatement file or entry that cannot be used."""


def read_whitelist(path: Path | None) -> pd.DataFrame:
    """The whitelist as (subscriber_id, category, ...); empty when ``path`` is None."""
    if path is None:
        return pd.DataFrame(columns=list(WHITELIST_COLUMNS))
    df = _read(path)
    if "subscriber_id" not in df.columns:
        if "number" not in df.columns:
            raise ListError(f"{path}: a whitelist needs a 'number' or 'subscriber_id' column")
        df["subscriber_id"] = [_pseudonym(path, i, n) for i, n in enumerate(df["number"], 2)]
        df = df.drop(columns="number")
    df["subscriber_id"] = _ids(path, df["subscriber_id"])
    for col in WHITELIST_COLUMNS:
        if col not in df.columns:
            df[col] = ""
    bad = df[~df["category"].isin(CATEGORIES)]
    if len(bad):
        row = bad.index[0] + 2
        raise ListError(
            f"{path}: row {row}, column category: {bad['category'].iloc[0]!r} is not one of "
            f"{', '.join(CATEGORIES)}"
        )
    return df[list(WHITELIST_COLUMNS)]


def read_reinstatements(path: Path | None) -> pd.DataFrame:
    if path is None or not Path(path).exists():
        return pd.DataFrame(columns=list(REINSTATEMENT_COLUMNS))
    df = _read(path)
    missing = [c for c in REINSTATEMENT_COLUMNS if c not in df.columns]
    if missing:
        raise ListError(f"{path}: missing column(s) {', '.join(missing)}")
    df["subscriber_id"] = _ids(path, df["subscriber_id"])
    return df[list(REINSTATEMENT_COLUMNS)]


def merge_whitelists(*frames: pd.DataFrame) -> pd.DataFrame:
    """One whitelist from several (the first entry of a number wins)."""
    merged = pd.concat([f[list(WHITELIST_COLUMNS)] for f in frames], ignore_index=True)
    return merged.drop_duplicates("subscriber_id", keep="first").reset_index(drop=True)


def merge_reinstatements(*frames: pd.DataFrame) -> pd.DataFrame:
    return pd.concat(
        [f[list(REINSTATEMENT_COLUMNS)] for f in frames], ignore_index=True
    ).reset_index(drop=True)


def add_to_whitelist(path: Path, number: str, category: str, note: str, added_by: str) -> int:
    """Append a number (pseudonymised here) to the whitelist; returns its pseudonym."""
    if category not in CATEGORIES:
        raise ListError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    sid = _pseudonym(path, None, number)
    existing = read_whitelist(path) if Path(path).exists() else None
    if existing is not None and (existing.subscriber_id == sid).any():
        raise ListError(f"{path}: that number is already on the whitelist")
    _append(path, WHITELIST_COLUMNS, [sid, category, note, added_by, _now()])
    return sid


def reinstate(path: Path, subscriber_id: int, reason: str, analyst: str) -> None:
    """Record that an analyst cleared a number (its pseudonym) after review."""
    if not reason.strip():
        raise ListError("a reinstatement needs a reason")
    _append(path, REINSTATEMENT_COLUMNS, [subscriber_id, reason, analyst, _now()])


def _read(path: Path) -> pd.DataFrame:
    try:
        return csvsafe.read_frame(path, dtype=str, keep_default_na=False)
    except FileNotFoundError:
        raise ListError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise ListError(f"{path}: cannot read: {exc}") from None


def _ids(path: Path, col: pd.Series) -> pd.Series:
    ids = pd.to_numeric(col, errors="coerce")
    bad = ids.isna() | (ids != ids.round())
    if bad.any():
        row = int(bad.to_numpy().nonzero()[0][0]) + 2
        raise ListError(f"{path}: row {row}, column subscriber_id: not an integer pseudonym")
    return col.astype("int64")


def _pseudonym(path: Path, row: int | None, number: str) -> int:
    if len(normalise(str(number))) < 5:
        where = f"{path}: row {row}, column number" if row else f"{path}"
        raise ListError(f"{where}: not a phone number ({mask(str(number))!r})")
    return pseudonymise(str(number))


def _append(path: Path, columns: tuple[str, ...], values: list[object]) -> None:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    new = not path.exists() or path.stat().st_size == 0
    with path.open("a", newline="", encoding="utf-8") as f:
        w = csvsafe.writer(f)
        if new:
            w.writerow(columns)
        w.writerow(values)


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
