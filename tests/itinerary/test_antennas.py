"""bandicoot's per-antenna measures: its hand-worked users, its demo export, edge cases."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from telcolens.errors import BadInput
from telcolens.itinerary.antennas import (
    MEASURES,
    antenna_measures,
    antenna_measures_by_user,
    binned_positions,
    home_antenna,
)

MOBILITY = Path("/work/shared/data/mobility")
MANUAL = MOBILITY / "bandicoot_manual"
DEMO = MOBILITY / "bandicoot_demo" / "demo"
needs_manual = pytest.mark.skipif(
    not (MANUAL / "A.json").is_file(),
    reason=f"bandicoot's hand-worked users are not at {MANUAL} (see its SOURCE.md)",
)
needs_demo = pytest.mark.skipif(
    not (DEMO / "demo_export_user.json").is_file(),
    reason=f"bandicoot's demo export is not at {DEMO} (see its SOURCE.md)",
)


def _expected(doc: dict) -> dict[str, float]:
    """The measures a bandicoot export covers, read from its allweek/allday cells."""
    out = {}
    for name in MEASURES:
        if name in doc:
            cell = doc[name]["allweek"]["allday"]
            out[name] = cell["callandtext"] if isinstance(cell, dict) else cell
    return out


@needs_manual
@pytest.mark.parametrize(
    ("user", "towers", "decimal"),
    # bandicoot's test_manual.py: A with towers.csv at decimal=4, B without at decimal=3.
    [("A", True, 4), ("B", False, 3)],
)
def test_hand_worked_users(user: str, towers: bool, decimal: int):
    expected = _expected(json.loads((MANUAL / f"{user}.json").read_text()))
    assert set(expected) == set(MEASURES) - {"radius_of_gyration"}
    antennas = pd.read_csv(MANUAL / "towers.csv") if towers else None
    got = antenna_measures(pd.read_csv(MANUAL / f"{user}.csv"), antennas)
    for name, value in expected.items():
        np.testing.assert_almost_equal(got[name], value, decimal=decimal, err_msg=name)


@needs_demo
def test_demo_export():
    doc = json.loads((DEMO / "demo_export_user.json").read_text())["ego"]
    expected = _expected(doc)
    assert expected == pytest.approx(
        {
            "number_of_antennas": 10,
            "entropy_of_antennas": 1.50028,
            "percent_at_home": 0.47386,
            "radius_of_gyration": 1.80654,
            "frequent_antennas": 3,
            "active_days": 44,
        },
        abs=5e-6,
    )
    got = antenna_measures(
        pd.read_csv(DEMO / "data" / "ego.csv"), pd.read_csv(DEMO / "data" / "antennas.csv")
    )
    assert got == pytest.approx(expected, rel=1e-12)


def records(*rows: tuple) -> pd.DataFrame:
    """Records from (ISO datetime, antenna_id) rows, all texts."""
    return pd.DataFrame(
        {
            "interaction": ["text"] * len(rows),
            "datetime": [r[0] for r in rows],
            "antenna_id": [r[1] for r in rows],
        }
    )


def test_binning_takes_the_most_frequent_then_the_first_met():
    recs = records(
        ("2014-03-02 10:00:00", 2),
        ("2014-03-02 10:05:00", 1),
        ("2014-03-02 10:10:00", 1),
        ("2014-03-02 10:35:00", 3),
        ("2014-03-02 10:40:00", 4),
    )
    # 10:00-10:29 holds 2, 1, 1 -> 1; 10:30-10:59 ties 3 and 4 -> 3, met first.
    assert binned_positions(recs).tolist() == [1, 3]


def test_binning_key_has_no_month_as_in_bandicoot():
    # Consecutive records on 2 March and 2 April at 10:0x share (year, day, hour, half).
    recs = records(
        ("2014-03-02 10:01:00", 1), ("2014-04-02 10:02:00", 2), ("2014-04-02 10:03:00", 2)
    )
    assert binned_positions(recs).tolist() == [2]


def test_records_are_sorted_and_only_calls_and_texts_count():
    recs = records(("2014-03-02 12:00:00", 2), ("2014-03-02 08:00:00", 1))
    recs.loc[len(recs)] = ["mms", "2014-03-03 09:00:00", 9]
    assert binned_positions(recs).tolist() == [1, 2]
    assert antenna_measures(recs)["active_days"] == 1


def test_home_is_the_most_frequent_night_position_and_night_ends_inclusive():
    recs = records(
        ("2014-03-02 07:00:00", 5),  # 07:00 is still night
        ("2014-03-02 07:00:01", 6),  # day
        ("2014-03-02 12:00:00", 6),
        ("2014-03-02 19:00:00", 5),  # night again
        ("2014-03-03 02:00:00", 7),
    )
    assert home_antenna(recs) == 5
    m = antenna_measures(recs)
    # Positions: 5 (07:00 chunk: 5, 6 tie -> 5), 6, 5, 7; home 5 -> 2 of 4.
    assert m["percent_at_home"] == 0.5
    assert m["number_of_antennas"] == 3


def test_day_only_records_have_no_home():
    m = antenna_measures(records(("2014-03-02 12:00:00", 1), ("2014-03-02 13:00:00", 2)))
    assert m["percent_at_home"] is None
    assert m["entropy_of_antennas"] == pytest.approx(math.log(2))


def test_home_ties_go_to_the_night_position_binned_first():
    recs = records(("2014-03-02 22:00:00", 8), ("2014-03-02 23:00:00", 9))
    assert home_antenna(recs) == 8


def test_frequent_antennas_covers_the_share_with_the_fewest_antennas():
    # Positions 1 x5, 2 x3, 3 x2 (different hours): 80% of 10 is 8 = 5 + 3.
    rows = [(f"2014-03-02 {h:02d}:00:00", a) for h, a in enumerate([1] * 5 + [2] * 3 + [3] * 2)]
    recs = records(*rows)
    assert antenna_measures(recs)["frequent_antennas"] == 2
    assert antenna_measures(recs, percentage=0.81)["frequent_antennas"] == 3
    assert antenna_measures(recs, percentage=0.5)["frequent_antennas"] == 1


def test_radius_of_gyration_of_two_antennas():
    antennas = pd.DataFrame({"antenna_id": [1, 2], "latitude": [0.0, 0.0], "longitude": [0.0, 1.0]})
    recs = records(
        ("2014-03-02 10:00:00", 1), ("2014-03-02 11:00:00", 2), ("2014-03-02 12:00:00", 99)
    )  # 99 has no coordinates: left out
    half_degree_km = 6371.0 * math.radians(0.5)
    got = antenna_measures(recs, antennas)["radius_of_gyration"]
    assert got == pytest.approx(half_degree_km, rel=1e-12)
    assert antenna_measures(recs)["radius_of_gyration"] is None


def test_empty_records():
    m = antenna_measures(records())
    assert m == {
        "number_of_antennas": 0,
        "entropy_of_antennas": None,
        "percent_at_home": None,
        "frequent_antennas": 0,
        "radius_of_gyration": None,
        "active_days": 0,
    }


def test_a_record_without_antenna_is_one_more_position():
    recs = records(("2014-03-02 10:00:00", 1), ("2014-03-02 11:00:00", None))
    assert antenna_measures(recs)["number_of_antennas"] == 2


def test_by_user():
    recs = pd.concat(
        [
            records(("2014-03-02 10:00:00", 1)).assign(user_id="u1"),
            records(("2014-03-02 10:00:00", 1), ("2014-03-03 10:00:00", 2)).assign(user_id="u2"),
        ]
    )
    out = antenna_measures_by_user(recs)
    assert out["user_id"].tolist() == ["u1", "u2"]
    assert out["number_of_antennas"].tolist() == [1, 2]
    assert out["active_days"].tolist() == [1, 2]


def test_missing_columns_are_bad_input():
    with pytest.raises(BadInput, match="antenna_id"):
        antenna_measures(pd.DataFrame({"datetime": []}))
