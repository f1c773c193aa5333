"""Reading and checking the alarm, topology, causes and DAG files the commands take."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from telcolens.errors import BadInput

ALARM_COLUMNS = ("alarm_id", "device_id", "start_timestamp")
EDGE_COLUMNS = ("cause", "effect")


class FaultInputError(BadInput):
    """An input file cannot be used; the message names the file and what is wrong."""


def read_table(path: Path, required: tuple[str, ...]) -> pd.DataFrame:
    """A CSV with the ``required`` columns, each holding non-negative integers."""
    try:
        frame = pd.read_csv(path)
    except FileNotFoundError:
        raise FaultInputError(f"{path}: no such file") from None
    except pd.errors.EmptyDataError:
        raise FaultInputError(f"{path}: the file is empty") from None
    missing = [c for c in required if c not in frame.columns]
    if missing:
        raise FaultInputError(
            f"{path}: missing column(s) {', '.join(missing)}; found {', '.join(frame.columns)}"
        )
    if frame.empty:
        raise FaultInputError(f"{path}: the file has a header but no rows")
    for column in required:
        frame[column] = _integers(frame[column], path, column)
    return frame


def _integers(values: pd.Series, path: Path, column: str) -> pd.Series:
    numbers = pd.to_numeric(values, errors="coerce")
    bad = numbers.isna() | (numbers % 1 != 0) | (numbers < 0)
    if bad.any():
        row = int(np.flatnonzero(bad.to_numpy())[0])
        raise FaultInputError(
            f"{path}: column {column} must hold non-negative integers; "
            f"row {row + 2} has '{values.iloc[row]}'"
        )
    return numbers.astype(np.int64)


def read_square(path: Path, what: str) -> np.ndarray:
    """A square 2-D 0/1 matrix from a .npy file."""
    try:
        matrix = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise FaultInputError(f"{path}: no such file") from None
    except (ValueError, OSError, EOFError) as exc:
        raise FaultInputError(f"{path}: not a readable .npy {what} ({exc})") from None
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise FaultInputError(f"{path}: the {what} must be a square matrix, got {matrix.shape}")
    if not np.isin(matrix, (0, 1)).all():
        raise FaultInputError(f"{path}: the {what} must hold only 0 and 1")
    return matrix.astype(np.int64)


def check_topology(topology: np.ndarray, path: Path, alarms: pd.DataFrame, source: Path) -> None:
    """Every device id in the alarms must be a row of the topology."""
    largest = int(alarms["device_id"].max())
    if largest >= len(topology):
        raise FaultInputError(
            f"{path}: the topology covers devices 0..{len(topology) - 1}, but column "
            f"device_id of {source} goes up to {largest}"
        )
