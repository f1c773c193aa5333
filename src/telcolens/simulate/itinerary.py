"""Where phones stay, for the visited-places card: day visits, border ping-pong, truth.

Two things the card must get right are planted here, each drawn from a random stream of
its own, so every other table of the province is drawn exactly as before:

- **Day visits** to another city, 1 to 8 hours long (a meeting, a hospital, a relative):
  about half are shorter than the card's 4 hours, look-alikes of a stay that must not be
  listed, and the rest straddle the threshold closely enough that sparse sightings blur it.
- **Border ping-pong**: a phone at home within reach of another city's cells reselects
  between its own cell and the nearest one across the border, three to seven
  reselections a minute or so apart, ending back on its own, a few times on most
  evenings and nights. Its owner never entered the other city: the card's known error.

The truth (``truth/itinerary_away.parquet``) holds every period a phone spent away from
its home city on a day it was on (the trips of :func:`mobility.plan_trips` and the day
visits), and ``truth/itinerary_home.parquet`` each subscriber's home city and the days
its phone was on (it drew records); everything else is time at home. Detectors never
read either.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from scipy.spatial import cKDTree

from telcolens.simulate.activity import US_PER_HOUR, Day
from telcolens.simulate.geography import CITY_NAMES, Geography
from telcolens.simulate.population import Population

VISIT_SHARE = 0.006  # of subscribers without a trip, per day
VISIT_HOURS = (1.0, 8.0)
# Rural cells reach 20-30 km, so a phone this close to another city's cell can camp on it.
BORDER_KM = 25.0
PINGPONG_NIGHTS = 0.6  # chance a border resident's phone ping-pongs on a given day
PINGPONG_BURSTS = 2.0  # mean bursts on such a day
PINGPONG_GAP_MIN = (0.3, 6.0)  # minutes between the alternations of a burst
KM_PER_DEG = 111.2


@dataclasses.dataclass(frozen=True)
class Borders:
    """Per subscriber: the nearest other city's cell to their home cell, if close."""

    other_cell: np.ndarray  # cell index, -1 when the home is farther than BORDER_KM

    @property
    def residents(self) -> np.ndarray:
        return np.flatnonzero(self.other_cell >= 0)


def borders(pop: Population, geo: Geography) -> Borders:
    """Which subscribers live within :data:`BORDER_KM` of another city's cells."""
    lat0 = np.deg2rad(geo.cell_lat.mean())
    xy = np.c_[geo.cell_lat * KM_PER_DEG, geo.cell_lon * KM_PER_DEG * np.cos(lat0)]
    cell_city = geo.county_city[geo.cell_county]
    nearest = np.full(geo.n_cells, -1, np.int64)
    dist = np.full(geo.n_cells, np.inf)
    for city in np.unique(cell_city):
        inside = cell_city == city
        others = np.flatnonzero(~inside)
        d, j = cKDTree(xy[others]).query(xy[inside])
        nearest[inside], dist[inside] = others[j], d
    home = pop.home_cell
    return Borders(np.where(dist[home] <= BORDER_KM, nearest[home], -1))


def plan_visits(pop: Population, geo: Geography, day: Day, rng: np.random.Generator) -> Day:
    """``day`` with today's day visits (subscribers without a trip) and their stream."""
    n = pop.n
    city = np.full(n, -1, np.int64)
    free = day.trip_city < 0 if day.trip_city is not None else np.ones(n, bool)
    visitors = np.flatnonzero(free & (rng.random(n) < VISIT_SHARE))
    dest = rng.choice(len(geo.city_pop), len(visitors), p=geo.city_pop / geo.city_pop.sum())
    keep = dest != pop.city[visitors]
    city[visitors[keep]] = dest[keep]
    start = rng.uniform(8.0, 15.0, n)
    end = start + rng.uniform(*VISIT_HOURS, n)
    return dataclasses.replace(day, visit_city=city, visit_hours=(start, end), side_rng=rng)


def away_now(day: Day, sub: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(city index or -1, is a day visit) of each ``sub`` at ``t``, from trips and visits."""
    h = (t - day.start_us) / US_PER_HOUR
    city = np.full(len(sub), -1, np.int64)
    if day.trip_city is not None:
        leave, back = day.trip_hours
        on = (day.trip_city[sub] >= 0) & (h >= leave[sub]) & (h < back[sub])
        city[on] = day.trip_city[sub[on]]
    visit = np.zeros(len(sub), bool)
    if day.visit_city is not None:
        start, end = day.visit_hours
        visit = (day.visit_city[sub] >= 0) & (h >= start[sub]) & (h < end[sub])
        city[visit] = day.visit_city[sub[visit]]
    return city, visit


def area_updates(
    pop: Population, geo: Geography, day: Day, on: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tracking-area updates of today's trips and visits: (subscriber, time, cell).

    Another city is another tracking area, so a phone that arrives there registers
    at once (in one of its cells), and again on coming home, whatever the periodic
    timer says. Record loss drops some of them, like every other record.
    """
    subs, times, cells = [], [], []
    for city, hours in ((day.trip_city, day.trip_hours), (day.visit_city, day.visit_hours)):
        if city is None:
            continue
        sub = np.flatnonzero((city >= 0) & on)
        start, end = (h[sub] for h in hours)
        subs.append(sub)
        times.append(day.start_us + (start * US_PER_HOUR).astype(np.int64))
        cells.append(geo.random_cell_in_city(city[sub], day.side_rng))
        home = end < 24.0  # a trip home at midnight registers on the next day's records
        subs.append(sub[home])
        times.append(day.start_us + (end[home] * US_PER_HOUR).astype(np.int64))
        cells.append(pop.home_cell[sub[home]])
    if not subs:
        empty = np.empty(0, np.int64)
        return empty, empty, empty
    return np.concatenate(subs), np.concatenate(times), np.concatenate(cells)


def pingpong(
    pop: Population, border: Borders, day: Day, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Ping-pong reselections of border residents at home: (subscriber, time, cell)."""
    rng = day.side_rng
    who = border.residents[active[border.residents]]
    who = who[rng.random(len(who)) < PINGPONG_NIGHTS]
    burst_sub = np.repeat(who, 1 + rng.poisson(PINGPONG_BURSTS - 1, len(who)))
    # Evenings and nights, when everyone is home: 19:00 to 07:00 of the next morning.
    start_h = (19.0 + rng.uniform(0, 12, len(burst_sub))) % 24
    # Home, other, home, ... ending home: 3, 5 or 7 reselections.
    alternations = 2 * rng.integers(1, 4, len(burst_sub)) + 1
    sub = np.repeat(burst_sub, alternations)
    first = np.repeat(np.cumsum(alternations) - alternations, alternations)
    step = np.arange(len(sub)) - first
    gap_min = rng.uniform(*PINGPONG_GAP_MIN, len(sub))
    # Minutes since the burst began: a running sum of the gaps within each burst.
    run = np.cumsum(gap_min)
    offset_min = run - run[first] + gap_min[first]
    t = day.start_us + (np.repeat(start_h, alternations) * US_PER_HOUR + offset_min * 60e6).astype(
        np.int64
    )
    # Odd steps are the other city's cell; the burst ends back home.
    cell = np.where(step % 2 == 1, border.other_cell[sub], pop.home_cell[sub])
    # A burst that runs past midnight, or falls while a trip or visit has them away, is
    # not drawn: the phone is not at its border home then.
    keep = (t < day.start_us + 24 * US_PER_HOUR) & (away_now(day, sub, t)[0] < 0)
    return sub[keep], t[keep], cell[keep]


def away_truth(pop: Population, day: Day, on: np.ndarray) -> pa.Table:
    """Today's away periods of phones that were on: subscriber, city, start, end, kind."""
    parts = []
    for kind, city, hours in (
        ("trip", day.trip_city, day.trip_hours),
        ("visit", day.visit_city, day.visit_hours),
    ):
        if city is None:
            continue
        sub = np.flatnonzero((city >= 0) & on)
        start, end = hours
        parts.append(
            pa.table(
                {
                    "subscriber_id": pop.sub_id[sub],
                    "city": np.array(CITY_NAMES)[city[sub]],
                    "start": pa.array(
                        day.start_us + (start[sub] * US_PER_HOUR).astype(np.int64),
                        pa.timestamp("us"),
                    ),
                    "end": pa.array(
                        day.start_us + (np.minimum(end[sub], 24.0) * US_PER_HOUR).astype(np.int64),
                        pa.timestamp("us"),
                    ),
                    "kind": np.full(len(sub), kind),
                }
            )
        )
    return pa.concat_tables(parts)


def served_today(pop: Population, tables: dict[str, pa.Table]) -> np.ndarray:
    """Per subscriber: whether any of today's records places their phone (it was on).

    A phone can be used without the day's ``active`` draw (a fraud SIM's calls, a
    broker's card tested before sale), so the records themselves say it was on.
    """
    ids = []
    for name, who in (("voice", ("caller", "callee")), ("sms", ("sender", "recipient"))):
        t = tables[name]
        mo = pc.equal(t["direction"], "MO")
        ids.append(pc.if_else(mo, t[who[0]], t[who[1]]).to_numpy(zero_copy_only=False))
    ids.append(tables["data_sessions"]["subscriber_id"].to_numpy(zero_copy_only=False))
    ids.append(tables["location_events"]["subscriber_id"].to_numpy(zero_copy_only=False))
    seen = np.unique(np.concatenate(ids))
    order = np.argsort(pop.sub_id)
    pos = np.searchsorted(pop.sub_id, seen, sorter=order)
    pos = np.minimum(pos, len(order) - 1)
    ours = pop.sub_id[order[pos]] == seen
    on = np.zeros(pop.n, bool)
    on[order[pos[ours]]] = True
    return on


def home_truth(pop: Population, geo: Geography, on_days: list[np.ndarray]) -> dict[str, pa.Table]:
    """Each subscriber's home city and the days its phone was on (bit ``d`` of ``on_days``)."""
    bits = np.packbits(np.stack(on_days, axis=1), axis=1) if on_days else np.zeros((pop.n, 0))
    return {
        "itinerary_home": pa.table(
            {
                "subscriber_id": pop.sub_id,
                # The home cell's city: look-alikes that share one cell (a call centre)
                # live where it is, whatever city their number was drawn in.
                "home_city": np.array(CITY_NAMES)[geo.county_city[geo.cell_county[pop.home_cell]]],
                # Day d's bit is bit (7 - d % 8) of byte d // 8 (numpy.packbits' order).
                "on_days": pa.array([row.tobytes() for row in bits], pa.binary()),
            }
        )
    }
