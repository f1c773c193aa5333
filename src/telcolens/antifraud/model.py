"""The generic fraud model: gradient-boosted trees plus the subscriber graph.

Without a graph it is one LightGBM model on the subscriber's own features. With a graph it
has two stages. Stage 1 adds structural graph features; its out-of-fold scores for the
training subscribers (and plain predictions for new ones) are then propagated: stage 2 adds
each subscriber's neighbour score mean/max/high share and the fraud labels known among its
neighbours (training labels only, never the subscriber's own). The final scores are
calibrated with a sigmoid (Platt scaling) fitted on out-of-fold scores, and the decision threshold
is chosen on those same out-of-fold scores, so on training data only.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

import lightgbm as lgb
import numpy as np
import pandas as pd
import sklearn
from sklearn.base import BaseEstimator
from sklearn.metrics import f1_score, precision_score, recall_score, roc_auc_score

from telcolens import __version__
from telcolens.antifraud._boost import (
    Boosting,
    calibrate,
    choose_threshold,
    fit_calibration,
)
from telcolens.antifraud._graph import (
    GRAPH_FEATURES,
    LABELLED,
    PROPAGATED,
    STRUCTURAL,
    Graph,
    check_overlap,
)
from telcolens.antifraud._reasons import reasons
from telcolens.antifraud._tabular import (
    FraudDataError,
    check_graph,
    check_ids,
    check_labels,
    numeric_features,
)

FORMAT = "telcolens-fraud-model"
FORMAT_VERSION = 1
# Rows scoring at least this share of the threshold get reasons (the rest get "").
REASON_FROM = 0.5
META, STAGE1, FINAL, TRAINING = "model.json", "stage1.txt", "booster.txt", "training.parquet"


class FraudModel(BaseEstimator):
    """Per-subscriber fraud scores with reasons, from labelled subscribers and their graph.

    Parameters
    ----------
    random_state
        Seed for the folds and for LightGBM; the same data and seed give the same model.
    n_estimators, learning_rate, num_leaves
        LightGBM's trees.
    folds
        Internal folds for the out-of-fold scores (propagation, calibration, threshold).
    min_precision
        If set, the threshold is the highest-recall one whose out-of-fold precision reaches
        it; otherwise the one with the best out-of-fold F1.
    n_jobs
        LightGBM threads.
    feature_labels
        Optional human labels for features, used in the reasons.
    """

    def __init__(
        self,
        *,
        random_state: int = 0,
        n_estimators: int = 300,
        learning_rate: float = 0.05,
        num_leaves: int = 31,
        folds: int = 5,
        min_precision: float | None = None,
        n_jobs: int = 2,
        feature_labels: Mapping[str, str] | None = None,
    ) -> None:
        self.random_state = random_state
        self.n_estimators = n_estimators
        self.learning_rate = learning_rate
        self.num_leaves = num_leaves
        self.folds = folds
        self.min_precision = min_precision
        self.n_jobs = n_jobs
        self.feature_labels = feature_labels

    def fit(
        self,
        X: pd.DataFrame,
        y: pd.Series | np.ndarray,
        ids: pd.Series,
        graph: pd.DataFrame | None = None,
    ) -> FraudModel:
        """Train on labelled subscribers ``X``/``y`` named by ``ids``; ``graph``: src, dst."""
        X = numeric_features(X, source="X")
        ids = check_ids(pd.Series(ids).reset_index(drop=True), source="ids")
        labels = check_labels(y, source="y", column=getattr(y, "name", None) or "label")
        self._check_sizes(X, labels, ids)
        self.feature_names_ = list(X.columns)
        self.id_name_ = str(ids.name)
        boost = self._boosting()
        base = X.to_numpy()
        self.train_ids_, self.train_labels_, self.train_stage1_ = None, None, None
        self.stage1_ = None
        if graph is None:
            self.design_names_ = list(self.feature_names_)
            design = base
        else:
            g = Graph(check_graph(graph), [ids])
            rows = check_overlap(g, ids, source="graph")
            first = np.hstack([base, g.structural(rows).to_numpy()])
            self.stage1_ = boost.train(first, labels)
            self.train_ids_, self.train_labels_ = ids, labels
            self.train_stage1_ = boost.out_of_fold(first, labels, self.folds)
            self.design_names_ = [*self.feature_names_, *STRUCTURAL, *LABELLED, *PROPAGATED]
            design = self._second(g, rows, first, self.train_stage1_)
        self.booster_ = boost.train(design, labels)
        oof = boost.out_of_fold(design, labels, self.folds, raw=True)
        self.calibration_ = fit_calibration(oof, labels)
        self.oof_score_ = calibrate(oof, *self.calibration_)
        self.threshold_ = choose_threshold(labels, self.oof_score_, self.min_precision)
        self.training_summary_ = _summary(labels, self.oof_score_, self.threshold_)
        return self

    def score(
        self, X: pd.DataFrame, ids: pd.Series, graph: pd.DataFrame | None = None
    ) -> pd.DataFrame:
        """Columns: the id (named as at training), ``score``, ``flagged``, ``reasons``."""
        self._check_fitted()
        missing = [c for c in self.feature_names_ if c not in X.columns]
        if missing:
            raise FraudDataError(f"X: missing feature columns {', '.join(missing)}")
        X = numeric_features(X[self.feature_names_], source="X")
        ids = check_ids(pd.Series(ids).reset_index(drop=True), source="ids")
        self._check_sizes(X, None, ids)
        base = X.to_numpy()
        if (graph is None) != (self.stage1_ is None):
            had = "with" if self.stage1_ is not None else "without"
            raise FraudDataError(f"graph: this model was trained {had} a graph; score it so too")
        if graph is None:
            design = base
        else:
            g = Graph(check_graph(graph), [ids, self.train_ids_])
            rows = g.nodes(ids)
            first = np.hstack([base, g.structural(rows).to_numpy()])
            design = self._second(g, rows, first, self.stage1_.predict(first))
        raw = self.booster_.predict(design, raw_score=True)
        score = calibrate(raw, *self.calibration_)
        flagged = score >= self.threshold_
        # Contributions (TreeSHAP) cost about a millisecond a row, so they are worked out
        # only where a reason is read: flagged rows and near misses (half the threshold up).
        text = np.full(len(score), "", dtype=object)
        near = np.flatnonzero(score >= self.threshold_ * REASON_FROM)
        if len(near):
            contrib = self.booster_.predict(design[near], pred_contrib=True)[:, :-1]
            text[near] = reasons(
                contrib, design[near], self.design_names_, self.feature_labels, force=flagged[near]
            )
        return pd.DataFrame(
            {
                self.id_name_: ids.to_numpy(),
                "score": score,
                "flagged": flagged.astype(int),
                "reasons": text,
            }
        )

    def save(self, model_dir: Path) -> Path:
        """Write the model to ``model_dir`` (LightGBM text, JSON, and Parquet; no pickles)."""
        self._check_fitted()
        model_dir = Path(model_dir)
        model_dir.mkdir(parents=True, exist_ok=True)
        self.booster_.save_model(model_dir / FINAL)
        if self.stage1_ is not None:
            self.stage1_.save_model(model_dir / STAGE1)
            pd.DataFrame(
                {
                    self.id_name_: self.train_ids_,
                    "label": self.train_labels_,
                    "stage1_oof": self.train_stage1_,
                }
            ).to_parquet(model_dir / TRAINING, index=False)
        (model_dir / META).write_text(json.dumps(self._metadata(), indent=2) + "\n")
        return model_dir

    @classmethod
    def load(cls, model_dir: Path) -> FraudModel:
        """Read a model written by :meth:`save`."""
        model_dir = Path(model_dir)
        meta = _read_meta(model_dir)
        model = cls(**meta["params"])
        model.feature_names_ = meta["feature_names"]
        model.design_names_ = meta["design_names"]
        model.id_name_ = meta["id_column"]
        model.threshold_ = float(meta["threshold"])
        model.calibration_ = (float(meta["calibration"]["a"]), float(meta["calibration"]["b"]))
        model.training_summary_ = meta["training"]
        model.booster_ = lgb.Booster(model_file=str(model_dir / FINAL))
        model.stage1_ = model.train_ids_ = model.train_labels_ = model.train_stage1_ = None
        if meta["graph"]:
            model.stage1_ = lgb.Booster(model_file=str(model_dir / STAGE1))
            training = pd.read_parquet(model_dir / TRAINING)
            model.train_ids_ = training[model.id_name_]
            model.train_labels_ = training["label"].to_numpy()
            model.train_stage1_ = training["stage1_oof"].to_numpy()
        return model

    def _second(
        self, g: Graph, rows: np.ndarray, first: np.ndarray, fresh: np.ndarray
    ) -> np.ndarray:
        """Stage-2 design: stage-1 columns plus known-label and propagated-score features."""
        known = g.nodes(self.train_ids_)
        labels = np.full(len(g.index), np.nan)
        labels[known] = self.train_labels_
        scores = np.full(len(g.index), np.nan)
        scores[rows] = fresh
        # Training subscribers keep their out-of-fold stage-1 score, even when scored again.
        scores[known] = self.train_stage1_
        extra = [g.labelled(labels, rows).to_numpy(), g.propagated(scores, rows).to_numpy()]
        return np.hstack([first, *extra])

    def _boosting(self) -> Boosting:
        return Boosting(
            n_estimators=self.n_estimators,
            learning_rate=self.learning_rate,
            num_leaves=self.num_leaves,
            random_state=self.random_state,
            n_jobs=self.n_jobs,
        )

    def _check_sizes(self, X: pd.DataFrame, labels: np.ndarray | None, ids: pd.Series) -> None:
        if len(ids) != len(X) or (labels is not None and len(labels) != len(X)):
            raise FraudDataError("X, y and ids must have the same number of rows")
        clash = sorted(set(X.columns) & set(GRAPH_FEATURES))
        if clash:
            raise FraudDataError(f"X: feature names reserved for graph features: {clash}")
        if labels is not None and np.bincount(labels, minlength=2).min() < self.folds:
            raise FraudDataError(f"y: each class needs at least {self.folds} subscribers")

    def _check_fitted(self) -> None:
        if not hasattr(self, "booster_"):
            raise FraudDataError("this FraudModel is not fitted yet; call fit() first")

    def _metadata(self) -> dict[str, object]:
        return {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "versions": {
                "telcolens": __version__,
                "lightgbm": lgb.__version__,
                "scikit-learn": sklearn.__version__,
                "numpy": np.__version__,
                "pandas": pd.__version__,
            },
            "params": self.get_params(),
            "id_column": self.id_name_,
            "feature_names": self.feature_names_,
            "design_names": self.design_names_,
            "graph": self.stage1_ is not None,
            "threshold": self.threshold_,
            "calibration": {"a": self.calibration_[0], "b": self.calibration_[1]},
            "training": self.training_summary_,
        }


def _summary(y: np.ndarray, score: np.ndarray, threshold: float) -> dict[str, float]:
    """Out-of-fold quality at the chosen threshold (what `train` reports)."""
    flagged = score >= threshold
    return {
        "rows": len(y),
        "fraud": int(y.sum()),
        "oof_f1": float(f1_score(y, flagged)),
        "oof_precision": float(precision_score(y, flagged, zero_division=0)),
        "oof_recall": float(recall_score(y, flagged)),
        "oof_auc": float(roc_auc_score(y, score)),
    }


def _read_meta(model_dir: Path) -> dict:
    if not model_dir.is_dir():
        raise FraudDataError(f"{model_dir}: no such model directory")
    path = model_dir / META
    try:
        meta = json.loads(path.read_text())
    except (OSError, ValueError):
        raise FraudDataError(f"{model_dir}: not a fraud model (no readable {META})") from None
    if not isinstance(meta, dict) or meta.get("format") != FORMAT:
        raise FraudDataError(f"{model_dir}: not a fraud model ({META} is of another format)")
    if meta.get("format_version") != FORMAT_VERSION:
        raise FraudDataError(f"{model_dir}: model format {meta.get('format_version')} unsupported")
    return meta
