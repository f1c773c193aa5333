"""Everyday use: daily rhythms, social calls and SMS, data sessions.

Behaviour modules return :class:`Batch` es of planned events (who, whom, when,
how long); :mod:`._legs` turns them into the records the network writes.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

import numpy as np

from telcolens.simulate.population import Population
from telcolens.simulate.social import Contacts

US_PER_HOUR = 3_600_000_000
US_PER_DAY = 24 * US_PER_HOUR
EPOCH = datetime.date(1970, 1, 1)

# Relative activity per hour of the day.
WEEKDAY = np.array(
    [1, 0.5, 0.3, 0.2, 0.2, 0.4, 1.5, 4, 6, 7, 8, 8, 7, 6, 6.5, 7, 7, 7.5, 8, 8.5, 8, 6, 4, 2]
)
WEEKEND = np.array(
    [2, 1, 0.5, 0.3, 0.2, 0.3, 0.6, 1.5, 3, 5, 7, 8, 8, 7, 7, 7, 7, 7.5, 8, 9, 9, 8, 6, 3.5]
)
DATA = np.array([3, 2, 1, 0.5, 0.3, 0.4, 1.5, 4, 5, 5, 5, 6, 7, 6, 5, 5, 5, 5.5, 6, 7, 8, 9, 8, 6])
ANSWER_RATE = 0.85
APPS = np.array(["video", "social", "web", "gaming", "maps", "messaging", "payment", "other"])
APP_SHARE = np.array([0.22, 0.24, 0.14, 0.08, 0.05, 0.17, 0.05, 0.05])
APP_MB = np.array([180, 25, 8, 40, 6, 3, 0.5, 5])  # median downlink per session


@dataclass(frozen=True)
class Day:
    """One simulated day and its own random stream."""

    index: int
    date: datetime.date
    rng: np.random.Generator
    # Per subscriber: city index visited today (-1: none), and the hours away.
    trip_city: np.ndarray | None = None
    trip_hours: tuple[np.ndarray, np.ndarray] | None = None
    # Day visits (simulate.itinerary): city index or -1, the hours, and the stream they
    # and their sightings draw from (apart from ``rng``, so other tables are unchanged).
    visit_city: np.ndarray | None = None
    visit_hours: tuple[np.ndarray, np.ndarray] | None = None
    side_rng: np.random.Generator | None = None

    @property
    def start_us(self) -> int:
        return (self.date - EPOCH).days * US_PER_DAY

    @property
    def weekend(self) -> bool:
        return self.date.weekday() >= 5

    def hour_profile(self) -> np.ndarray:
        return WEEKEND if self.weekend else WEEKDAY


@dataclass(frozen=True)
class Batch:
    """Planned calls or messages: number indices (on-net < n), start (µs), duration (s)."""

    a: np.ndarray
    b: np.ndarray
    t: np.ndarray
    dur: np.ndarray

    @staticmethod
    def concat(batches: list[Batch]) -> Batch:
        return Batch(
            *(np.concatenate([getattr(x, f) for x in batches]) for f in ("a", "b", "t", "dur"))
        )

    def __len__(self) -> int:
        return len(self.a)


def times(day: Day, n: int, profile: np.ndarray) -> np.ndarray:
    """``n`` instants of the day following an hourly ``profile``."""
    cum = np.cumsum(profile) / profile.sum()
    hour = np.minimum(np.searchsorted(cum, day.rng.random(n), "right"), 23)
    return day.start_us + hour * US_PER_HOUR + (day.rng.random(n) * US_PER_HOUR).astype(np.int64)


def times_between(day: Day, lo_h: np.ndarray, hi_h: np.ndarray) -> np.ndarray:
    """One instant per element, uniform between the hours ``lo_h`` and ``hi_h``."""
    h = lo_h + day.rng.random(len(lo_h)) * (hi_h - lo_h)
    return day.start_us + (h * US_PER_HOUR).astype(np.int64)


def durations(
    rng: np.random.Generator, n: int, median_s: float, answer_rate: float, sigma: float = 1.0
) -> np.ndarray:
    """Call durations: lognormal when answered, 0 when not."""
    d = np.clip(rng.lognormal(np.log(median_s), sigma, n), 1, 7200)
    return np.where(rng.random(n) < answer_rate, d, 0).astype(np.int32)


def active_today(pop: Population, day: Day) -> np.ndarray:
    return (pop.first_day <= day.index) & (day.rng.random(pop.n) < pop.day_prob)


def social_calls(
    pop: Population, contacts: Contacts, day: Day, active: np.ndarray, scale: float = 1.0
) -> Batch:
    """Calls to friends and family (and some strangers), plus calls in from other networks."""
    rng = day.rng
    factor = (0.85 if day.weekend else 1.0) * scale
    caller = np.repeat(np.arange(pop.n), rng.poisson(pop.rate * factor * active))
    callee = _choose_callees(pop, contacts, caller, rng, OFFNET_CALLS)
    # Calls in from other networks: only the MT leg is ours.
    target = np.repeat(np.arange(pop.n), rng.poisson(pop.rate * factor * active * 0.35))
    inbound = contacts.pick(target, rng, offnet=True)
    keep = inbound >= 0
    a = np.concatenate([caller, inbound[keep]])
    b = np.concatenate([callee, target[keep]])
    return Batch(
        a, b, times(day, len(a), day.hour_profile()), durations(rng, len(a), 75, ANSWER_RATE)
    )


OFFNET_CALLS = 0.3


def _choose_callees(pop, contacts, caller, rng, offnet_share: float) -> np.ndarray:
    on = contacts.pick(caller, rng)
    off = contacts.pick(caller, rng, offnet=True)
    use_off = (rng.random(len(caller)) < offnet_share) & (off >= 0)
    out = np.where(use_off, off, on)
    # Strangers: shops, services, wrong numbers, a new acquaintance.
    stranger = (rng.random(len(caller)) < 0.06) | (out < 0)
    anyone = rng.integers(0, pop.n + pop.n_offnet, len(caller))
    return np.where(stranger, anyone, out)


def strangers(
    pop: Population,
    who: np.ndarray,
    rng: np.random.Generator,
    local: bool,
    offnet_share: float = OFFNET_CALLS,
) -> np.ndarray:
    """Random numbers to call: in ``who``'s county if ``local``, else anywhere."""
    m = len(who)
    if local:
        first = np.searchsorted(pop.county, pop.county[who], "left")
        size = np.searchsorted(pop.county, pop.county[who], "right") - first
        on = first + (rng.random(m) * size).astype(np.int64)
    else:
        on = rng.integers(0, pop.n, m)
    on = np.where(on == who, (on + 1) % pop.n, on)
    return np.where(rng.random(m) < offnet_share, rng.integers(pop.n, pop.n + pop.n_offnet, m), on)


def social_sms(pop: Population, contacts: Contacts, day: Day, active: np.ndarray) -> Batch:
    rng = day.rng
    sender = np.repeat(np.arange(pop.n), rng.poisson(pop.sms_rate * active))
    recipient = _choose_callees(pop, contacts, sender, rng, OFFNET_CALLS)
    target = np.repeat(np.arange(pop.n), rng.poisson(pop.sms_rate * active * 0.3))
    inbound = contacts.pick(target, rng, offnet=True)
    keep = inbound >= 0
    a = np.concatenate([sender, inbound[keep]])
    b = np.concatenate([recipient, target[keep]])
    return Batch(a, b, times(day, len(a), day.hour_profile()), np.zeros(len(a), np.int32))


def data_sessions(pop: Population, day: Day, active: np.ndarray) -> dict[str, np.ndarray]:
    """Planned data sessions: subscriber index, start, duration, app, volumes."""
    rng = day.rng
    sub = np.repeat(np.arange(pop.n), rng.poisson(pop.data_rate * active))
    m = len(sub)
    app = rng.choice(len(APPS), m, p=APP_SHARE)
    down = (rng.lognormal(0, 1.2, m) * APP_MB[app] * 1e6).astype(np.int64)
    up = (down * rng.uniform(0.02, 0.2, m)).astype(np.int64)
    dur = np.clip(rng.lognormal(np.log(300), 1.0, m), 1, 86_400).astype(np.int32)
    return {"sub": sub, "t": times(day, m, DATA), "dur": dur, "app": app, "up": up, "down": down}
