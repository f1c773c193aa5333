"""From per-pair evidence to a directed acyclic graph over alarm types."""

from __future__ import annotations

import numpy as np


def greedy_dag(strength: np.ndarray) -> np.ndarray:
    """Keep positive-strength edges, strongest first, skipping any that would close a cycle.

    A true causal graph over alarm types is acyclic, so when a->b and b->a (or a longer
    cycle) are both supported, the weaker evidence gives way.
    """
    v = len(strength)
    reach = np.eye(v, dtype=bool)  # reach[x, y]: a directed path x -> ... -> y is kept
    kept = np.zeros((v, v), dtype=bool)
    order = np.argsort(-strength, axis=None, kind="stable")
    for flat in order:
        i, j = divmod(int(flat), v)
        if strength[i, j] <= 0 or i == j:
            continue
        if reach[j, i]:
            continue
        kept[i, j] = True
        reach |= reach[:, [i]] & reach[[j], :]
    return kept
