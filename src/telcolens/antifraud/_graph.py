"""Graph features for the fraud model: structure, known labels and propagated scores.

All of them are sparse matrix-vector products over one symmetric 0/1 adjacency matrix, so a
graph of a few million edges takes seconds. A node's own value never enters its own features:
the adjacency has no self-loops, and two-hop sums subtract the walks that return to the node.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import pandas as pd
import scipy.sparse as sp

from telcolens.antifraud._tabular import FraudDataError

STRUCTURAL = ("degree", "two_hop_walks", "neighbour_degree_mean", "neighbour_degree_max")
LABELLED = (
    "labelled_neighbours",
    "fraud_neighbours",
    "fraud_neighbour_share",
    "two_hop_fraud_share",
)
PROPAGATED = ("neighbour_score_mean", "neighbour_score_max", "neighbour_high_score_share")
GRAPH_FEATURES = STRUCTURAL + LABELLED + PROPAGATED
# A stage-1 score at or above this counts a neighbour as "high"; the stage-2 trees pick their
# own splits on the mean and max, so this only needs to be a sensible middle.
HIGH_SCORE = 0.5


class Graph:
    """An undirected graph over subscriber ids, as a sparse adjacency matrix.

    Parameters
    ----------
    edges
        Columns ``src`` and ``dst`` (ids); direction, repeats and self-loops are dropped.
    ids
        Further ids that need a node even without edges (features, training labels).
    """

    def __init__(self, edges: pd.DataFrame, ids: Sequence[pd.Series]) -> None:
        src, dst = edges["src"], edges["dst"]
        as_text = _mixed_kinds([src, dst, *ids])
        parts = [s.astype(str) if as_text else s for s in (src, dst, *ids)]
        self.as_text = as_text
        self.index = pd.Index(pd.unique(pd.concat([p.reset_index(drop=True) for p in parts])))
        s = self.index.get_indexer(parts[0])
        d = self.index.get_indexer(parts[1])
        keep = s != d
        n = len(self.index)
        ones = np.ones(2 * int(keep.sum()), dtype=np.float64)
        rows = np.concatenate([s[keep], d[keep]])
        cols = np.concatenate([d[keep], s[keep]])
        adj = sp.csr_matrix((ones, (rows, cols)), shape=(n, n))
        adj.data[:] = 1.0  # repeated edges were summed; one link is one link
        self.adj = adj
        self.degree = np.asarray(adj.sum(axis=1)).ravel()

    def nodes(self, ids: pd.Series) -> np.ndarray:
        """Positions of ``ids`` in the node index."""
        return self.index.get_indexer(ids.astype(str) if self.as_text else ids)

    def structural(self, rows: np.ndarray) -> pd.DataFrame:
        """Degree, two-hop walks and neighbour degrees of the nodes at ``rows``."""
        a, deg = self.adj, self.degree
        has = deg > 0
        nb_max = _row_max(a, deg)
        return pd.DataFrame(
            {
                "degree": deg[rows],
                "two_hop_walks": (a @ deg - deg)[rows],
                "neighbour_degree_mean": np.where(has, a @ deg / np.maximum(deg, 1), np.nan)[rows],
                "neighbour_degree_max": np.where(has, nb_max, np.nan)[rows],
            }
        )

    def labelled(self, labels: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
        """Known-label features; ``labels`` has one value per node, NaN where unknown."""
        a, deg = self.adj, self.degree
        known = (~np.isnan(labels)).astype(np.float64)
        fraud = np.nan_to_num(labels)
        n_known, n_fraud = a @ known, a @ fraud
        # Two-hop sums minus the deg(i) walks i -> j -> i, which would carry i's own label.
        known2 = a @ n_known - deg * known
        fraud2 = a @ n_fraud - deg * fraud
        return pd.DataFrame(
            {
                "labelled_neighbours": n_known[rows],
                "fraud_neighbours": n_fraud[rows],
                "fraud_neighbour_share": _share(n_fraud, n_known)[rows],
                "two_hop_fraud_share": _share(fraud2, known2)[rows],
            }
        )

    def propagated(self, scores: np.ndarray, rows: np.ndarray) -> pd.DataFrame:
        """Neighbour mean, max and high-score share of stage-1 ``scores`` (NaN where unknown)."""
        a = self.adj
        known = ~np.isnan(scores)
        value = np.where(known, scores, 0.0)
        n_known = a @ known.astype(np.float64)
        high = a @ (known & (value >= HIGH_SCORE)).astype(np.float64)
        top = np.where(n_known > 0, _row_max(a, value), np.nan)
        return pd.DataFrame(
            {
                "neighbour_score_mean": _share(a @ value, n_known)[rows],
                "neighbour_score_max": top[rows],
                "neighbour_high_score_share": _share(high, n_known)[rows],
            }
        )


def check_overlap(graph: Graph, ids: pd.Series, *, source: str) -> np.ndarray:
    """Node positions of ``ids``; an error if none of them has an edge."""
    rows = graph.nodes(ids)
    if len(rows) and not (graph.degree[rows] > 0).any():
        raise FraudDataError(
            f"{source}: no id in column {ids.name!r} appears in the graph's src/dst columns"
        )
    return rows


def _share(part: np.ndarray, whole: np.ndarray) -> np.ndarray:
    return np.where(whole > 0, part / np.maximum(whole, 1e-12), np.nan)


def _row_max(adj: sp.csr_matrix, values: np.ndarray) -> np.ndarray:
    """Per row, the largest ``values`` over its neighbours (0 for a node without any)."""
    weighted = adj.multiply(values[np.newaxis, :]).tocsr()
    return weighted.max(axis=1).toarray().ravel()


def _mixed_kinds(series: Sequence[pd.Series]) -> bool:
    """Whether some ids are numbers and others text (e.g. ids read from CSV vs Parquet)."""
    kinds = {pd.api.types.is_numeric_dtype(s) for s in series if len(s)}
    return len(kinds) > 1
