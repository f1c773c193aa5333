"""Card brokers: one ID card holding many SIMs, activated in batches at complicit outlets.

Brokers register 6-30 SIMs on a bought or stolen ID card, mostly at a handful of
outlets that look the other way, and prepare them in a few shared phones. Some
SIMs are sold on at once, others lie silent for months before turning active.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcolens.simulate.population import (
    BROKER_SIM,
    NEVER,
    NORMAL,
    Population,
    epoch_day,
    group_into,
)

SIM_SHARE = 0.0075  # of subscribers held by brokers
OLD_BATCH_SHARE = 0.5  # brokers whose SIMs were activated months ago and lay silent


@dataclass(frozen=True)
class Brokers:
    """Planted brokers: per SIM its broker, per broker its card, outlet and devices."""

    sims: np.ndarray  # subscriber indices
    broker: np.ndarray  # broker number per SIM
    card: np.ndarray  # card index per broker
    outlet: np.ndarray  # outlet index per broker
    devices: np.ndarray  # device indices (all brokers)
    device_broker: np.ndarray
    old: np.ndarray  # per broker: batch activated long before the window


def plant(pop: Population, rng: np.random.Generator, days: int) -> Brokers:
    """Turn ~0.75% of single-SIM holders into broker SIMs; returns the plan."""
    single = np.bincount(pop.card, minlength=len(pop.card_company))[pop.card] == 1
    pool = np.flatnonzero((pop.persona == NORMAL) & single & ~pop.business)
    sims = np.sort(rng.choice(pool, max(60, round(pop.n * SIM_SHARE)), replace=False))
    broker = group_into(sims, rng, 6, 30)
    nb = broker.max() + 1
    pop.persona[sims] = BROKER_SIM
    cards = pop.new_cards(nb, company=False)
    pop.card[sims] = cards[broker]
    # Bought ID cards are often those of older rural people.
    holder_age = rng.integers(45, 80, nb)
    pop.age[sims] = holder_age[broker]
    complicit = rng.choice(len(pop.outlet_code), max(2, nb // 3), replace=False)
    outlet = complicit[rng.integers(0, len(complicit), nb)]
    pop.outlet[sims] = np.where(rng.random(len(sims)) < 0.85, outlet[broker], pop.outlet[sims])
    old = rng.permutation(nb) < round(nb * OLD_BATCH_SHARE)
    batch_day = epoch_day(pop.start) - np.where(
        old, rng.integers(90, 400, nb), rng.integers(3, 45, nb)
    )
    pop.activation[sims] = batch_day[broker] + (rng.random(len(sims)) < 0.3) * rng.integers(
        1, 3, len(sims)
    )
    n_dev = rng.integers(1, 4, nb)
    devices = pop.new_devices(int(n_dev.sum()))
    device_broker = np.repeat(np.arange(nb), n_dev)
    first = np.concatenate([[0], np.cumsum(n_dev)[:-1]])
    pop.device[sims] = devices[
        first[broker] + (rng.random(len(sims)) * n_dev[broker]).astype(np.int64)
    ]
    _quiet(pop, rng, sims, old[broker], days)
    return Brokers(sims, broker, cards, outlet, devices, device_broker, old)


def _quiet(
    pop: Population, rng: np.random.Generator, sims: np.ndarray, old: np.ndarray, days: int
) -> None:
    """Unsold SIMs stay silent; some sold ones wake up during the window as ordinary lines."""
    wake = rng.random(len(sims)) < 0.3
    pop.first_day[sims] = np.where(wake, rng.integers(0, days, len(sims)), NEVER)
    pop.first_day[sims[~old & wake]] = 0
    pop.rate[sims] *= 0.6
    pop.commuter[sims] = False
