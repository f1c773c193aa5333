"""The fraud model on the real Sichuan data: 5-fold CV of the whole pipeline with the graph."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from telcolens.antifraud._cv import cross_validate
from telcolens.antifraud._tabular import training_table

SICHUAN = Path(__file__).parents[2].parent / "shared/data/sichuan"


@pytest.mark.slow
# Known gap: measured 2026-11-24, honest 5-fold CV gives F1 87.6 / AUC 95.5 with the graph
# (88.5 / 95.6 without); see docs/antifraud.md. Strict, so reaching the bar shows up.
@pytest.mark.xfail(strict=True, raises=AssertionError, reason="below the F1 90 / AUC 96 bar")
@pytest.mark.skipif(not SICHUAN.is_dir(), reason=f"Sichuan data not present at {SICHUAN}")
def test_sichuan_cross_validation_reaches_the_acceptance_bar():
    table = pd.read_csv(SICHUAN / "train.csv")
    X, y, ids = training_table(
        table, id_column="phone_no_m", label_column="label", source="train.csv"
    )
    edges = pd.read_parquet(SICHUAN / "edges.parquet")
    results = cross_validate(X, y, ids, edges, folds=5, seed=0)
    assert results.f1.mean() >= 0.90, results.round(4).to_string()
    assert results.auc.mean() >= 0.96, results.round(4).to_string()
