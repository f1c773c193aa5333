"""The perception score: its cross-validated ranking of the Ofcom 2015 video experience,
the shipped parameters, pandas against Ibis on both engines, missing measures, the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pytest
import typer
from typer.testing import CliRunner

from telcolens.broadband import perception as P
from telcolens.broadband import perception_fit as F
from telcolens.broadband.cli_perception import register
from telcolens.broadband.measures import MEASURES
from telcolens.broadband.ofcom import read_panel
from telcolens.console import Group
from telcolens.engine import connect

DATA = Path(__file__).resolve().parents[2] / ".." / "shared" / "data" / "broadband"
PANEL_2015 = DATA / "ofcom" / "ofcom_broadband_2015.csv"
LAB = DATA / "qoe_lab" / "QoEcontrolledLab.csv"
pytestmark = pytest.mark.skipif(not DATA.is_dir(), reason=f"broadband data not present at {DATA}")

app = typer.Typer(cls=Group)  # as the broadband group: errors become one line and exit 2
register(app)
runner = CliRunner()


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return read_panel(PANEL_2015)


@pytest.fixture(scope="module")
def params() -> dict:
    return P.load_params()


def test_cross_validated_ranking_meets_the_acceptance_line(panel) -> None:
    """docs/broadband.md reports 0.909 (10 folds x 5); one repeat here, 0.90 the bar."""
    folds = F.cross_validate(panel, folds=10, repeats=1, seed=0)
    assert len(folds) == 10 and folds.lines.sum() == 1250
    assert folds.score_rho.mean() >= 0.90, folds.round(4).to_string()
    # Download speed alone, the reference the issue quotes (about 0.80)...
    assert folds.download_rho.mean() == pytest.approx(0.80, abs=0.02)
    # ...which the score beats on every held-out fold.
    assert (folds.score_rho > folds.download_rho).all()


def test_the_shipped_parameters_are_what_fit_perception_makes(panel, params) -> None:
    lab = F.fit_lab(LAB)
    assert F.LabCurve(**params["opinion"]["lab"]) == pytest.approx(lab)
    settings = params["settings"] | {"poor_below": params["poor_below"]}
    refit = F.fit_panel(panel, lab=lab, **settings).to_params()
    shipped = {k: v for k, v in params.items() if k != "fitted"}
    assert _close(json.loads(json.dumps(refit)), shipped)
    assert params["fitted"]["cross_validation"]["score_rho_mean"] >= 0.90


def _close(a, b) -> bool:
    """Equal, floats to 1e-9 (the fit is deterministic; the last bits may differ by BLAS)."""
    if isinstance(a, dict):
        return a.keys() == b.keys() and all(_close(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(_close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, float):
        return a == pytest.approx(b, rel=1e-9, abs=1e-12)
    return a == b


def test_the_score_is_monotone_in_every_measure(params) -> None:
    base = pd.DataFrame([{n: m["median"] for n, m in params["measures"].items()}] * 60)
    for name, measure in params["measures"].items():
        knots = measure["knots"]
        frame = base.copy()
        frame[name] = np.geomspace(max(knots[0], 1e-3) / 2, knots[-1] * 2, 60)
        score = P.score_frame(frame, params).score.to_numpy()
        steps = np.diff(score) if MEASURES[name].higher_is_better else -np.diff(score)
        assert (steps >= -1e-12).all(), name


def test_scores_opinions_and_poor_are_consistent(panel, params) -> None:
    scored = P.score_frame(panel, params)
    assert scored.score.between(0, 100).all()
    assert scored.opinion.between(1, 5).all()
    assert (scored.poor == (scored.score < params["poor_below"]).astype(int)).all()
    by_score = scored.sort_values("score")
    assert (np.diff(by_score.opinion.to_numpy()) >= -1e-12).all()  # the same order
    # A score reads as a percentile of the fitted lines: the median video line is near 50.
    video = F.video_lines(scored)
    assert video.score.median() == pytest.approx(50, abs=3)


def test_the_opinion_scale_follows_the_lab(panel, params) -> None:
    """The fitted curve against the lab's opinion of the sessions the lines got, by band."""
    lab = F.LabCurve(**params["opinion"]["lab"])
    video = F.video_lines(P.score_frame(panel, params))
    observed = F.line_opinion(video, lab)
    bands = pd.qcut(video.score, 5, labels=False)
    fitted, lab_mean = video.opinion.groupby(bands).mean(), observed.groupby(bands).mean()
    assert (fitted - lab_mean).abs().max() < 0.1
    assert lab.per_second < 0 and lab.sd < 0  # slower start and SD both rate lower


def test_reasons_name_the_measures_that_pull_the_score_down(params) -> None:
    line = {n: m["median"] for n, m in params["measures"].items()}
    frame = pd.DataFrame([line, line | {"dl_mbps": 2.0, "dl_peak_mbps": 1.5}])
    scored = P.score_frame(frame, params)
    assert scored.reasons.iloc[0] == ""  # a line at every median: nothing pulls it down
    assert scored.score.iloc[1] < scored.score.iloc[0] - 10
    reasons = scored.reasons.iloc[1].split("; ")
    assert set(reasons) == {"dl_mbps 2.0 Mbit/s", "dl_peak_mbps 1.5 Mbit/s"}


def test_missing_measures_are_imputed_and_said(params) -> None:
    frame = pd.DataFrame(
        {
            "line_id": ["a", "b", "c"],
            "dl_mbps": [50.0, np.nan, 3.0],
            "latency_ms": [15.0, 20.0, np.nan],
        }
    )  # the other measures are absent altogether
    scored = P.score_frame(frame, params)
    assert scored.score.notna().all() and scored.opinion.notna().all()
    assert "missing" in scored.reasons.iloc[0] and "dl_peak_mbps" in scored.reasons.iloc[0]
    assert "dl_mbps" in scored.reasons.iloc[1].split("missing ")[1]
    assert scored.reasons.iloc[2].startswith("dl_mbps 3.0 Mbit/s")
    everything_missing = P.score_frame(pd.DataFrame({"dl_mbps": [np.nan]}), params)
    at_medians = P.score_frame(
        pd.DataFrame([{n: m["median"] for n, m in params["measures"].items()}]), params
    )
    assert everything_missing.score.iloc[0] == pytest.approx(at_medians.score.iloc[0])


def test_pandas_and_ibis_give_the_same_scores(engine: str, params) -> None:
    frames = [read_panel(DATA / "ofcom" / f"ofcom_broadband_{y}.csv") for y in (2013, 2015)]
    lines = pd.concat([f[["line_id", *MEASURES]] for f in frames], ignore_index=True)
    lines["line_id"] = lines.line_id.astype(str) + "-" + lines.index.astype(str)
    lines = lines.drop(columns=["jitter_ms"])  # an absent measure, on both sides
    lines.loc[::7, "dl_mbps"] = np.nan
    expected = P.score_frame(lines, params).set_index("line_id")
    # A memtable, not create_table: Spark would make a managed table in ./spark-warehouse.
    expr = P.score_expr(ibis.memtable(lines), params)
    got = connect(engine).execute(expr).set_index("line_id").loc[expected.index]
    for column in ("score", "opinion"):
        np.testing.assert_allclose(got[column], expected[column], rtol=1e-12, atol=1e-10)
    assert (got.poor.astype(int) == expected.poor).all()
    assert (got.reasons == expected.reasons).all()


def test_parameters_round_trip_and_bad_ones_are_refused(panel, params, tmp_path: Path) -> None:
    model = F.PerceptionModel.from_params(params)
    assert model.predict(panel) == pytest.approx(P.score_frame(panel, params).score)
    assert model.to_params() == {k: v for k, v in params.items() if k != "fitted"}
    bad = copy.deepcopy(params)
    bad["measures"]["dl_mbps"]["weights"][0] = -1.0
    cases = {
        "not JSON": "{",
        "version": json.dumps(params | {"version": 99}),
        "non-negative weight": json.dumps(bad),
        "not perception parameters": json.dumps({"version": 1}),
    }
    for message, text in cases.items():
        path = tmp_path / "params.json"
        path.write_text(text)
        with pytest.raises(P.PerceptionError, match=message):
            P.load_params(path)


def test_fitting_refuses_a_panel_without_video(params) -> None:
    with pytest.raises(P.PerceptionError, match="only Ofcom's 2015"):
        F.fit_panel(read_panel(DATA / "ofcom" / "ofcom_broadband_2014.csv"))


def test_cli_scores_an_ofcom_panel(tmp_path: Path) -> None:
    out = tmp_path / "scores.csv"
    args = ["perception", "--measurements", str(PANEL_2015), "--format", "ofcom"]
    result = runner.invoke(app, [*args, "--out", str(out)])
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out, dtype={"line_id": str}, keep_default_na=False)
    assert list(scores.columns) == ["line_id", "score", "poor", "reasons", "opinion"]
    assert len(scores) == 2802 and scores.line_id.iloc[0] == "3640"
    assert set(scores.poor) <= {0, 1}
    assert f"{int(scores.poor.sum()):,} poor" in result.output


def test_cli_scores_a_csv_of_line_measures(tmp_path: Path) -> None:
    source = tmp_path / "lines.csv"
    source.write_text("line_id,dl_mbps,latency_ms,loss_pct\nL1,100,10,0\nL2,2.5,,0.5\n")
    out = tmp_path / "scores.csv"
    args = ["perception", "--measurements", str(source), "--format", "csv", "--out", str(out)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    scores = pd.read_csv(out)
    assert scores.line_id.tolist() == ["L1", "L2"]
    assert scores.score.iloc[0] > scores.score.iloc[1]
    assert scores.reasons.iloc[1].startswith("dl_mbps 2.5 Mbit/s")


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("id,dl_mbps\n1,2\n", "no line_id column"),
        ("line_id,speed\n1,2\n", "no measure column"),
        ("line_id,dl_mbps\n1,fast\n", "dl_mbps must hold numbers"),
    ],
)
def test_cli_refuses_bad_measurements(tmp_path: Path, content: str, message: str) -> None:
    source = tmp_path / "lines.csv"
    source.write_text(content)
    args = ["perception", "--measurements", str(source), "--format", "csv"]
    result = runner.invoke(app, [*args, "--out", str(tmp_path / "s.csv")])
    assert result.exit_code == 2
    assert message in result.output and not (tmp_path / "s.csv").exists()


def test_cli_refits_and_prints_the_cross_validated_spearman(tmp_path: Path) -> None:
    out = tmp_path / "params.json"
    args = ["fit-perception", "--measurements", str(PANEL_2015), "--format", "ofcom"]
    result = runner.invoke(app, [*args, "--out", str(out), "--folds", "5", "--repeats", "1"])
    assert result.exit_code == 0, result.output
    assert "perception score" in result.output and "download speed" in result.output
    fitted = P.load_params(out)
    cv = fitted["fitted"]["cross_validation"]
    assert (cv["folds"], cv["repeats"]) == (5, 1)
    assert f"{cv['score_rho_mean']:.4f}" in result.output
    assert cv["score_rho_mean"] > cv["download_rho_mean"]
    rescored = runner.invoke(
        app,
        [
            "perception", "--measurements", str(PANEL_2015), "--out",
            str(tmp_path / "s.csv"), "--params", str(out),
        ],
    )  # fmt: skip
    assert rescored.exit_code == 0, rescored.output
