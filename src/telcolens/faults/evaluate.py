"""Score a learned cause -> effect edge list against a true causal graph over alarm types."""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np
import pandas as pd

from telcolens.faults._input import FaultInputError


@dataclass(frozen=True)
class EdgeScores:
    """Directed-edge scores; self-loops are left out on both sides."""

    true_positives: int
    false_positives: int
    false_negatives: int
    precision: float
    recall: float
    f1: float
    g_score: float

    def as_dict(self) -> dict[str, float]:
        return asdict(self)


def score_edges(edges: pd.DataFrame, dag: np.ndarray) -> EdgeScores:
    """Precision, recall, F1 and g-score = max(0, TP - FP) / (TP + FN) of ``edges``.

    ``edges`` has columns cause, effect; ``dag[i, j] = 1`` means type i causes type j.
    """
    truth = np.asarray(dag) != 0
    v = len(truth)
    learned = np.zeros((v, v), dtype=bool)
    cause = edges["cause"].to_numpy(dtype=np.int64)
    effect = edges["effect"].to_numpy(dtype=np.int64)
    if np.any((cause < 0) | (cause >= v) | (effect < 0) | (effect >= v)):
        raise FaultInputError(f"edges name alarm types outside 0..{v - 1}")
    learned[cause, effect] = True
    off_diagonal = ~np.eye(v, dtype=bool)
    truth &= off_diagonal
    learned &= off_diagonal
    tp = int((learned & truth).sum())
    fp = int((learned & ~truth).sum())
    fn = int((~learned & truth).sum())
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    g_score = max(0, tp - fp) / (tp + fn) if tp + fn else 0.0
    return EdgeScores(tp, fp, fn, precision, recall, f1, g_score)
