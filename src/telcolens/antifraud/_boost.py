"""LightGBM fits, out-of-fold scores, sigmoid calibration and the decision threshold."""

from __future__ import annotations

from dataclasses import dataclass

import lightgbm as lgb
import numpy as np
from scipy.optimize import minimize
from scipy.special import expit
from sklearn.metrics import precision_recall_curve
from sklearn.model_selection import StratifiedKFold


@dataclass(frozen=True)
class Boosting:
    """The few LightGBM settings the fraud model exposes, and how to train with them."""

    n_estimators: int
    learning_rate: float
    num_leaves: int
    random_state: int
    n_jobs: int

    def params(self) -> dict[str, object]:
        return {
            "objective": "binary",
            "learning_rate": self.learning_rate,
            "num_leaves": self.num_leaves,
            "min_data_in_leaf": 20,
            "feature_fraction": 0.8,
            "bagging_fraction": 0.8,
            "bagging_freq": 1,
            "seed": self.random_state,
            "num_threads": self.n_jobs,
            # Same model from the same data and seed, whatever the thread timing.
            "deterministic": True,
            "force_col_wise": True,
            "verbose": -1,
        }

    def train(self, X: np.ndarray, y: np.ndarray) -> lgb.Booster:
        # LightGBM sees positional names; ours may hold characters it refuses (JSON, spaces).
        data = lgb.Dataset(X, label=y, feature_name=[f"f{i}" for i in range(X.shape[1])])
        return lgb.train(self.params(), data, num_boost_round=self.n_estimators)

    def out_of_fold(
        self, X: np.ndarray, y: np.ndarray, folds: int, *, raw: bool = False
    ) -> np.ndarray:
        """Each row's score (probability, or log-odds if ``raw``) from a model that did not
        see it (stratified ``folds``)."""
        oof = np.empty(len(y), dtype=np.float64)
        split = StratifiedKFold(folds, shuffle=True, random_state=self.random_state)
        for fit_rows, held in split.split(X, y):
            booster = self.train(X[fit_rows], y[fit_rows])
            oof[held] = booster.predict(X[held], raw_score=raw)
        return oof


def fit_calibration(margin: np.ndarray, y: np.ndarray) -> tuple[float, float]:
    """Platt scaling: ``(a, b)`` with P(fraud) = sigmoid(a * margin + b), by maximum likelihood.

    A sigmoid rather than isotonic steps: it keeps the trees' ranking (isotonic ties cost AUC)
    and is two numbers to store.
    """

    def loss(ab: np.ndarray) -> tuple[float, np.ndarray]:
        z = ab[0] * margin + ab[1]
        residual = expit(z) - y
        return float(np.sum(np.logaddexp(0.0, z) - y * z)), np.array(
            [np.dot(residual, margin), residual.sum()]
        )

    a, b = minimize(loss, np.array([1.0, 0.0]), jac=True, method="BFGS").x
    # A model no better than chance could get a <= 0; keep scores increasing in the margin.
    return max(float(a), 1e-6), float(b)


def calibrate(margin: np.ndarray, a: float, b: float) -> np.ndarray:
    """Calibrated probability from LightGBM log-odds."""
    return expit(a * margin + b)


def choose_threshold(y: np.ndarray, score: np.ndarray, min_precision: float | None) -> float:
    """The threshold (flag when score >= it) that maximises F1, or, with ``min_precision``,
    the one with the highest recall whose precision reaches it (else the most precise one)."""
    precision, recall, thresholds = precision_recall_curve(y, score)
    precision, recall = precision[:-1], recall[:-1]
    if min_precision is None:
        f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
        return float(thresholds[int(np.argmax(f1))])
    ok = precision >= min_precision
    if not ok.any():
        return float(thresholds[int(np.argmax(precision))])
    return float(thresholds[int(np.argmax(np.where(ok, recall, -1.0)))])
