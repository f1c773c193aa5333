"""Per-subscriber reasons: the features whose contributions pushed the score up most."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np

TOP = 3


def reasons(
    contrib: np.ndarray,
    values: np.ndarray,
    names: Sequence[str],
    labels: Mapping[str, str] | None = None,
    *,
    force: np.ndarray | None = None,
    top: int = TOP,
) -> list[str]:
    """One text per row, e.g. ``"opposite_unique=299 (+1.8); call_dur_median=37.5 (+0.9)"``.

    Parameters
    ----------
    contrib
        Per-row, per-feature contributions to the log-odds (LightGBM ``pred_contrib`` without
        its last, bias column).
    values
        The feature values the model saw, same shape.
    names, labels
        Feature names, and optional human labels that replace them in the text.
    force
        Rows that must get a reason even when no contribution is positive (flagged rows): they
        get their largest contribution.
    """
    shown = [(labels or {}).get(name, name) for name in names]
    k = min(top, contrib.shape[1])
    order = np.argsort(-contrib, axis=1, kind="stable")[:, :k]
    best = np.take_along_axis(contrib, order, axis=1)
    must = np.zeros(len(contrib), dtype=bool) if force is None else np.asarray(force, dtype=bool)
    out = []
    for i in range(len(contrib)):
        picked = [j for j, c in zip(order[i], best[i], strict=True) if c > 0]
        if not picked and must[i]:
            picked = [order[i][0]]
        out.append(
            "; ".join(f"{shown[j]}={_value(values[i, j])} ({contrib[i, j]:+.2f})" for j in picked)
        )
    return out


def _value(v: float) -> str:
    if np.isnan(v):
        return "missing"
    if float(v).is_integer() and abs(v) < 1e15:
        return str(int(v))
    return f"{v:.3g}"
