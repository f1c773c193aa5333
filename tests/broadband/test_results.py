"""Loading the broadband day results into the store: by day, idempotent, on both stores."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from telcolens.broadband.day import run_day_step
from telcolens.broadband.measures import MEASURES
from telcolens.broadband.models import LineDay, ScoredDay
from telcolens.broadband.results import load_line_days, poor_lines_query
from telcolens.capabilities import DayContext
from telcolens.dataset import read_table, table_days
from telcolens.engine import connect
from telcolens.errors import BadInput
from telcolens.store.db import make_engine, upgrade
from telcolens.store.models import AuditEntry

D1, D2 = dt.date(2026, 11, 2), dt.date(2026, 11, 3)


def scores(day: dt.date, n: int, seed: int, poor_below: float = 40) -> pd.DataFrame:
    """``n`` lines scored on ``day``: line ids 1..n, scores drawn from ``seed``."""
    rng = np.random.default_rng(seed)
    score = rng.uniform(0, 100, n).round(2)
    frame = pd.DataFrame(
        {
            "line_id": np.arange(1, n + 1, dtype="int64"),
            "day": day,
            **{m: rng.uniform(1, 100, n) for m in MEASURES},
            "score": score,
            "opinion": 1 + 4 * score / 100,
            "poor": (score < poor_below).astype("int8"),
            "reasons": ["dl_mbps 3.0 Mbit/s" if s < poor_below else "" for s in score],
        }
    )
    frame.loc[0, "latency_ms"] = np.nan  # a measure the day had no sample for
    return frame


def lines(n: int) -> pd.DataFrame:
    cities = ["Jinan", "Qingdao", "Yantai"]
    return pd.DataFrame(
        {
            "line_id": np.arange(1, n + 1, dtype="int64"),
            "city": [cities[i % 3] for i in range(n)],
            "splitter_id": [f"OLT-{i % 2}/0/1/1/S{i % 4}" for i in range(n)],
        }
    )


@pytest.fixture
def engine(store_url: str) -> Iterator[Engine]:
    e = make_engine(store_url)
    upgrade(e)
    yield e
    e.dispose()


def _rows(engine: Engine) -> pd.DataFrame:
    with Session(engine) as s:
        got = s.scalars(select(LineDay).order_by(LineDay.day, LineDay.line_id))
        return pd.DataFrame(
            [{"day": r.day, "line_id": r.line_id, "score": r.score, "city": r.city} for r in got]
        )


def test_loading_a_day_twice_replaces_that_day_only(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        first = load_line_days(s, pd.concat([scores(D1, 60, 1), scores(D2, 50, 2)]), lines(60), "t")
    assert first.days == [D1, D2] and first.rows == 110 and first.replaced == 0
    # D2 again, re-scored with fewer lines: its rows are the new ones, D1's are untouched.
    again = scores(D2, 40, 3)
    with Session(engine) as s, s.begin():
        second = load_line_days(s, again, lines(60), "t")
    assert second.days == [D2] and second.rows == 40 and second.replaced == 50
    rows = _rows(engine)
    assert (rows.day == D1).sum() == 60 and (rows.day == D2).sum() == 40
    d2 = rows[rows.day == D2].set_index("line_id")["score"]
    assert d2.to_dict() == again.set_index("line_id")["score"].to_dict()
    d1 = rows[rows.day == D1].set_index("line_id")["score"]
    assert d1.to_dict() == scores(D1, 60, 1).set_index("line_id")["score"].to_dict()
    # The same file loaded a third time changes nothing.
    with Session(engine) as s, s.begin():
        load_line_days(s, again, lines(60), "t")
    pd.testing.assert_frame_equal(_rows(engine), rows)
    with Session(engine) as s:
        days = {d.day: d for d in s.scalars(select(ScoredDay))}
        audits = s.scalars(
            select(AuditEntry).where(AuditEntry.action == "broadband.line_days.load")
        )
        assert len(list(audits)) == 3
    assert sorted(days) == [D1, D2]
    assert days[D2].lines == 40 and days[D2].poor == int(again.poor.sum())


def test_day_figures_are_those_of_the_rows(engine: Engine) -> None:
    day = scores(D1, 90, 4)
    where = lines(80)  # ten lines unknown to the lines table: no city
    with Session(engine) as s, s.begin():
        load_line_days(s, day, where, "t")
    with Session(engine) as s:
        figures = s.get(ScoredDay, D1)
        stored = s.scalars(select(LineDay).where(LineDay.line_id == 1)).one()
    assert figures.lines == 90 and figures.poor == int(day.poor.sum())
    assert figures.median_score == pytest.approx(day.score.median())
    merged = day.merge(where, "left", "line_id")
    by_city = {c["city"]: c for c in figures.cities}
    assert set(by_city) == {"Jinan", "Qingdao", "Yantai", None}
    for city, rows in merged.groupby("city", dropna=False):
        got = by_city[None if pd.isna(city) else city]
        assert got["lines"] == len(rows) and got["poor"] == int(rows.poor.sum())
        assert got["median_score"] == pytest.approx(rows.score.median())
    assert [c["lines"] for c in figures.cities] == sorted(
        (c["lines"] for c in figures.cities), reverse=True
    )
    # The measures travel, a missing one as null (PostgreSQL's JSON has no NaN).
    assert stored.measures["latency_ms"] is None
    assert stored.measures["dl_mbps"] == pytest.approx(day.loc[0, "dl_mbps"])
    assert stored.city == "Jinan" and stored.splitter_id == "OLT-0/0/1/1/S0"


def test_poor_lines_are_the_days_poor_rows_worst_first(engine: Engine) -> None:
    with Session(engine) as s, s.begin():
        load_line_days(s, pd.concat([scores(D1, 60, 5), scores(D2, 60, 6)]), lines(60), "t")
    with Session(engine) as s:
        newest = list(s.scalars(poor_lines_query(s)))
        qingdao = list(s.scalars(poor_lines_query(s, day=D1, city="Qingdao")))
    d2 = scores(D2, 60, 6)
    assert [r.line_id for r in newest] == list(
        d2[d2.poor == 1].sort_values(["score", "line_id"]).line_id
    )
    assert qingdao and all(r.city == "Qingdao" and r.poor and r.day == D1 for r in qingdao)


def test_bad_scores_are_refused(engine: Engine) -> None:
    twice = pd.concat([scores(D1, 5, 7), scores(D1, 5, 7)])
    with Session(engine) as s, pytest.raises(BadInput, match="twice"):
        load_line_days(s, twice, None, "t")
    with Session(engine) as s, pytest.raises(BadInput, match="reasons"):
        load_line_days(s, scores(D1, 5, 7).drop(columns="reasons"), None, "t")


def test_the_day_steps_load_puts_its_scores_in_the_store(
    engine: Engine, province: Path, tmp_path: Path
) -> None:
    last = table_days(province, "broadband_kpi")[-1]
    ctx = DayContext(province, tmp_path, last + dt.timedelta(days=1), connect("duckdb"))
    result = run_day_step(ctx)
    assert result.load is not None
    for _ in range(2):  # the daily run loaded twice: one copy
        with Session(engine) as s, s.begin():
            report = result.load(s, "daily")["line_days"]
    assert report.days == [last]
    written = pd.read_parquet(result.outputs[0])
    rows = _rows(engine)
    assert len(rows) == len(written) == report.rows and (rows.day == last).all()
    city = read_table(province, "broadband_lines").to_pandas().set_index("line_id")["city"]
    assert (rows.set_index("line_id")["city"] == city.reindex(rows.line_id)).all()
