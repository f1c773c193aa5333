"""Point-level stays against trackintel's published output, and hand-made edge cases."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from telcolens.errors import BadInput
from telcolens.itinerary.staypoints import (
    STAY_COLUMNS,
    haversine_m,
    place_stays,
    read_geolife,
    staypoints,
)

GEOLIFE_LONG = Path("/work/shared/data/mobility/geolife_trackintel/tests/data/geolife_long")
needs_geolife = pytest.mark.skipif(
    not (GEOLIFE_LONG / "sp_tpls.csv").is_file(),
    reason=f"trackintel's GeoLife test data is not at {GEOLIFE_LONG} (see its SOURCE.md)",
)
T0 = pd.Timestamp("2024-01-01 08:00", tz="UTC")
# 0.0001 degree of latitude is about 11.1 m, so LAT_STEP * 3 is past a 25 m threshold.
LAT, LON, LAT_STEP = 39.98, 116.31, 0.0001


def fixes(*rows: tuple) -> pd.DataFrame:
    """Fixes from (user_id, minutes after T0, metres north of the base point) rows."""
    return pd.DataFrame(
        {
            "user_id": [r[0] for r in rows],
            "tracked_at": [T0 + pd.Timedelta(minutes=r[1]) for r in rows],
            "lat": [LAT + r[2] / 111_195.0 for r in rows],
            "lon": [LON] * len(rows),
        }
    ).astype({"user_id": "int64", "tracked_at": "datetime64[ns, UTC]"})


def spans(out: pd.DataFrame) -> list[tuple[int, float, float]]:
    """(user, start, finish) with times as minutes after T0."""
    return [
        (int(u), (s - T0) / pd.Timedelta(minutes=1), (f - T0) / pd.Timedelta(minutes=1))
        for u, s, f in zip(out["user_id"], out["started_at"], out["finished_at"], strict=True)
    ]


@needs_geolife
def test_geolife_long_equals_trackintels_22_staypoints():
    """trackintel's test_generate_trips_id_management settings; sp_tpls.csv's staypoint rows."""
    found = staypoints(
        read_geolife(GEOLIFE_LONG), dist_threshold_m=25, time_threshold_min=5, gap_threshold_min=1e6
    )
    expected = pd.read_csv(GEOLIFE_LONG / "sp_tpls.csv")
    expected = expected[expected["type"] == "staypoint"]
    expected = (
        pd.DataFrame(
            {
                "user_id": expected["user_id"].astype("int64"),
                "started_at": pd.to_datetime(expected["started_at"]),
                "finished_at": pd.to_datetime(expected["finished_at"]),
            }
        )
        .sort_values(["user_id", "started_at"])
        .reset_index(drop=True)
    )
    assert len(expected) == 22
    got = found[["user_id", "started_at", "finished_at"]]
    pd.testing.assert_frame_equal(got, expected.astype(got.dtypes.to_dict()))


@needs_geolife
def test_read_geolife_counts_and_units():
    pfs = read_geolife(GEOLIFE_LONG)
    assert pfs.groupby("user_id").size().to_dict() == {0: 1152, 1: 3089}
    assert all(g["tracked_at"].is_monotonic_increasing for _, g in pfs.groupby("user_id"))
    first = pfs.iloc[0]
    # 000/Trajectory/20081023025304.plt's first fix: 492 ft, 02:53:04 UTC.
    assert first["tracked_at"] == pd.Timestamp("2008-10-23 02:53:04", tz="UTC")
    assert first["elevation"] == pytest.approx(492 * 0.3048)
    assert (first["lat"], first["lon"]) == (39.984702, 116.318417)


def test_read_geolife_without_user_folders(tmp_path: Path):
    with pytest.raises(BadInput, match="no GeoLife user folders"):
        read_geolife(tmp_path)


def test_empty_input_gives_no_staypoints():
    out = staypoints(fixes())
    assert list(out.columns) == STAY_COLUMNS
    assert out.empty


def test_single_fix_is_no_staypoint_even_with_include_last():
    assert staypoints(fixes((1, 0, 0))).empty
    assert staypoints(fixes((1, 0, 0)), include_last=True).empty


def test_stay_finishes_at_first_fix_outside():
    out = staypoints(
        fixes((1, 0, 0), (1, 3, 5), (1, 6, 10), (1, 8, 40), (1, 9, 80)),
        dist_threshold_m=25,
        time_threshold_min=5,
    )
    assert spans(out) == [(1, 0.0, 8.0)]
    assert out["n_fixes"].tolist() == [3]
    # The centroid is of the three fixes inside, not of the one that left.
    assert out["lat"].iat[0] == pytest.approx(LAT + 5 / 111_195.0)


def test_time_threshold_is_inclusive_and_short_visits_are_dropped():
    at_five = fixes((1, 0, 0), (1, 5, 40))
    assert spans(staypoints(at_five, dist_threshold_m=25, time_threshold_min=5)) == [(1, 0, 5)]
    under = fixes((1, 0, 0), (1, 4.9, 40))
    assert staypoints(under, dist_threshold_m=25, time_threshold_min=5).empty


def test_distance_is_from_the_anchor_not_the_previous_fix():
    # Each step is 10 m, under the threshold, but the fourth fix is 30 m from the first.
    walk = fixes((1, 0, 0), (1, 2, 10), (1, 4, 20), (1, 6, 30), (1, 12, 30), (1, 13, 90))
    out = staypoints(walk, dist_threshold_m=25, time_threshold_min=5)
    assert spans(out) == [(1, 0, 6), (1, 6, 13)]


def test_a_gap_ends_the_run_without_a_staypoint():
    # Still for 40 min but silent from 10 to 30: with a 15 min gap threshold the anchor
    # restarts at 30 and the walk out at 45 makes a stay from 30 only.
    trace = fixes((1, 0, 0), (1, 10, 0), (1, 30, 0), (1, 40, 0), (1, 45, 60))
    assert spans(staypoints(trace, dist_threshold_m=25, gap_threshold_min=15)) == [(1, 30, 45)]
    # A larger gap threshold keeps the silent stretch inside the stay.
    assert spans(staypoints(trace, dist_threshold_m=25, gap_threshold_min=60)) == [(1, 0, 45)]


def test_last_run_needs_include_last():
    trace = fixes((1, 0, 0), (1, 6, 40), (1, 20, 40))
    assert spans(staypoints(trace, dist_threshold_m=25)) == [(1, 0, 6)]
    out = staypoints(trace, dist_threshold_m=25, include_last=True)
    assert spans(out) == [(1, 0, 6), (1, 6, 20)]
    assert out["n_fixes"].tolist() == [1, 2]


def test_two_users_are_walked_separately_and_input_order_does_not_matter():
    rows = [(2, 0, 0), (1, 0, 0), (2, 7, 50), (1, 10, 50), (1, 1, 0)]
    out = staypoints(fixes(*rows), dist_threshold_m=25)
    assert spans(out) == [(1, 0, 10), (2, 0, 7)]
    # The second user's last fix never closes a stay of the first's.
    assert out.loc[out["user_id"] == 1, "n_fixes"].tolist() == [2]


def test_exact_duplicates_are_dropped():
    out = staypoints(fixes((1, 0, 0), (1, 0, 0), (1, 6, 40)), dist_threshold_m=25)
    assert out["n_fixes"].tolist() == [1]


def test_haversine_matches_a_known_distance():
    # trackintel's docstring: point_haversine_dist(8.5, 47.3, 8.7, 47.2) = 18749.056277719905;
    # the arccos form it now uses rounds 4e-8 m away from that figure.
    assert haversine_m(47.3, 8.5, 47.2, 8.7) == pytest.approx(18749.056277719905, abs=1e-6)
    assert haversine_m(LAT, LON, LAT, LON) == 0.0


def test_place_stays_semantics():
    s = pd.DataFrame(
        {
            "user_id": [7] * 6,
            "tracked_at": [T0 + pd.Timedelta(minutes=m) for m in (0, 30, 60, 61, 200, 260)],
            "place": ["A", "A", "B", "A", "A", "C"],
        }
    )
    out = place_stays(s, time_threshold_min=30, gap_threshold_min=120)
    # A from 0 until B is seen at 60; B lasts 1 min (too short); A from 61 is cut by the
    # 139 min gap before 200; A from 200 until C at 260.
    assert spans(out) == [(7, 0, 60), (7, 200, 260)]
    assert out["place"].tolist() == ["A", "A"]
    assert out["n_fixes"].tolist() == [2, 1]


def test_missing_columns_are_bad_input():
    with pytest.raises(BadInput, match="place"):
        place_stays(pd.DataFrame({"user_id": [], "tracked_at": []}))


def test_place_runs_with_no_thresholds_are_the_engines_first_outside_runs():
    s = pd.DataFrame(
        {
            "user_id": [1] * 5,
            "tracked_at": [T0 + pd.Timedelta(minutes=m) for m in (0, 10, 20, 30, 40)],
            "place": ["X", "X", "Y", "X", "X"],
        }
    )
    out = place_stays(s, time_threshold_min=0, gap_threshold_min=float("inf"), include_last=True)
    assert spans(out) == [(1, 0, 20), (1, 20, 30), (1, 30, 40)]
    assert out["place"].tolist() == ["X", "Y", "X"]
