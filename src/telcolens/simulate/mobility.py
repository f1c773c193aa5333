"""Where phones are: home at night, work on weekday office hours, wandering in between.

Also the signalling that reveals it without any service use: periodic location
updates and the handovers of the commute.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from telcolens.simulate.activity import US_PER_HOUR, Day
from telcolens.simulate.geography import Geography
from telcolens.simulate.population import Population

PERIODIC_PER_DAY = 6.0  # T3412-style timer plus idle-mode reselections, thinned
# Share of subscribers who spend a given day in another city (business trips, visits,
# long-distance drivers); most cities get visitors in proportion to their population.
TRIP_SHARE = 0.02


def plan_trips(pop: Population, geo: Geography, day: Day) -> Day:
    """``day`` with today's trips: who goes to which other city, and from when to when."""
    rng = day.rng
    city = np.full(pop.n, -1, np.int64)
    away = np.flatnonzero(rng.random(pop.n) < TRIP_SHARE)
    dest = rng.choice(len(geo.city_pop), len(away), p=geo.city_pop / geo.city_pop.sum())
    # Someone whose draw is their own city stays home today.
    keep = dest != pop.city[away]
    city[away[keep]] = dest[keep]
    leave = rng.uniform(6, 11, pop.n)
    back = np.minimum(leave + rng.uniform(5, 14, pop.n), 24.0)
    return dataclasses.replace(day, trip_city=city, trip_hours=(leave, back))


def cell_at(
    pop: Population, geo: Geography, sub: np.ndarray, t: np.ndarray, day: Day
) -> np.ndarray:
    """Cell index each subscriber ``sub`` is in at instant ``t``."""
    hour = (t - day.start_us) // US_PER_HOUR
    at_work = pop.commuter[sub] & (hour >= 9) & (hour < 18) & (not day.weekend)
    cell = np.where(at_work, pop.work_cell[sub], pop.home_cell[sub])
    away = day.rng.random(len(sub)) < pop.p_move[sub]
    if away.any():
        cell[away] = geo.random_cell_in_county(pop.county[sub[away]], day.rng)
    if day.trip_city is not None:
        leave, back = day.trip_hours
        h = (t - day.start_us) / US_PER_HOUR
        trip = np.flatnonzero((day.trip_city[sub] >= 0) & (h >= leave[sub]) & (h < back[sub]))
        cell[trip] = geo.random_cell_in_city(day.trip_city[sub[trip]], day.rng)
    if day.visit_city is not None:
        start, end = day.visit_hours
        h = (t - day.start_us) / US_PER_HOUR
        visit = np.flatnonzero((day.visit_city[sub] >= 0) & (h >= start[sub]) & (h < end[sub]))
        cell[visit] = geo.random_cell_in_city(day.visit_city[sub[visit]], day.side_rng)
    return cell


def signalling(
    pop: Population, geo: Geography, day: Day, active: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Periodic updates and commute handovers: (subscriber, time, cell, is_handover)."""
    rng = day.rng
    sub = np.repeat(np.arange(pop.n), rng.poisson(PERIODIC_PER_DAY * active))
    t = day.start_us + (rng.random(len(sub)) * 24 * US_PER_HOUR).astype(np.int64)
    cell = cell_at(pop, geo, sub, t, day)
    if day.weekend:
        return sub, t, cell, np.zeros(len(sub), bool)
    # Commute: three handovers out and three back, through cells of the home county.
    commuters = np.flatnonzero(active & pop.commuter & (pop.home_cell != pop.work_cell))
    c = np.repeat(commuters, 6)
    step = np.tile(np.arange(6), len(commuters))
    leave = np.repeat(rng.uniform(6.8, 8.5, len(commuters)), 6)
    back = np.repeat(rng.uniform(17.2, 19.5, len(commuters)), 6)
    h = np.where(step < 3, leave + step * 0.2, back + (step - 3) * 0.2)
    ht = day.start_us + (h * US_PER_HOUR).astype(np.int64)
    via = geo.random_cell_in_county(pop.county[c], rng)
    hcell = np.where(step == 2, pop.work_cell[c], np.where(step == 5, pop.home_cell[c], via))
    return (
        np.concatenate([sub, c]),
        np.concatenate([t, ht]),
        np.concatenate([cell, hcell]),
        np.concatenate([np.zeros(len(sub), bool), np.ones(len(c), bool)]),
    )
