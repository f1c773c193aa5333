"""Reading and checking the fraud model's input tables: features, labels, ids, graph edges."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from telcolens.errors import BadInput


class FraudDataError(BadInput):
    """Input the fraud model cannot use; the message names the file (or argument) and column."""


def read_table(path: Path) -> pd.DataFrame:
    """Read a CSV or Parquet file, chosen by its suffix."""
    suffix = path.suffix.lower()
    if suffix not in {".csv", ".parquet", ".pq"}:
        raise FraudDataError(
            f"{path}: unknown format {suffix or '(no suffix)'!r}; use .csv or .parquet"
        )
    try:
        if suffix == ".csv":
            return pd.read_csv(path, low_memory=False)
        return pd.read_parquet(path)
    except FileNotFoundError:
        raise FraudDataError(f"{path}: no such file") from None
    except (OSError, ValueError, pd.errors.ParserError) as exc:
        raise FraudDataError(f"{path}: cannot read it ({exc})") from None


def read_graph(path: Path) -> pd.DataFrame:
    """Read an edge file with columns ``src`` and ``dst``."""
    edges = read_table(path)
    return check_graph(edges, source=str(path))


def check_graph(edges: pd.DataFrame, *, source: str = "graph") -> pd.DataFrame:
    """Columns ``src`` and ``dst`` of ``edges``, without rows where either is missing."""
    missing = [c for c in ("src", "dst") if c not in edges.columns]
    if missing:
        raise FraudDataError(
            f"{source}: an edge table needs columns src and dst; missing {', '.join(missing)}"
            f" (found {_names(edges.columns)})"
        )
    return edges[["src", "dst"]].dropna()


def check_ids(ids: pd.Series, *, source: str = "ids") -> pd.Series:
    """``ids`` if none is missing or repeated."""
    column = ids.name if ids.name is not None else "id"
    nulls = int(ids.isna().sum())
    if nulls:
        raise FraudDataError(f"{source}: id column {column!r} has {nulls:,} missing values")
    dup = ids[ids.duplicated()]
    if len(dup):
        raise FraudDataError(
            f"{source}: id column {column!r} has {len(dup):,} duplicate ids, e.g. {_examples(dup)}"
        )
    return ids.rename(column)


def check_labels(
    y: pd.Series | np.ndarray, *, source: str = "y", column: str = "label"
) -> np.ndarray:
    """``y`` as an int array of 0/1, with both classes present."""
    s = pd.Series(np.asarray(y, dtype=object) if not isinstance(y, pd.Series) else y)
    bad = s[~s.isin([0, 1]) | s.isna()]
    if len(bad):
        raise FraudDataError(
            f"{source}: label column {column!r} must hold 0 or 1; found {_examples(bad.unique())}"
        )
    labels = s.astype(int).to_numpy()
    if labels.min() == labels.max():
        raise FraudDataError(f"{source}: label column {column!r} holds only {labels[0]}; need both")
    return labels


def numeric_features(frame: pd.DataFrame, *, source: str = "X") -> pd.DataFrame:
    """``frame`` as float64, refusing columns that hold text."""
    if frame.shape[1] == 0:
        raise FraudDataError(f"{source}: no feature columns")
    out = {}
    for col in frame.columns:
        values = frame[col]
        if pd.api.types.is_bool_dtype(values) or pd.api.types.is_numeric_dtype(values):
            out[col] = values.astype("float64")
            continue
        converted = pd.to_numeric(values, errors="coerce")
        text = values[converted.isna() & values.notna()]
        if len(text):
            raise FraudDataError(
                f"{source}: feature column {col!r} is not numeric, e.g. {_examples(text.unique())}"
            )
        out[col] = converted.astype("float64")
    return pd.DataFrame(out, index=frame.index)


def training_table(
    table: pd.DataFrame, *, id_column: str, label_column: str, source: str
) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Split a labelled table into features, labels and ids."""
    for column, what in ((id_column, "id"), (label_column, "label")):
        if column not in table.columns:
            raise FraudDataError(
                f"{source}: no {what} column {column!r} (columns: {_names(table.columns)})"
            )
    ids = check_ids(table[id_column], source=source)
    y = check_labels(table[label_column], source=source, column=label_column)
    X = numeric_features(table.drop(columns=[id_column, label_column]), source=source)
    return X, y, ids


def scoring_table(
    table: pd.DataFrame,
    *,
    id_column: str,
    feature_names: Sequence[str],
    label_column: str | None,
    source: str,
) -> tuple[pd.DataFrame, pd.Series]:
    """Features (in the model's column order) and ids of a table to score."""
    if id_column not in table.columns:
        raise FraudDataError(
            f"{source}: no id column {id_column!r} (columns: {_names(table.columns)})"
        )
    ids = check_ids(table[id_column], source=source)
    ignored = {id_column, label_column}
    missing = [c for c in feature_names if c not in table.columns]
    extra = [c for c in table.columns if c not in set(feature_names) and c not in ignored]
    if missing or extra:
        parts = [
            f"missing {_names(missing)}" if missing else "",
            f"extra {_names(extra)}" if extra else "",
        ]
        raise FraudDataError(
            f"{source}: columns do not match the model's features: "
            + "; ".join(p for p in parts if p)
        )
    return numeric_features(table[list(feature_names)], source=source), ids


def _names(columns: Sequence[object], limit: int = 8) -> str:
    shown = ", ".join(str(c) for c in list(columns)[:limit])
    more = len(columns) - limit
    return shown + (f" and {more} more" if more > 0 else "")


def _examples(values: Sequence[object], limit: int = 3) -> str:
    # .item(): numpy scalars would show as np.int64(-1)
    return ", ".join(repr(getattr(v, "item", lambda v=v: v)()) for v in list(values)[:limit])
