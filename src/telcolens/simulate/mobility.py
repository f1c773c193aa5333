"""Where phones are: home at night, work on weekday office hours, wandering in between.

Also the signalling that reveals it without any service use: periodic location
updates and the handovers of the commute.
"""

from __future__ import annotations

import numpy as np

from telcolens.simulate.activity import US_PER_HOUR, Day
from telcolens.simulate.geography import Geography
from telcolens.simulate.population import Population

PERIODIC_PER_DAY = 6.0  # T3412-style timer plus idle-mode reselections, thinned


def cell_at(pop: Population, geo: Geography, sub: np.ndarray, t: np.ndarray, day: Day
            ) -> np.ndarray:
    """Cell index each subscriber ``sub`` is in at instant ``t``."""
    hour = (t - day.start_us) // US_PER_HOUR
    at_work = pop.commuter[sub] & (hour >= 9) & (hour < 18) & (not day.weekend)
    cell = np.where(at_work, pop.work_cell[sub], pop.home_cell[sub])
    away = day.rng.random(len(sub)) < pop.p_move[sub]
    if away.any():
        cell[away] = geo.random_cell_in_county(pop.county[sub[away]], day.rng)
    return cell


def signalling(pop: Population, geo: Geography, day: Day, active: np.ndarray
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
    return (np.concatenate([sub, c]), np.concatenate([t, ht]), np.concatenate([cell, hcell]),
            np.concatenate([np.zeros(len(sub), bool), np.ones(len(c), bool)]))
