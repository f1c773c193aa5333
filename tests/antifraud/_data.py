"""Small synthetic subscribers and graphs for the fraud-model tests."""

from __future__ import annotations

import numpy as np
import pandas as pd


def subscribers(n: int = 400, seed: int = 0) -> tuple[pd.DataFrame, np.ndarray, pd.Series]:
    """Features where f0 and f1 carry the fraud signal, f2 is noise, f3 a bool, f4 has NaN."""
    rng = np.random.default_rng(seed)
    y = (rng.random(n) < 0.3).astype(int)
    X = pd.DataFrame(
        {
            "f0": rng.normal(size=n) + 1.5 * y,
            "f1": rng.normal(size=n) + 1.0 * y,
            "f2": rng.normal(size=n),
            "f3": rng.random(n) < 0.5,
            "f4": np.where(rng.random(n) < 0.2, np.nan, rng.normal(size=n)),
        }
    )
    ids = pd.Series(np.arange(1000, 1000 + n, dtype=np.int64), name="msisdn")
    return X, y, ids


def rings(ids: pd.Series, y: np.ndarray, seed: int = 0, *, extra: int = 0) -> pd.DataFrame:
    """Fraud numbers linked among themselves, normal ones among themselves, few across.

    ``extra`` adds that many graph-only nodes (ids outside the features) linked at random.
    """
    rng = np.random.default_rng(seed)
    ids = ids.to_numpy()
    src, dst = [], []
    for group in (ids[y == 1], ids[y == 0]):
        src.append(rng.choice(group, 4 * len(group)))
        dst.append(rng.choice(group, 4 * len(group)))
    src.append(rng.choice(ids, len(ids) // 4))
    dst.append(rng.choice(ids, len(ids) // 4))
    if extra:
        outsiders = np.arange(10**9, 10**9 + extra, dtype=np.int64)
        src.append(rng.choice(outsiders, 2 * extra))
        dst.append(rng.choice(ids, 2 * extra))
    return pd.DataFrame({"src": np.concatenate(src), "dst": np.concatenate(dst)})
