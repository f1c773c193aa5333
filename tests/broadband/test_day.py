"""The broadband day step: each line scored on the samples of the day before the run day."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from telcolens.broadband.day import SCORES_FILE, run_day_step
from telcolens.broadband.perception import load_params
from telcolens.capabilities import DayContext
from telcolens.dataset import read_table, table_days
from telcolens.engine import connect
from telcolens.errors import BadInput


def _run(province: Path, out: Path, engine: str, **options: str) -> pd.DataFrame:
    as_of = table_days(province, "broadband_kpi")[-1] + dt.timedelta(days=1)
    ctx = DayContext(province, out, as_of, connect(engine), options=options)
    result = run_day_step(ctx)
    assert result.outputs == [out / SCORES_FILE]
    return pq.read_table(out / SCORES_FILE).to_pandas()


def test_a_day_scores_each_line_with_samples_that_day(province: Path, tmp_path: Path) -> None:
    scores = _run(province, tmp_path, "duckdb")
    last = table_days(province, "broadband_kpi")[-1]
    kpi = read_table(province, "broadband_kpi", [last]).to_pandas()
    sampled = set(kpi.line_id[kpi.sample_time.dt.date == last])
    assert set(scores.line_id) == sampled and scores.line_id.is_unique
    assert (scores.day == last).all()
    assert scores.score.between(0, 100).all()
    threshold = load_params()["poor_below"]
    assert (scores.poor == (scores.score < threshold).astype(scores.poor.dtype)).all()
    # Poor lines are a minority, but the province has some, each with its reasons.
    assert 0 < scores.poor.mean() < 0.5
    assert scores.loc[scores.poor == 1, "reasons"].str.len().gt(0).all()


@pytest.mark.spark
def test_both_engines_score_alike(province: Path, tmp_path: Path) -> None:
    duck = _run(province, tmp_path / "duckdb", "duckdb").sort_values("line_id")
    spark = _run(province, tmp_path / "spark", "spark").sort_values("line_id")
    pd.testing.assert_frame_equal(
        duck.reset_index(drop=True), spark.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )


def test_an_unknown_day_option_is_refused(province: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="broadband has no day option model"):
        _run(province, tmp_path, "duckdb", model="x")
