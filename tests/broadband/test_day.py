"""The broadband day step: each line scored on the samples of the day before the run day,
the week before it diagnosed, and the diagnoses loaded as work orders."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
import pytest

from telcolens.broadband.day import SCORES_FILE, run_day_step
from telcolens.broadband.models import WorkOrder
from telcolens.broadband.perception import load_params
from telcolens.broadband.queue import DIAGNOSES_FILE, TICKETS_FILE
from telcolens.capabilities import DayContext
from telcolens.dataset import read_table, table_days
from telcolens.engine import connect
from telcolens.errors import BadInput


def _run(province: Path, out: Path, engine: str, **options: str) -> pd.DataFrame:
    as_of = table_days(province, "broadband_kpi")[-1] + dt.timedelta(days=1)
    ctx = DayContext(province, out, as_of, connect(engine), options=options)
    result = run_day_step(ctx)
    assert result.outputs == [out / SCORES_FILE, out / DIAGNOSES_FILE, out / TICKETS_FILE]
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
def test_both_engines_score_and_diagnose_alike(province: Path, tmp_path: Path) -> None:
    duck = _run(province, tmp_path / "duckdb", "duckdb").sort_values("line_id")
    spark = _run(province, tmp_path / "spark", "spark").sort_values("line_id")
    pd.testing.assert_frame_equal(
        duck.reset_index(drop=True), spark.reset_index(drop=True), check_dtype=False, rtol=1e-9
    )
    for name in (DIAGNOSES_FILE, TICKETS_FILE):
        key = "line_id" if name == DIAGNOSES_FILE else "element"
        found = [
            pq.read_table(tmp_path / e / name).to_pandas().sort_values(key).reset_index(drop=True)
            for e in ("duckdb", "spark")
        ]
        assert len(found[0]) > 0
        pd.testing.assert_frame_equal(*found, check_dtype=False, rtol=1e-9)


def test_an_unknown_day_option_is_refused(province: Path, tmp_path: Path) -> None:
    with pytest.raises(BadInput, match="broadband has no day option model"):
        _run(province, tmp_path, "duckdb", model="x")


def test_a_day_diagnoses_its_week_and_opens_work_orders(
    province: Path, tmp_path: Path, store_session
) -> None:
    as_of = table_days(province, "broadband_kpi")[-1] + dt.timedelta(days=1)
    result = run_day_step(DayContext(province, tmp_path, as_of, connect("duckdb")))
    diagnoses = pq.read_table(tmp_path / DIAGNOSES_FILE).to_pandas()
    tickets = pq.read_table(tmp_path / TICKETS_FILE).to_pandas()
    assert len(diagnoses) and diagnoses.line_id.is_unique
    assert (diagnoses.day < as_of).all()
    loaded = result.load(store_session, "tester")
    orders = store_session.query(WorkOrder).all()
    own = diagnoses[diagnoses.ticket_element.isna()]
    # One order per line diagnosed alone, one per shared cause; a ticket's lines get none.
    assert loaded["work_orders"].created == len(own) + len(tickets) == len(orders)
    assert {o.line_id for o in orders if o.line_id is not None} == set(own.line_id)
    assert {o.element for o in orders if o.element is not None} == set(tickets.element)
    assert {o.side for o in orders} <= {"home", "street", "network"}
    # The next run of the same day changes nothing.
    again = run_day_step(DayContext(province, tmp_path, as_of, connect("duckdb")))
    assert again.load(store_session, "tester")["work_orders"].unchanged == len(orders)
    assert store_session.query(WorkOrder).count() == len(orders)
