"""Fraud callers and the victims some of them hook.

Fraud callers dial many strangers across the province, mostly unanswered or
brief, and get few callbacks. Intensity varies: some work all day at volume,
others are low and slow or work only some hours or days. Most use SIMs from
card brokers; some of those lay silent for months before the window.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcolens.simulate.activity import (
    US_PER_HOUR,
    Batch,
    Day,
    durations,
    strangers,
    times_between,
)
from telcolens.simulate.brokers import Brokers
from telcolens.simulate.population import FRAUD, NORMAL, Population, epoch_day

SHARE = 0.004
FROM_BROKERS = 0.75
OFFNET_TARGETS = 0.35
# Share of fraud callers who also send phishing SMS ("smishing") to strangers, so that
# "few SMS" is a tendency of fraud numbers, not a rule.
SMISHERS = 0.35


@dataclass(frozen=True)
class FraudPlan:
    """Fraud callers' habits, and the calls that hook victims (one row per call)."""

    callers: np.ndarray
    broker: np.ndarray  # broker number per caller, -1 if none
    hour_lo: np.ndarray  # per subscriber (only fraud callers' entries matter)
    hour_hi: np.ndarray
    answer: np.ndarray
    v_fraud: np.ndarray
    v_victim: np.ndarray
    v_day: np.ndarray
    v_hour: np.ndarray
    v_dur: np.ndarray
    v_back: np.ndarray  # the victim calls the fraud number back
    smish: np.ndarray  # phishing SMS per day, per subscriber (0 for most)


def plant(pop: Population, rng: np.random.Generator, brokers: Brokers, days: int) -> FraudPlan:
    """Choose fraud callers (mostly broker SIMs) and plan their victims."""
    k = max(6, round(pop.n * SHARE))
    kb = min(round(k * FROM_BROKERS), len(brokers.sims))
    pick = rng.choice(len(brokers.sims), kb, replace=False)
    single = np.bincount(pop.card, minlength=len(pop.card_company))[pop.card] == 1
    pool = np.flatnonzero((pop.persona == NORMAL) & single & ~pop.business)
    own = rng.choice(pool, k - kb, replace=False)
    callers = np.concatenate([brokers.sims[pick], own])
    broker = np.concatenate([brokers.broker[pick], np.full(len(own), -1)])
    pop.persona[callers] = FRAUD
    pop.age[own] = rng.integers(19, 40, len(own))
    pop.activation[own] = epoch_day(pop.start) - rng.integers(1, 40, len(own))
    _habits(pop, rng, callers, brokers, pick, days)
    lo = np.zeros(pop.n, np.float32)
    hi = np.zeros(pop.n, np.float32)
    lo[callers] = rng.uniform(8, 14, k)
    hi[callers] = np.minimum(lo[callers] + rng.uniform(3, 10, k), 23.5)
    answer = np.zeros(pop.n, np.float32)
    answer[callers] = rng.uniform(0.2, 0.6, k)
    smish = np.zeros(pop.n, np.float32)
    smish[callers] = np.where(rng.random(k) < SMISHERS, rng.uniform(5, 80, k), 0)
    return FraudPlan(
        callers, broker, lo, hi, answer, *_victims(pop, rng, callers, days), smish=smish
    )


def _habits(pop, rng, callers, brokers, pick, days) -> None:
    k = len(callers)
    tier = rng.choice(3, k, p=[0.3, 0.5, 0.2])  # low-and-slow, steady, heavy
    pop.work_rate[callers] = np.choose(
        tier, [rng.uniform(6, 18, k), rng.uniform(20, 80, k), rng.uniform(80, 200, k)]
    )
    pop.rate[callers] = rng.uniform(0.1, 0.6, k)
    pop.sms_rate[callers] = rng.uniform(0.02, 0.3, k)
    pop.data_rate[callers] = rng.uniform(0.5, 2, k)
    pop.day_prob[callers] = np.where(rng.random(k) < 0.6, 1.0, rng.uniform(0.45, 0.8, k))
    mover = rng.random(k) < 0.6
    pop.p_move[callers] = np.where(mover, rng.uniform(0.5, 0.9, k), rng.uniform(0, 0.05, k))
    pop.commuter[callers] = False
    # Silent SIMs from old batches wake up during the window; others start at once
    # or a little later.
    old = np.zeros(k, bool)
    old[: len(pick)] = brokers.old[brokers.broker[pick]]
    late = rng.random(k) < 0.2
    pop.first_day[callers] = np.where(old | late, rng.integers(0, days, k), 0)


def _victims(pop, rng, callers, days):
    """Per fraud caller ~1 victim (older people more often), each called 1-5 times."""
    per = rng.poisson(1.0, len(callers))
    fraud = np.repeat(callers, per)
    ok = (pop.persona == NORMAL) & (pop.age > 0)
    w = np.where(ok, np.exp((np.maximum(pop.age, 0) - 40) / 12.0), 0)
    victim = rng.choice(pop.n, len(fraud), p=w / w.sum())
    n_calls = np.minimum(1 + rng.poisson(1.2, len(fraud)), 5)
    pair = np.repeat(np.arange(len(fraud)), n_calls)
    step = np.arange(len(pair)) - np.searchsorted(pair, pair)
    first = rng.integers(pop.first_day[fraud], days) if len(fraud) else fraud
    gap = np.cumsum(np.where(step > 0, rng.integers(0, 3, len(pair)), 0))
    gap -= np.repeat(gap[np.searchsorted(pair, np.arange(len(fraud)))], n_calls)
    day = np.minimum(first[pair] + gap, days - 1)
    long_first = (rng.random(len(fraud)) < 0.6)[pair] & (step == 0)
    dur = np.where(
        long_first,
        np.clip(rng.lognormal(np.log(900), 0.6, len(pair)), 300, 3600),
        rng.uniform(60, 600, len(pair)),
    ).astype(np.int32)
    # Some victims call back, worried or to follow instructions.
    back = (step > 0) & (rng.random(len(pair)) < 0.25)
    hour = rng.uniform(9, 21, len(pair))
    return fraud[pair], victim[pair], day, hour, dur, back


def daily(pop: Population, plan: FraudPlan, day: Day, active: np.ndarray) -> Batch:
    """Fraud callers' calls of the day, including those to their victims."""
    rng = day.rng
    who = plan.callers[active[plan.callers]]
    caller = np.repeat(who, rng.poisson(pop.work_rate[who]))
    callee = strangers(pop, caller, rng, local=False, offnet_share=OFFNET_TARGETS)
    t = times_between(day, plan.hour_lo[caller], plan.hour_hi[caller])
    dur = durations(rng, len(caller), 25, 1.0, 1.1)
    dur = np.where(rng.random(len(caller)) < plan.answer[caller], dur, 0).astype(np.int32)
    # A few curious targets call back.
    i = np.flatnonzero((dur > 0) & (rng.random(len(caller)) < 0.04))
    v = np.flatnonzero(plan.v_day == day.index)
    va = np.where(plan.v_back[v], plan.v_victim[v], plan.v_fraud[v])
    vb = np.where(plan.v_back[v], plan.v_fraud[v], plan.v_victim[v])
    vt = day.start_us + (plan.v_hour[v] * US_PER_HOUR).astype(np.int64)
    return Batch(
        np.concatenate([caller, callee[i], va]),
        np.concatenate([callee, caller[i], vb]),
        np.concatenate([t, t[i] + 600_000_000, vt]),
        np.concatenate([dur, durations(rng, len(i), 20, 0.9), plan.v_dur[v]]),
    )


def smishing(pop: Population, plan: FraudPlan, day: Day, active: np.ndarray) -> Batch:
    """Phishing SMS that some fraud callers send to strangers during their hours."""
    rng = day.rng
    who = plan.callers[active[plan.callers] & (plan.smish[plan.callers] > 0)]
    sender = np.repeat(who, rng.poisson(plan.smish[who]))
    recipient = strangers(pop, sender, rng, local=False, offnet_share=OFFNET_TARGETS)
    t = times_between(day, plan.hour_lo[sender], plan.hour_hi[sender])
    return Batch(sender, recipient, t, np.zeros(len(sender), np.int32))


def victims_truth(pop: Population, plan: FraudPlan, start_us: int) -> dict[str, np.ndarray]:
    """One row per (victim, fraud caller): first contact, calls, longest call."""
    key = plan.v_victim.astype(np.int64) * pop.n + plan.v_fraud
    uniq, inv = np.unique(key, return_inverse=True)
    t = (
        start_us
        + plan.v_day.astype(np.int64) * 86_400 * 10**6
        + (plan.v_hour * US_PER_HOUR).astype(np.int64)
    )
    first = np.full(len(uniq), np.iinfo(np.int64).max)
    np.minimum.at(first, inv, t)
    longest = np.zeros(len(uniq), np.int32)
    np.maximum.at(longest, inv, plan.v_dur)
    return {
        "victim": uniq // pop.n,
        "fraud": uniq % pop.n,
        "first_contact": first,
        "contacts": np.bincount(inv).astype(np.int32),
        "longest_call_s": longest,
    }
