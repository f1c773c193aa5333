"""FraudModel: the fit/score contract, calibration, threshold, reasons, no label leakage."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import precision_score, roc_auc_score

from telcolens.antifraud._boost import choose_threshold
from telcolens.antifraud._cv import cross_validate
from telcolens.antifraud._tabular import FraudDataError
from telcolens.antifraud.model import REASON_FROM, FraudModel
from tests.antifraud._data import rings, subscribers

FAST = {"n_estimators": 60, "learning_rate": 0.1, "num_leaves": 15}


@pytest.fixture(scope="module")
def data():
    X, y, ids = subscribers()
    return X, y, ids, rings(ids, y, extra=50)


@pytest.fixture(scope="module", params=[False, True], ids=["plain", "graph"])
def fitted(request, data):
    X, y, ids, edges = data
    graph = edges if request.param else None
    return FraudModel(random_state=0, **FAST).fit(X, y, ids, graph), graph


def test_constructor_stores_arguments_unchanged_and_fit_returns_self(data):
    X, y, ids, _ = data
    labels = {"f0": "calls to strangers"}
    model = FraudModel(random_state=3, feature_labels=labels, **FAST)
    assert model.get_params()["feature_labels"] is labels
    assert model.fit(X, y, ids) is model
    assert model.feature_names_ == ["f0", "f1", "f2", "f3", "f4"]


def test_scores_are_probabilities_and_flags_follow_the_threshold(fitted, data):
    model, graph = fitted
    X, _, ids, _ = data
    out = model.score(X, ids, graph)
    assert list(out.columns) == ["msisdn", "score", "flagged", "reasons"]
    assert out.score.between(0, 1).all()
    assert (out.flagged == (out.score >= model.threshold_).astype(int)).all()
    assert out.msisdn.tolist() == ids.tolist()


def test_save_load_round_trip_gives_identical_scores(fitted, data, tmp_path):
    model, graph = fitted
    X, _, ids, _ = data
    model.save(tmp_path / "m")
    loaded = FraudModel.load(tmp_path / "m")
    pd.testing.assert_frame_equal(model.score(X, ids, graph), loaded.score(X, ids, graph))
    assert loaded.threshold_ == model.threshold_
    assert loaded.feature_names_ == model.feature_names_


def test_same_seed_same_model(data):
    X, y, ids, edges = data
    a = FraudModel(random_state=5, **FAST).fit(X, y, ids, edges).score(X, ids, edges)
    b = FraudModel(random_state=5, **FAST).fit(X, y, ids, edges).score(X, ids, edges)
    pd.testing.assert_frame_equal(a, b)


def test_threshold_is_chosen_on_out_of_fold_training_scores(fitted, data):
    model, graph = fitted
    _, y, _, _ = data
    assert model.threshold_ == choose_threshold(y, model.oof_score_, None)
    # Scoring other subscribers leaves it alone.
    X2, _, ids2 = subscribers(n=200, seed=9)
    before = model.threshold_
    model.score(X2, ids2 + 10**6, graph)
    assert model.threshold_ == before


def test_min_precision_is_met_out_of_fold(data):
    X, y, ids, _ = data
    model = FraudModel(random_state=0, min_precision=0.95, **FAST).fit(X, y, ids)
    flagged = model.oof_score_ >= model.threshold_
    assert precision_score(y, flagged) >= 0.95
    default = FraudModel(random_state=0, **FAST).fit(X, y, ids)
    assert model.threshold_ >= default.threshold_


def test_flagged_rows_have_reasons_naming_real_features(fitted, data):
    model, graph = fitted
    X, _, ids, _ = data
    out = model.score(X, ids, graph)
    flagged = out[out.flagged == 1]
    assert len(flagged) > 0
    assert (flagged.reasons.str.len() > 0).all()
    named = flagged.reasons.str.split("; ").explode().str.split("=").str[0]
    assert set(named) <= set(model.design_names_)
    # The strongest planted signal shows up: f0, or with the graph its fraud rings.
    strongest = "f0" if graph is None else "fraud_neighbour_share"
    assert strongest in set(named)


def test_feature_labels_replace_names_in_reasons(data):
    X, y, ids, _ = data
    model = FraudModel(feature_labels={"f0": "calls to strangers"}, **FAST).fit(X, y, ids)
    out = model.score(X, ids)
    assert out.reasons.str.contains("calls to strangers=").any()
    assert not out.reasons.str.contains("f0=").any()


def test_own_label_never_reaches_own_features():
    # Features are noise and labels random: only a node's own label could predict it. Self-
    # loops and dense two-hop returns give every route by which it could leak.
    rng = np.random.default_rng(1)
    n = 500
    X = pd.DataFrame({"noise": rng.normal(size=n)})
    y = (rng.random(n) < 0.4).astype(int)
    ids = pd.Series(np.arange(n), name="id")
    src = np.concatenate([ids, rng.integers(0, n, 3 * n)])
    dst = np.concatenate([ids, rng.integers(0, n, 3 * n)])
    graph = pd.DataFrame({"src": src, "dst": dst})
    model = FraudModel(random_state=0, **FAST).fit(X, y, ids, graph)
    assert roc_auc_score(y, model.oof_score_) < 0.6


def test_graph_lifts_a_model_whose_features_are_weak(data):
    X, y, ids, edges = data
    weak = X[["f2", "f3"]]  # noise only: all signal is in the rings
    plain = cross_validate(weak, y, ids, folds=3, params=FAST)
    graph = cross_validate(weak, y, ids, edges, folds=3, params=FAST)
    assert plain.auc.mean() < 0.65
    assert graph.auc.mean() > 0.9


def test_new_nodes_use_training_labels_of_their_neighbours(data):
    X, y, ids, edges = data
    model = FraudModel(random_state=0, **FAST).fit(X[["f2"]], y, ids, edges)
    new = pd.Series([5, 6], name="msisdn")
    fraud_friend, normal_friend = ids[y == 1].iloc[:8], ids[y == 0].iloc[:8]
    links = pd.DataFrame({"src": [5] * 8 + [6] * 8, "dst": [*fraud_friend, *normal_friend]})
    out = model.score(pd.DataFrame({"f2": [0.0, 0.0]}), new, pd.concat([edges, links]))
    assert out.score.iloc[0] > 0.5 > out.score.iloc[1]


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda X, y, ids: (X.assign(f2="text"), y, ids), "'f2'"),
        (lambda X, y, ids: (X, np.where(y == 1, 2, 0), ids), "must hold 0 or 1"),
        (lambda X, y, ids: (X, y, ids.where(ids != 1003)), "missing values"),
        (lambda X, y, ids: (X, y, ids.replace(1003, 1004)), "duplicate ids, e.g. 1004"),
        (lambda X, y, ids: (X.rename(columns={"f2": "degree"}), y, ids), "reserved"),
        (lambda X, y, ids: (X, np.zeros(len(y), dtype=int), ids), "need both"),
    ],
)
def test_bad_training_input_is_refused(data, mutate, message):
    X, y, ids = mutate(*data[:3])
    with pytest.raises(FraudDataError, match=message):
        FraudModel(**FAST).fit(X, y, ids)


def test_graph_mismatch_and_unfitted_model_are_refused(fitted, data, tmp_path):
    model, graph = fitted
    X, _, ids, edges = data
    with pytest.raises(FraudDataError, match=r"trained (with|without) a graph"):
        model.score(X, ids, None if graph is not None else edges)
    with pytest.raises(FraudDataError, match="not fitted"):
        FraudModel().score(X, ids)
    with pytest.raises(FraudDataError, match="no such model directory"):
        FraudModel.load(tmp_path / "nothing")
    (tmp_path / "empty").mkdir()
    with pytest.raises(FraudDataError, match="not a fraud model"):
        FraudModel.load(tmp_path / "empty")


def test_reasons_only_for_flagged_rows_and_near_misses(fitted, data):
    model, graph = fitted
    X, _, ids, _ = data
    out = model.score(X, ids, graph)
    near = out.score >= model.threshold_ * REASON_FROM
    assert (out.loc[out.flagged == 1, "reasons"].str.len() > 0).all()
    assert (out.loc[~near, "reasons"] == "").all()
    assert (~near).any(), "the test data should have clear negatives"
