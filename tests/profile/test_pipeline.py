"""The usage profile on a hand-made province whose answers are worked out by hand."""

from datetime import date

import pytest

from telcolens import engine as engines
from telcolens.dataset import write_part
from telcolens.profile import usage_profile
from telcolens.schema import SUBSCRIBERS
from tests.profile._tiny import OFFNET, A, B, C, rows


def test_profile_matches_hand_computation(tiny_province, engine):
    con = engines.connect(engine)
    got = usage_profile(engines.tables(con, tiny_province)).to_pandas().set_index("subscriber_id")

    a, b, c = got.loc[A], got.loc[B], got.loc[C]
    assert (a.calls_out, a.calls_in, a.distinct_callees) == (3, 0, 2)
    assert a.short_call_share == pytest.approx(2 / 3)  # 5 s and unanswered
    assert a.night_share == pytest.approx(1 / 3)  # the 23:30 call
    assert a.mean_call_duration_s == pytest.approx(65 / 3)
    assert (a.distinct_cells, a.distinct_cities, a.active_days) == (3, 2, 3)
    assert (b.calls_out, b.calls_in, b.sms_out, b.sms_in) == (0, 2, 2, 0)  # MT leg is A's
    assert b.short_call_share != b.short_call_share  # NaN: no calls made
    assert (b.distinct_cells, b.distinct_cities, b.active_days) == (1, 1, 2)
    assert (c.calls_in, c.data_bytes, c.active_days) == (1, 3030, 2)
    assert (a.sms_out, a.sms_in) == (0, 1)
    assert OFFNET not in got.index


def test_profile_runs_with_tables_missing(tmp_path, engine):
    write_part(
        tmp_path,
        SUBSCRIBERS,
        rows(
            SUBSCRIBERS,
            subscriber_id=[A],
            id_card_id=[1],
            age=[30],
            city=["Jinan"],
            county=["370102"],
            activation_date=[date(2020, 1, 1)],
            sales_outlet=["O1"],
            plan=["P"],
            customer_type=["individual"],
        ),
        "p0",
    )
    con = engines.connect(engine)
    got = usage_profile(engines.tables(con, tmp_path)).to_pandas()
    assert got.subscriber_id.tolist() == [A]
    assert got.calls_out.tolist() == [0] and got.active_days.tolist() == [0]


def test_connect_rejects_unknown_engine():
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        engines.connect("oracle")


def test_tables_rejects_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        engines.tables(engines.connect("duckdb"), tmp_path / "nope")
