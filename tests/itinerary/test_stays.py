"""Stays and visited cities from sightings: ping-pong, bounds, the threshold, the window."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pytest

from telcolens import engine as engines
from telcolens.errors import BadInput
from telcolens.itinerary.stays import StaySettings, clip, stays, visits

AS_OF = dt.date(2026, 11, 20)  # window 2026-11-05 .. 2026-11-19 with the defaults
DAY = pd.Timestamp("2026-11-10")


def _seen(rows: list[tuple[int, str, str]]) -> ibis.Table:
    """Located sightings from (subscriber, 'HH:MM' on DAY or a full timestamp, city)."""
    frame = pd.DataFrame(
        {
            "subscriber_id": [r[0] for r in rows],
            "seen_at": [
                DAY + pd.Timedelta(r[1] + ":00") if len(r[1]) <= 5 else pd.Timestamp(r[1])
                for r in rows
            ],
            "city": [r[2] for r in rows],
        }
    )
    return ibis.memtable(frame)


def _stays(rows, **settings) -> pd.DataFrame:
    con = engines.connect("duckdb")
    settings = {"boundary": "midpoint", "pingpong_minutes": 30.0, **settings}
    out = con.execute(stays(_seen(rows), StaySettings(**settings)))
    return out.sort_values(["subscriber_id", "start"]).reset_index(drop=True)


def _visits(rows, **settings) -> pd.DataFrame:
    con = engines.connect("duckdb")
    s = StaySettings(**{"boundary": "midpoint", "pingpong_minutes": 30.0, **settings})
    out = con.execute(visits(stays(_seen(rows), s), AS_OF, s))
    return out.sort_values(["subscriber_id", "city"]).reset_index(drop=True)


def test_a_border_ping_pong_within_minutes_is_one_place() -> None:
    rows = [(1, "08:00", "A"), (1, "08:03", "B"), (1, "08:05", "A"), (1, "08:09", "B")]
    rows += [(1, "08:12", "A"), (1, "14:00", "A")]
    out = _stays(rows)
    assert out.city.tolist() == ["A"]
    assert out.start[0] == DAY + pd.Timedelta("08:00:00")
    assert out.end[0] == DAY + pd.Timedelta("14:00:00")


def test_a_visit_longer_than_the_ping_pong_window_is_kept() -> None:
    rows = [(1, "08:00", "A"), (1, "09:00", "B"), (1, "10:00", "B"), (1, "11:00", "A")]
    out = _stays(rows)
    assert out.city.tolist() == ["A", "B", "A"]
    # Midpoint bounds: B from 08:30 to 10:30.
    assert out.start[1] == DAY + pd.Timedelta("08:30:00")
    assert out.end[1] == DAY + pd.Timedelta("10:30:00")
    # With no ping-pong filter a 3-minute blip stays its own place.
    blip = [(1, "08:00", "A"), (1, "08:03", "B"), (1, "08:06", "A")]
    assert _stays(blip, pingpong_minutes=0).city.tolist() == ["A", "B", "A"]


def test_first_outside_bounds_are_trackintels() -> None:
    rows = [(1, "08:00", "A"), (1, "09:00", "B"), (1, "10:00", "B"), (1, "11:00", "A")]
    out = _stays(rows, boundary="first_outside")
    assert out.start[1] == DAY + pd.Timedelta("09:00:00")
    assert out.end[1] == DAY + pd.Timedelta("11:00:00")  # the next place's first sighting


def test_a_city_needs_one_stay_of_four_hours_unless_cumulative() -> None:
    # B: two stays of 2.5 h (midpoint bounds), A all day around them.
    rows = [(1, "00:00", "A"), (1, "06:00", "A"), (1, "07:00", "B"), (1, "09:00", "B")]
    rows += [(1, "10:00", "A"), (1, "13:00", "A"), (1, "14:00", "B"), (1, "16:00", "B")]
    rows += [(1, "17:00", "A"), (1, "23:59", "A")]
    assert _visits(rows).city.tolist() == ["A"]
    both = _visits(rows, cumulative=True)
    assert both.city.tolist() == ["A", "B"]
    assert both.hours[1] == pytest.approx(6.0)
    # Exactly the threshold counts ("4 hours or more"): each B stay lasts 3 h.
    assert _visits(rows, min_stay_hours=3.0).city.tolist() == ["A", "B"]
    assert _visits(rows, min_stay_hours=3.01).city.tolist() == ["A"]


def test_first_and_last_day_and_the_window_edges() -> None:
    rows = [
        (1, "2026-11-01 10:00:00", "A"),  # before the window (from 11-06): cut at its start
        (1, "2026-11-07 12:00:00", "A"),
        (1, "2026-11-08 02:00:00", "C"),  # C from 2026-11-07 19:00 to 2026-11-08 14:00
        (1, "2026-11-08 12:00:00", "C"),
        (1, "2026-11-08 16:00:00", "A"),
        (1, "2026-11-19 22:00:00", "A"),
        (1, "2026-11-20 09:00:00", "D"),  # the as-of day: outside the window
    ]
    out = _visits(rows)
    assert out.city.tolist() == ["A", "C"]
    a, c = out.iloc[0], out.iloc[1]
    assert (a.first_day, a.last_day) == (pd.Timestamp("2026-11-06"), pd.Timestamp("2026-11-19"))
    assert (c.first_day, c.last_day) == (pd.Timestamp("2026-11-07"), pd.Timestamp("2026-11-08"))
    assert c.hours == pytest.approx(19.0)


def test_a_stay_ending_at_midnight_ends_the_day_before() -> None:
    con = engines.connect("duckdb")
    frame = pd.DataFrame(
        {
            "subscriber_id": [1],
            "city": ["A"],
            "start": [pd.Timestamp("2026-11-10 12:00")],
            "end": [pd.Timestamp("2026-11-11 00:00")],
        }
    )
    out = con.execute(visits(ibis.memtable(frame), AS_OF, StaySettings()))
    assert out.last_day[0] == pd.Timestamp("2026-11-10")
    cut = con.execute(clip(ibis.memtable(frame), dt.date(2026, 11, 10), dt.date(2026, 11, 10)))
    assert cut.end[0] == pd.Timestamp("2026-11-11 00:00")


def test_subscribers_do_not_mix() -> None:
    rows = [(1, "08:00", "A"), (2, "08:10", "B"), (1, "13:00", "A"), (2, "13:10", "B")]
    out = _visits(rows)
    assert list(zip(out.subscriber_id, out.city, strict=True)) == [(1, "A"), (2, "B")]


@pytest.mark.parametrize(
    "bad",
    [
        {"min_stay_hours": 0},
        {"window_days": 0},
        {"lag_days": -1},
        {"pingpong_minutes": -5},
        {"boundary": "middle"},
    ],
)
def test_bad_settings_are_refused(bad: dict) -> None:
    with pytest.raises(BadInput):
        StaySettings(**bad)


def test_the_window_has_a_days_lag() -> None:
    assert StaySettings().window(AS_OF) == (dt.date(2026, 11, 6), dt.date(2026, 11, 19))
    assert StaySettings(lag_days=0, window_days=1).window(AS_OF) == (AS_OF, AS_OF)
