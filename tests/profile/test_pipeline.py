"""The usage profile on a hand-made province whose answers are worked out by hand."""

from datetime import date, datetime

import pyarrow as pa
import pytest

from telcolens import engine as engines
from telcolens.dataset import write_part
from telcolens.profile import usage_profile
from telcolens.schema import CELLS, DATA_SESSIONS, LOCATION_EVENTS, SMS, SUBSCRIBERS, VOICE

A, B, C, OFFNET = 101, 102, 103, 999


def _rows(spec, **columns):
    return pa.table(columns, schema=spec.arrow_schema())


@pytest.fixture
def tiny(tmp_path):
    return make_tiny_province(tmp_path)


def make_tiny_province(tmp_path):
    d = datetime
    write_part(tmp_path, SUBSCRIBERS, _rows(
        SUBSCRIBERS, subscriber_id=[A, B, C], id_card_id=[1, 2, 3], age=[30, 70, None],
        city=["Jinan"] * 3, county=["370102"] * 3, activation_date=[date(2020, 1, 1)] * 3,
        sales_outlet=["O1"] * 3, plan=["P"] * 3, customer_type=["individual"] * 3), "p0")
    write_part(tmp_path, CELLS, _rows(
        CELLS, cell_id=[1, 2, 3], site_id=[1, 1, 2], lat=[36.6, 36.6, 36.0],
        lon=[117.0, 117.0, 120.3], city=["Jinan", "Jinan", "Qingdao"],
        county=["370102", "370102", "370202"], rat=["4G", "5G", "5G"]), "p0")
    # A calls B (answered 60 s, on-net: MO + MT legs), A calls OFFNET at 23:30 for 5 s,
    # A calls B again unanswered; OFFNET calls C (MT only).
    write_part(tmp_path, VOICE, _rows(
        VOICE,
        caller=[A, A, A, A, A, OFFNET],
        callee=[B, B, OFFNET, B, B, C],
        start_time=[d(2026, 11, 2, 9), d(2026, 11, 2, 9), d(2026, 11, 2, 23, 30),
                    d(2026, 11, 3, 10), d(2026, 11, 3, 10), d(2026, 11, 3, 12)],
        duration_s=[60, 60, 5, 0, 0, 120],
        direction=["MO", "MT", "MO", "MO", "MT", "MT"],
        cell_id=[1, 3, 2, None, 3, 1],
        imei_id=[None] * 6), "p0")
    write_part(tmp_path, SMS, _rows(
        SMS, sender=[B, B, B], recipient=[A, A, OFFNET], send_time=[d(2026, 11, 2, 8)] * 3,
        direction=["MO", "MT", "MO"], cell_id=[3, 1, 3]), "p0")
    write_part(tmp_path, DATA_SESSIONS, _rows(
        DATA_SESSIONS, subscriber_id=[C, C], start_time=[d(2026, 11, 4, 1)] * 2,
        duration_s=[10, 20], app=["video", "web"], bytes_up=[10, 20],
        bytes_down=[1000, 2000], cell_id=[1, 1]), "p0")
    write_part(tmp_path, LOCATION_EVENTS, _rows(
        LOCATION_EVENTS, subscriber_id=[A], event_time=[d(2026, 11, 4, 7)], cell_id=[3],
        event_type=["periodic_update"]), "p0")
    return tmp_path


def test_profile_matches_hand_computation(tiny):
    con = engines.connect("duckdb")
    got = usage_profile(engines.tables(con, tiny)).to_pandas().set_index("subscriber_id")

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


def test_profile_runs_with_tables_missing(tmp_path):
    write_part(tmp_path, SUBSCRIBERS, _rows(
        SUBSCRIBERS, subscriber_id=[A], id_card_id=[1], age=[30], city=["Jinan"],
        county=["370102"], activation_date=[date(2020, 1, 1)], sales_outlet=["O1"],
        plan=["P"], customer_type=["individual"]), "p0")
    con = engines.connect("duckdb")
    got = usage_profile(engines.tables(con, tmp_path)).to_pandas()
    assert got.subscriber_id.tolist() == [A]
    assert got.calls_out.tolist() == [0] and got.active_days.tolist() == [0]


def test_connect_rejects_unknown_engine():
    with pytest.raises(ValueError, match="unknown engine 'oracle'"):
        engines.connect("oracle")


def test_tables_rejects_missing_directory(tmp_path):
    with pytest.raises(FileNotFoundError, match="does not exist"):
        engines.tables(engines.connect("duckdb"), tmp_path / "nope")
