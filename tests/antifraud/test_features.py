"""Anti-fraud features: worked out by hand on tiny provinces, and equal on both engines."""

import datetime as dt

import pandas as pd
import pyarrow as pa
import pytest

from telcolens import engine as engines
from telcolens.antifraud.features import FEATURES, fraud_features
from telcolens.dataset import write_part
from telcolens.schema import SUBSCRIBERS, VOICE
from tests.profile._tiny import A, B, C, make_tiny_province

AS_OF = dt.date(2026, 11, 5)


def features(data_dir, engine="duckdb") -> pd.DataFrame:
    con = engines.connect(engine)
    t = engines.tables(con, data_dir)
    return con.to_pyarrow(fraud_features(t, AS_OF)).to_pandas().set_index("subscriber_id")


def test_columns_are_the_documented_features(tmp_path):
    f = features(make_tiny_province(tmp_path))
    assert list(f.columns) == list(FEATURES)


def test_calling_measures_by_hand(tmp_path, engine):
    f = features(make_tiny_province(tmp_path), engine)
    a = f.loc[A]
    # A made 3 calls: B 60 s at 09:00, OFFNET 5 s at 23:30, B unanswered next day 10:00.
    assert a.calls_out == 3
    assert a.distinct_callees == 2
    assert a.short_call_share == pytest.approx(2 / 3)
    assert a.answered_share == pytest.approx(2 / 3)
    assert a.night_share == pytest.approx(1 / 3)
    assert a.callback_share == 0  # nobody called A back
    assert a.new_callee_share == 1  # neither had called A before
    assert a.active_hours == 3
    assert a.peak_hour_callees == 1
    assert a.burstiness == 1
    c = f.loc[C]
    assert (c.calls_in, c.distinct_callers, c.calls_out) == (1, 1, 0)
    assert pd.isna(c.short_call_share)  # no calls made: no share


def test_account_and_graph_measures_by_hand(tmp_path, engine):
    f = features(make_tiny_province(tmp_path), engine)
    a = f.loc[A]
    assert a.age == 30 and a.is_business == 0
    assert a.sim_age_days == (AS_OF - dt.date(2020, 1, 1)).days
    assert (a.sims_per_id_card, a.card_batch_sims) == (1, 1)
    assert a.outlet_day_sims == 3  # all three SIMs activated at O1 on one day
    # A spoke with B and OFFNET; OFFNET also spoke with C.
    assert a.call_degree == 2
    assert a.two_hop_reach == 1 + 2
    assert a.same_city_contact_share == 1  # its one on-net contact, B, is in Jinan
    assert f.loc[B].call_degree == 1


def test_callbacks_and_returning_callees(tmp_path, engine):
    X, Y = 1, 2
    write_part(
        tmp_path,
        SUBSCRIBERS,
        pa.table(
            {
                "subscriber_id": [X, Y],
                "id_card_id": [7, 7],
                "age": [40, 41],
                "city": ["Jinan"] * 2,
                "county": ["370102"] * 2,
                "activation_date": [dt.date(2026, 10, 1), dt.date(2026, 10, 3)],
                "sales_outlet": ["O1", "O2"],
                "plan": ["P"] * 2,
                "customer_type": ["individual"] * 2,
            },
            schema=SUBSCRIBERS.arrow_schema(),
        ),
        "p0",
    )
    t9, t10 = dt.datetime(2026, 11, 2, 9), dt.datetime(2026, 11, 2, 10)
    write_part(
        tmp_path,
        VOICE,
        pa.table(
            {
                "caller": [X, X, Y, Y],
                "callee": [Y, Y, X, X],
                "start_time": [t9, t9, t10, t10],
                "duration_s": [30, 30, 40, 40],
                "direction": ["MO", "MT", "MO", "MT"],
                "cell_id": [None] * 4,
                "imei_id": [None] * 4,
            },
            schema=VOICE.arrow_schema(),
        ),
        "p0",
    )
    f = features(tmp_path, engine)
    assert f.loc[X].callback_share == 1  # Y called X back after X's call
    assert f.loc[X].new_callee_share == 1
    assert f.loc[Y].callback_share == 0
    assert f.loc[Y].new_callee_share == 0  # X had called Y first
    assert f.loc[X].sims_per_id_card == 2
    assert f.loc[X].card_batch_sims == 2  # activated two days apart
    assert f.loc[X].outlet_day_sims == 1


@pytest.mark.spark
@pytest.mark.slow
def test_features_equal_on_duckdb_and_spark(province):
    duck = features(province, "duckdb").reset_index()
    spark = features(province, "spark").reset_index()
    assert len(duck) == 3000
    pd.testing.assert_frame_equal(duck, spark, check_exact=True)
