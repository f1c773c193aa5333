"""The generator writes every table with its schema, deterministically, with realistic gaps."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from telcolens.dataset import part_files, read_table
from telcolens.schema import TABLES
from telcolens.simulate import generate_province
from telcolens.simulate.geography import CITIES
from tests.simulate._frames import table, truth


@pytest.mark.parametrize("name", list(TABLES))
def test_every_table_written_with_its_schema(province, name):
    files = part_files(province, name)
    assert files, f"no parts for {name}"
    for f in files:
        assert pq.read_schema(f).equals(TABLES[name].arrow_schema(), check_metadata=False)
    assert read_table(province, name).num_rows > 0


def test_daily_tables_have_one_part_per_day(province):
    assert [f.name for f in part_files(province, "voice")] == [
        "day-2026-11-02.parquet",
        "day-2026-11-03.parquet",
    ]


def test_same_seed_same_data_other_seed_differs(tmp_path):
    runs = [
        generate_province(tmp_path / str(i), subscribers=1000, days=1, seed=s, progress=False)
        for i, s in enumerate((5, 5, 6))
    ]
    for name in TABLES:
        a, b = (read_table(r.out, name) for r in runs[:2])
        assert a.equals(b), name
    assert not read_table(runs[0].out, "voice").equals(read_table(runs[2].out, "voice"))
    assert runs[0].rows == runs[1].rows


def test_refuses_bad_arguments_and_existing_province(tmp_path, province):
    with pytest.raises(ValueError, match="at least 1000"):
        generate_province(tmp_path / "a", subscribers=999, days=1, seed=1)
    with pytest.raises(ValueError, match="days must be"):
        generate_province(tmp_path / "a", subscribers=1000, days=0, seed=1)
    with pytest.raises(ValueError, match="already holds a province"):
        generate_province(province, subscribers=1000, days=1, seed=1)


def test_overwrite_replaces_the_province(tmp_path):
    out = tmp_path / "p"
    generate_province(out, subscribers=1000, days=2, seed=1, progress=False)
    s = generate_province(out, subscribers=1000, days=1, seed=1, progress=False, overwrite=True)
    assert len(part_files(out, "voice")) == 1
    assert s.rows["voice"] == read_table(out, "voice").num_rows
    assert json.loads((out / "truth" / "manifest.json").read_text())["days"] == 1


def test_city_shares_follow_population(province):
    subs = table(province, "subscribers")
    share = subs.city.value_counts(normalize=True)
    pops = {name: pop for name, _, _, _, pop in CITIES}
    total = sum(pops.values())
    for name, pop in pops.items():
        assert share[name] == pytest.approx(pop / total, abs=0.02), name
    assert share["Linyi"] > share["Dongying"] * 3


def test_numbers_map_between_tables(province):
    subs = set(table(province, "subscribers").subscriber_id)
    voice = table(province, "voice")
    assert set(voice[voice.direction == "MO"].caller) <= subs
    assert set(voice[voice.direction == "MT"].callee) <= subs
    offnet = ~voice.caller.isin(subs) | ~voice.callee.isin(subs)
    assert 0.15 < offnet.mean() < 0.45  # other operators' numbers, one leg only
    cells = set(table(province, "cells").cell_id)
    assert set(voice.cell_id.dropna().astype(np.int64)) <= cells


def test_one_to_two_percent_of_records_missing(province):
    """An on-net call has MO and MT records; a lost record leaves one of them alone."""
    voice = table(province, "voice")
    subs = set(table(province, "subscribers").subscriber_id)
    onnet = voice[voice.caller.isin(subs) & voice.callee.isin(subs)]
    key = ["caller", "callee", "start_time"]
    mo = onnet[onnet.direction == "MO"][key].drop_duplicates()
    mt = onnet[onnet.direction == "MT"][key].drop_duplicates()
    matched = mo.merge(mt, on=key).shape[0]
    lost_mt = 1 - matched / len(mo)
    assert 0.008 < lost_mt < 0.025
    assert 0.004 < voice.cell_id.isna().mean() < 0.015
    assert 0.005 < voice.imei_id.isna().mean() < 0.02


def test_calls_are_daytime_and_signalling_adds_location(province):
    voice = table(province, "voice")
    hours = voice.start_time.dt.hour
    assert (hours.between(9, 21)).mean() > 0.7
    loc = table(province, "location_events")
    kinds = loc.event_type.value_counts()
    assert kinds["periodic_update"] > 0 and kinds["handover"] > 0
    # Service use is located by its own records, not repeated as location events.
    signalling = {"attach", "detach", "periodic_update", "handover", "area_update"}
    assert set(kinds.index) <= signalling
    assert kinds["area_update"] > 0  # trips' arrivals and returns, border reselections
    subs = table(province, "subscribers")
    assert loc.subscriber_id.nunique() > 0.8 * len(subs)


def test_commuters_seen_at_work_on_weekdays(province):
    loc = table(province, "location_events")
    loc = loc[loc.event_type == "periodic_update"]
    night = (
        loc[loc.event_time.dt.hour < 6]
        .groupby("subscriber_id")
        .cell_id.agg(lambda c: c.mode().iloc[0])
    )
    office = (
        loc[loc.event_time.dt.hour.between(10, 16)]
        .groupby("subscriber_id")
        .cell_id.agg(lambda c: c.mode().iloc[0])
    )
    both = night.to_frame("night").join(office.to_frame("office"), how="inner")
    assert 0.2 < (both.night != both.office).mean() < 0.9


def test_truth_files_and_counts(province):
    manifest = json.loads((province / "truth" / "manifest.json").read_text())
    assert manifest["seed"] == 11
    for name, rows in manifest["truth_rows"].items():
        assert len(truth(province, name)) == rows
    personas = truth(province, "subscribers")
    assert 0.002 < personas.is_fraud.mean() < 0.006
    assert set(personas.persona) >= {"normal", "fraud", "courier", "call_centre", "broker_sim"}


def test_broadband_kpi_hourly_with_planted_conditions(province):
    kpi = table(province, "broadband_kpi")
    lines = truth(province, "broadband_lines")
    per_line = kpi.groupby("line_id").size()
    assert 46 <= per_line.median() <= 48  # two days, hourly, a sample lost now and then
    rx = (
        kpi.groupby("line_id").optical_rx_dbm.mean().to_frame("rx").join(lines.set_index("line_id"))
    )
    weak = rx[rx.condition == "weak_optical"].rx
    healthy = rx[rx.condition == "healthy"].rx
    assert weak.median() < healthy.median() - 4
    assert (healthy < weak.max()).any()  # distributions overlap at the edges


def test_some_subscribers_travel_to_other_cities(province):
    from telcolens import engine as engines
    from telcolens.profile import usage_profile

    prof = usage_profile(engines.tables(engines.connect("duckdb"), province)).to_pandas()
    away = truth(province, "itinerary_away")
    # About 2% of subscribers take a trip to another city on a given day, and 0.6% a
    # day visit (2 days here).
    travelled = away.subscriber_id.nunique() / len(truth(province, "itinerary_home"))
    assert 0.03 < travelled < 0.08
    assert set(away.kind) == {"trip", "visit"}
    # Cells of two cities seen is more: border ping-pong puts a city in the records of
    # phones that never left home (the visited-places card's known error).
    seen_two = (prof.distinct_cities >= 2).mean()
    assert travelled < seen_two < travelled + 0.2


def test_records_past_midnight_land_in_a_part_of_their_own_day(tmp_path: Path) -> None:
    """An SMS drawn for one day but sent at 00:00:37 the next goes to that next day's name."""
    import datetime as dt

    import pyarrow as pa

    from telcolens.dataset import part_day
    from telcolens.simulate.province import _write

    sms = TABLES["sms"].empty().to_pydict()
    times = [dt.datetime(2026, 11, 17, 23, 59), dt.datetime(2026, 11, 18, 0, 0, 37)]
    rows = {k: [None] * 2 for k in sms}
    rows.update(
        sender=[1, 2], recipient=[3, 4], send_time=times, direction=["MO", "MO"], cell_id=[5, 6]
    )
    table = pa.Table.from_pydict(rows, schema=TABLES["sms"].arrow_schema())
    assert _write(tmp_path, "sms", table, "day-2026-11-17") == ("sms", 2)
    parts = part_files(tmp_path, "sms")
    assert [p.name for p in parts] == [
        "day-2026-11-17.parquet",
        "day-2026-11-18.from-2026-11-17.parquet",
    ]
    assert [part_day(p) for p in parts] == [dt.date(2026, 11, 17), dt.date(2026, 11, 18)]
