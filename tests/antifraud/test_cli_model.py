"""``telcolens antifraud train|score|cv`` through Typer's CliRunner."""

from __future__ import annotations

import pandas as pd
import pytest
from typer.testing import CliRunner

from telcolens.cli import app
from tests.antifraud._data import rings, subscribers

runner = CliRunner()


def said(result) -> str:
    """The output with Rich's table borders and line wrapping taken out."""
    return " ".join(result.output.replace("│", " ").replace("┃", " ").split())


@pytest.fixture(scope="module")
def files(tmp_path_factory):
    root = tmp_path_factory.mktemp("fraud")
    X, y, ids = subscribers(n=300)
    train = pd.concat([ids, X, pd.Series(y, name="is_fraud")], axis=1)
    train.to_csv(root / "train.csv", index=False)
    X2, _, ids2 = subscribers(n=100, seed=4)
    pd.concat([ids2 + 10**5, X2], axis=1).to_parquet(root / "new.parquet")
    rings(ids, y).to_parquet(root / "edges.parquet")
    return root


def train_args(files, *extra):
    return [
        "antifraud", "train", "--features", str(files / "train.csv"), "--id-column", "msisdn",
        "--label-column", "is_fraud", "--model", str(files / "model"), *extra,
    ]  # fmt: skip


def test_train_then_score_writes_one_row_per_subscriber(files):
    trained = runner.invoke(app, train_args(files, "--graph", str(files / "edges.parquet")))
    assert trained.exit_code == 0, trained.output
    assert "Trained on 300 subscribers" in said(trained)
    out = files / "scores.csv"
    scored = runner.invoke(
        app,
        ["antifraud", "score", "--model", str(files / "model"), "--features",
         str(files / "new.parquet"), "--graph", str(files / "edges.parquet"), "--out", str(out)],
    )  # fmt: skip
    assert scored.exit_code == 0, scored.output
    scores = pd.read_csv(out, keep_default_na=False)
    assert list(scores.columns) == ["msisdn", "score", "flagged", "reasons"]
    assert len(scores) == 100 and scores.score.between(0, 1).all()
    assert set(scores.flagged) <= {0, 1}
    assert (scores.reasons[scores.flagged == 1] != "").all()


def test_cv_prints_folds_and_mean(files):
    result = runner.invoke(
        app,
        ["antifraud", "cv", "--features", str(files / "train.csv"), "--id-column", "msisdn",
         "--label-column", "is_fraud", "--folds", "3"],
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    text = said(result)
    for header in ("F1", "AUC", "Precision", "Recall", "Threshold", "mean ± sd"):
        assert header in text
    assert "300 subscribers, seed 0" in text


def write(files, name, frame):
    path = files / name
    if name.endswith(".csv"):
        frame.to_csv(path, index=False)
    else:
        frame.to_parquet(path)
    return path


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda t: t.assign(f2="high"), "feature column 'f2' is not numeric"),
        (lambda t: t.drop(columns="msisdn"), "no id column 'msisdn'"),
        (lambda t: t.assign(msisdn=t.msisdn.where(t.index != 3)), "'msisdn' has 1 missing"),
        (lambda t: t.assign(msisdn=t.msisdn.where(t.index != 3, 1000)), "1 duplicate ids"),
        (lambda t: t.drop(columns="is_fraud"), "no label column 'is_fraud'"),
        (lambda t: t.assign(is_fraud=t.is_fraud * 2 - 1), "must hold 0 or 1; found -1"),
    ],
)
def test_bad_training_files_fail_cleanly(files, change, message):
    bad = write(files, "bad.csv", change(pd.read_csv(files / "train.csv")))
    args = train_args(files)
    args[args.index("--features") + 1] = str(bad)
    result = runner.invoke(app, args)
    assert result.exit_code == 2
    assert "bad.csv" in said(result) and message in said(result)
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_bad_graph_score_file_and_model_dir_fail_cleanly(files):
    edges = write(files, "edges_bad.parquet", pd.DataFrame({"a": [1], "b": [2]}))
    result = runner.invoke(app, train_args(files, "--graph", str(edges)))
    assert result.exit_code == 2 and "edges_bad.parquet" in said(result)
    assert "src and dst" in said(result)

    result = runner.invoke(app, train_args(files, "--features", str(files / "x.xlsx")))
    assert result.exit_code == 2 and "unknown format" in said(result)

    assert runner.invoke(app, train_args(files)).exit_code == 0
    new = pd.read_parquet(files / "new.parquet").drop(columns="f1").assign(extra=1)
    bad = write(files, "new_bad.parquet", new)
    score = ["antifraud", "score", "--model", str(files / "model"), "--out", str(files / "o.csv")]
    result = runner.invoke(app, [*score, "--features", str(bad)])
    assert result.exit_code == 2
    assert "new_bad.parquet" in said(result) and "missing f1; extra extra" in said(result)

    score[score.index("--model") + 1] = str(files / "no_model")
    result = runner.invoke(app, [*score, "--features", str(files / "new.parquet")])
    assert result.exit_code == 2 and "no such model directory" in said(result)
    score[score.index("--model") + 1] = str(files)
    result = runner.invoke(app, [*score, "--features", str(files / "new.parquet")])
    assert result.exit_code == 2 and "not a fraud model" in said(result)
