"""The proof of the repairs: each repaired line's week before and after, per scenario."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telcolens.broadband.proof import NOT_DIAGNOSED, PROOF_COLUMNS, proof_of
from telcolens.engine import connect
from telcolens.errors import BadInput

D0 = dt.date(2026, 11, 1)
WINDOW = 3


def day(k: int) -> dt.date:
    return D0 + dt.timedelta(days=k)


def at(k: int, hour: int = 10) -> dt.datetime:
    return dt.datetime.combine(day(k), dt.time(hour))


def _lines() -> pa.Table:
    return pa.table(
        {
            "line_id": [1, 2, 3, 4, 5],
            "olt_id": ["O1"] * 5,
            "pon_port": ["0/1/0", "0/1/1", "0/1/1", "0/1/2", "0/1/0"],
            "splitter_id": ["S1", "S2", "S2", "S3", "S1"],
        }
    )


def _scored() -> pa.Table:
    rows = []
    for k in range(15):
        # Line 1: Wi-Fi interference on days 3-6, fixed remotely on day 7.
        rows.append((1, day(k), 30.0 if 3 <= k <= 6 else 80.0, 3 <= k <= 6, "wifi_interference"))
        # Lines 2 and 3: their splitter's fibre from day 2; the field visit of day 7
        # fixes line 2 only.
        for line, after in ((2, 85.0), (3, 25.0)):
            bad = k >= 2 if line == 3 else 2 <= k < 7
            score = 20.0 if 2 <= k < 7 else (after if k > 7 else 50.0)
            rows.append((line, day(k), score, bad, "optical_splitter"))
        rows.append((4, day(k), 60.0, False, None))
        rows.append((5, day(k), 75.0, False, None))  # healthy, rebooted all the same
    line, d, score, poor, scenario = zip(*rows, strict=True)
    scenario = [s if p else None for s, p in zip(scenario, poor, strict=True)]
    return pa.table({"line_id": line, "day": d, "score": score, "poor": poor, "scenario": scenario})


def _repairs() -> pa.Table:
    rows = [
        (1, 1, None, None, at(7), "remote_channel_change", True),
        (2, None, "S2", "splitter", at(7), "field_visit", True),
        (3, 5, None, None, at(7), "cpe_reboot", False),
        (4, 4, None, None, at(1), "cpe_reboot", True),  # no full week before: not judged
        (5, 4, None, None, at(13), "cpe_reboot", True),  # its week after is not over
    ]
    names = ["repair_id", "line_id", "element_id", "element_type", "repair_time", "action"]
    cols = list(zip(*rows, strict=True))
    return pa.table(
        {**{n: list(c) for n, c in zip(names, cols, strict=False)}, "closed_as_fixed": cols[6]},
        schema=pa.schema(
            [
                ("repair_id", pa.int64()),
                ("line_id", pa.int64()),
                ("element_id", pa.string()),
                ("element_type", pa.string()),
                ("repair_time", pa.timestamp("us")),
                ("action", pa.string()),
                ("closed_as_fixed", pa.bool_()),
            ]
        ),
    )


def _complaints() -> pa.Table:
    return pa.table(
        {
            "complaint_id": [1, 2, 3, 4],
            "line_id": [1, 1, 3, 1],
            "complaint_time": [at(4), at(5), at(9), at(12)],  # line 1's third is too late
        },
        schema=pa.schema(
            [
                ("complaint_id", pa.int64()),
                ("line_id", pa.int64()),
                ("complaint_time", pa.timestamp("us")),
            ]
        ),
    )


def _proof(engine: str, folder) -> pd.DataFrame:
    # Read from Parquet, as the data arrives: a PySpark in-memory table built from pandas
    # nulls a nullable integer column (the repairs' line_id) whole.
    con = connect(engine)
    tables = []
    for name, t in zip(
        ("scored", "repairs", "lines", "complaints"),
        (_scored(), _repairs(), _lines(), _complaints()),
        strict=True,
    ):
        pq.write_table(t, folder / f"{name}.parquet")
        tables.append(con.read_parquet(str(folder / f"{name}.parquet")))
    out = con.execute(proof_of(*tables, window=WINDOW))
    return out.set_index(["scenario", "action"])


def test_each_scenario_s_repairs_are_judged_on_the_weeks_around_them(engine: str, tmp_path) -> None:
    p = _proof(engine, tmp_path)
    assert list(p.reset_index().columns) == list(PROOF_COLUMNS)
    weekly = 100 * 7 / WINDOW
    wifi = p.loc[("wifi_interference", "remote_channel_change")]
    assert (wifi.repairs, wifi.lines, wifi.poor_before) == (1, 1, 1)
    assert wifi.score_before == pytest.approx(30.0) and wifi.score_after == pytest.approx(80.0)
    assert wifi.score_change == pytest.approx(50.0) and wifi.recovered == pytest.approx(1.0)
    assert wifi.complaints_before == pytest.approx(2 * weekly)
    assert wifi.complaints_after == pytest.approx(0.0)
    # The splitter's repair is judged on both of its lines; one is as poor as before.
    fibre = p.loc[("optical_splitter", "field_visit")]
    assert (fibre.repairs, fibre.lines, fibre.poor_before) == (1, 2, 2)
    assert fibre.score_after == pytest.approx((85.0 + 25.0) / 2)
    assert fibre.recovered == pytest.approx(0.5)
    assert (fibre.closed_as_fixed, fibre.fixed_still_poor) == (2, 1)
    assert fibre.complaints_after == pytest.approx(weekly / 2)
    # A repair of a line the diagnosis did not find poor.
    blind = p.loc[(NOT_DIAGNOSED, "cpe_reboot")]
    assert blind.lines == 1 and pd.isna(blind.recovered) and blind.closed_as_fixed == 0
    # Line 4's repairs lie too near the ends of the scored days to be judged.
    assert len(p) == 3
    for col in ("first_repair_day", "last_repair_day"):
        assert (pd.to_datetime(p[col]).dt.date == day(7)).all()


def test_a_window_under_one_day_is_refused() -> None:
    tables = [ibis.memtable(t) for t in (_scored(), _repairs(), _lines(), _complaints())]
    with pytest.raises(BadInput, match="at least one day"):
        proof_of(*tables, window=0)


@pytest.fixture(scope="module")
def month(tmp_path_factory: pytest.TempPathFactory):
    """A small province of 20 days: repairs with a week on each side."""
    from telcolens.simulate import generate_province

    out = tmp_path_factory.mktemp("proof") / "data"
    generate_province(out, subscribers=3000, days=20, seed=3, progress=False)
    return out


def test_on_a_province_the_proof_tells_working_repairs_from_failed_ones(month) -> None:
    from telcolens.broadband.evaluate_proof import evaluate_proof

    found, per = evaluate_proof(month, days=20)
    fixed, unfixed = found["cause_fixed"], found["cause_not_fixed"]
    assert fixed["lines"] >= 10 and unfixed["lines"] >= 10
    # The proof never saw the truth, yet the repairs that fixed the cause recovered.
    assert fixed["recovered"] > unfixed["recovered"] + 0.3
    assert fixed["score_change"] > unfixed["score_change"] + 10
    # Tickets closed as fixed whose cause remained: what the proof is for.
    assert found["closed_as_fixed_cause_not_fixed_still_poor"] > 0
    assert found["scenario_right"] > 0.8
    assert per.repair_id.nunique() <= len(per)


def test_the_proof_command_writes_and_loads_it(month, tmp_path) -> None:
    from sqlalchemy.orm import Session
    from typer.testing import CliRunner

    from telcolens.broadband.results import stored_proof
    from telcolens.cli import app
    from telcolens.store.db import make_engine

    url = f"sqlite:///{tmp_path / 'store.db'}"
    args = ["broadband", "proof", "--data", str(month), "--out", str(tmp_path / "out")]
    r = CliRunner().invoke(app, [*args, "--days", "20", "--load", "--database-url", url])
    assert r.exit_code == 0, r.output
    written = pd.read_parquet(tmp_path / "out" / "proof.parquet")
    assert list(written.columns) == list(PROOF_COLUMNS) and len(written) > 0
    with Session(make_engine(url)) as s:
        assert len(stored_proof(s)) == len(written)
    short = CliRunner().invoke(app, [*args, "--days", "10"])
    assert short.exit_code != 0 and "leaves no repair day" in short.output
    # evaluate-proof needs the truth a generated province carries.
    bare = tmp_path / "bare"
    bare.mkdir()
    (bare / "broadband_kpi").mkdir()
    ev = CliRunner().invoke(
        app, ["broadband", "evaluate-proof", "--data", str(bare), "--out", str(tmp_path / "e")]
    )
    assert ev.exit_code != 0 and "truth" in ev.output
