"""The day-run commands end to end: evaluate, whitelist, reinstate, rules, and a model run."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from telcolens.antifraud.daily import run_day
from telcolens.antifraud.model import FraudModel
from telcolens.cli import app

ID = "subscriber_id"
FAST = {"n_estimators": 60, "learning_rate": 0.1, "num_leaves": 15}


def invoke(*args):
    return CliRunner().invoke(app, ["antifraud", *map(str, args)])


@pytest.fixture(scope="module")
def model_dir(province, tmp_path_factory):
    """A model trained on the shared province's own labels (tests only: evaluation reads truth)."""
    out = tmp_path_factory.mktemp("model")
    assert invoke("features", "--data", province, "--out", out / "f.parquet").exit_code == 0
    f = pd.read_parquet(out / "f.parquet")
    truth = pd.read_parquet(province / "truth" / "fraud_numbers.parquet")
    y = f[ID].isin(truth[ID]).astype(int)
    FraudModel(random_state=0, **FAST).fit(f.drop(columns=ID), y, f[ID]).save(out / "m")
    return out / "m"


def test_with_a_model_every_flagged_number_has_reasons(province, model_dir, tmp_path):
    day = run_day(province, tmp_path, model_dir=model_dir)
    assert (day.fraud_list.flagged_by.str.contains("model")).any()
    assert (day.fraud_list.reasons.str.len() > 0).all()
    modelled = day.fraud_list[day.fraud_list.flagged_by.str.contains("model")]
    assert modelled.reasons.str.contains("model: ").all()


def test_a_model_whose_features_the_data_lacks_is_refused(province, tmp_path):
    f = pd.DataFrame({ID: range(12), "x": range(12)})
    FraudModel(random_state=0, folds=2, **FAST).fit(f[["x"]], [0, 1] * 6, f[ID]).save(tmp_path)
    result = invoke("run", "--data", province, "--out", tmp_path / "o", "--model", tmp_path)
    assert result.exit_code == 2
    assert "expects feature(s) x" in result.output


def test_evaluate_trains_on_history_and_scores_against_truth(province, tmp_path):
    result = invoke("evaluate", "--data", province, "--out", tmp_path, "--no-watch")
    assert result.exit_code == 0, result.output
    report = json.loads((tmp_path / "evaluation.json").read_text())
    assert (tmp_path / "history" / "truth").is_dir()  # trained on another province
    assert report["whitelist"]["flagged"] == 0
    assert report["fraud_numbers"]["true"] > 0
    assert 0 <= report["fraud_numbers"]["precision"] <= 1
    assert "fraud numbers" in result.output


def test_evaluate_needs_a_province_with_truth(tmp_path):
    (tmp_path / "data").mkdir()
    result = invoke("evaluate", "--data", tmp_path / "data", "--out", tmp_path / "o")
    assert result.exit_code == 2
    assert "truth/manifest.json" in result.output


def test_whitelist_and_reinstate_commands(tmp_path):
    wl, re = tmp_path / "wl.csv", tmp_path / "re.csv"
    added = invoke("whitelist", "add", "13812345678", "--file", wl, "--category", "courier")
    assert added.exit_code == 0, added.output
    shown = invoke("whitelist", "show", "--file", wl)
    assert "courier" in shown.output and "13812345678" not in shown.output
    bad = invoke("whitelist", "add", "13812345679", "--file", wl, "--category", "bakery")
    assert bad.exit_code == 2 and "bakery" in bad.output
    ok = invoke("reinstate", "42", "--file", re, "--reason", "verified", "--analyst", "li")
    assert ok.exit_code == 0 and "42" in re.read_text()


def test_rules_command_shows_and_checks(tmp_path):
    assert "burst_of_short_calls" in invoke("rules").output
    bad = tmp_path / "r.yaml"
    bad.write_text("rules:\n  - {name: r, target: number, when: open('x')}\n")
    result = invoke("rules", "--rules", bad)
    assert result.exit_code == 2 and "Call is not allowed" in result.output
