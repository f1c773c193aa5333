"""Legitimate subscribers who look like fraud on one feature or another.

Couriers and delivery riders call many strangers briefly; call centres and sales
lines call at volume from business accounts holding many SIMs; heavy family
callers call a lot; families share an ID card; refurbished phones carry several
SIMs over time. Each is labelled in ``truth/lookalikes.parquet``.
"""

from __future__ import annotations

import numpy as np

from telcolens.simulate.activity import (
    US_PER_DAY,
    Batch,
    Day,
    durations,
    strangers,
    times,
)
from telcolens.simulate.population import (
    CALL_CENTRE,
    COURIER,
    DELIVERY,
    HEAVY_FAMILY,
    PERSONAS,
    SALES,
    Population,
    group_into,
    whole_groups,
)
from telcolens.simulate.social import Contacts

SHARES = {COURIER: 0.004, DELIVERY: 0.004, CALL_CENTRE: 0.001, SALES: 0.002, HEAVY_FAMILY: 0.01}
# persona: (work calls/day range, local?, median s, answer rate, callback ratio, sms ratio)
WORK = {
    COURIER: ((20, 60), True, 35, 0.85, 0.45, 0.7),
    DELIVERY: ((15, 45), True, 22, 0.88, 0.35, 0.3),
    CALL_CENTRE: ((80, 250), False, 110, 0.6, 0.3, 0.1),
    SALES: ((25, 90), False, 40, 0.45, 0.08, 0.2),
}
COURIER_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.5, 4, 8, 8, 7, 5, 6, 8, 8, 7, 6, 4, 2, 1, 0.3, 0, 0]
)
DELIVERY_HOURS = np.array(
    [0, 0, 0, 0, 0, 0, 0, 0.2, 1, 2, 5, 9, 9, 4, 2, 2, 3, 7, 9, 8, 5, 2, 0.5, 0.2]
)
OFFICE_HOURS = np.array([0] * 9 + [6, 8, 8, 3, 6, 8, 8, 7, 5] + [0] * 6)
EVENING = np.array([0.5, 0.2, 0, 0, 0, 0, 0.5, 2, 2, 2, 2, 3, 4, 3, 2, 2, 2, 3, 5, 8, 10, 9, 6, 2])
# Width of the spread of answer rates between lines of one persona.
ANSWER_SPREAD = 0.4
HOURS = {
    COURIER: COURIER_HOURS,
    DELIVERY: DELIVERY_HOURS,
    CALL_CENTRE: OFFICE_HOURS,
    SALES: OFFICE_HOURS,
}


def assign(pop: Population, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Pick look-alike subscribers and shape their accounts; returns kind -> indices."""
    normal = rng.permutation(pop.n)
    out: dict[str, np.ndarray] = {}
    taken = 0
    for persona, share in SHARES.items():
        k = max(2, round(pop.n * share))
        who = np.sort(normal[taken : taken + k])
        taken += k
        pop.persona[who] = persona
        out[PERSONAS[persona]] = who
        _shape(pop, who, persona, rng)
    rest = normal[taken:]
    out["family_card"] = _cards(pop, np.sort(rest[: len(rest) // 10]), rng, 2, 5, False)
    biz = np.sort(rest[len(rest) // 10 : len(rest) // 10 + round(pop.n * 0.015)])
    out["business_account"] = _cards(pop, biz, rng, 3, 40, True)
    out["refurb_device"] = _refurbished(pop, rest[len(rest) // 5 :][: pop.n // 100], rng)
    return out


def _shape(pop: Population, who: np.ndarray, persona: int, rng: np.random.Generator) -> None:
    k = len(who)
    if persona in WORK:
        lo, hi = WORK[persona][0]
        pop.work_rate[who] = rng.uniform(lo, hi, k)
        pop.rate[who] *= 0.5
        pop.activation[who] -= rng.integers(365, 8 * 365, k)  # long tenure
    if persona in (COURIER, DELIVERY):
        pop.age[who] = rng.integers(20, 46, k)
        pop.p_move[who] = rng.uniform(0.5, 0.9, k)
        pop.commuter[who] = False
        pop.day_prob[who] = 0.9
    if persona == SALES:
        # Half the sales lines are telemarketers on personal SIMs: an individual
        # account, one SIM per card, working from wherever they are.
        pop.p_move[who[1::2]] = 0.1
        pop.day_prob[who[1::2]] = 0.95
        who = who[::2]
    if persona in (CALL_CENTRE, SALES):
        lo, hi = (10, 40) if persona == CALL_CENTRE else (5, 20)
        _cards(pop, who, rng, lo, hi, True, everyone=True)
        # A service line sits in one office: every SIM of a company on one cell.
        first = np.searchsorted(pop.card[who], pop.card[who])
        pop.home_cell[who] = pop.work_cell[who] = pop.home_cell[who[first]]
        pop.p_move[who] = 0.0 if persona == CALL_CENTRE else 0.1
        pop.day_prob[who] = 0.95
    if persona == HEAVY_FAMILY:
        pop.work_rate[who] = rng.uniform(10, 30, k)
        pop.age[who] = np.maximum(pop.age[who], rng.integers(30, 80, k))


def _cards(
    pop: Population,
    who: np.ndarray,
    rng: np.random.Generator,
    lo: int,
    hi: int,
    company: bool,
    everyone: bool = False,
) -> np.ndarray:
    """Register consecutive groups of ``who`` to new cards; returns the members placed.

    With ``everyone`` a cut-off last group joins the one before (it may exceed ``hi``);
    otherwise its members are left out.
    """
    if everyone:
        group = group_into(who, rng, lo, hi)
    else:
        who, group = whole_groups(who, rng, lo, hi)
    if len(who) == 0:
        return who
    cards = pop.new_cards(group.max() + 1, company)
    pop.card[who] = cards[group]
    pop.business[who] = company
    # A batch bought together: same day, same outlet, like a broker's (but long ago).
    first = np.searchsorted(group, group)
    pop.outlet[who] = pop.outlet[who[first]]
    if company:
        pop.activation[who] = pop.activation[who[first]] + rng.integers(0, 60, len(who))
    return who


def _refurbished(pop: Population, who: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Phones resold by a shop: each carried 3-5 SIMs one after another over past months."""
    who, group = whole_groups(np.sort(who), rng, 3, 5)
    device = pop.new_devices(group.max() + 1)[group]
    slot = np.arange(len(who)) - np.searchsorted(group, group)
    start_us = (pop.start.toordinal() - 719_163) * US_PER_DAY
    first = start_us - (slot + 1) * 90 * US_PER_DAY + rng.integers(0, 20, len(who)) * US_PER_DAY
    last = first + rng.integers(30, 80, len(who)) * US_PER_DAY
    pop.extra_devices.append((who, device, first, last))
    return who


def daily(pop: Population, contacts: Contacts, day: Day, active: np.ndarray) -> tuple[Batch, Batch]:
    """Work calls and SMS of look-alikes, with their customers' callbacks."""
    calls, sms = [], []
    for persona, (_, local, median, answer, back, sms_ratio) in WORK.items():
        who = np.flatnonzero((pop.persona == persona) & active)
        if persona in (CALL_CENTRE, SALES) and day.weekend:
            who = who[day.rng.random(len(who)) < 0.15]
        c, s = _work(pop, day, who, local, median, answer, back, sms_ratio, HOURS[persona])
        calls.append(c), sms.append(s)
    calls.append(_family(pop, contacts, day, active))
    return Batch.concat(calls), Batch.concat(sms)


def _work(pop, day, who, local, median, answer, back, sms_ratio, hours):
    rng = day.rng
    caller = np.repeat(who, rng.poisson(pop.work_rate[who]))
    # Each line has its own answer rate around the persona's (a stable per-line
    # spread, so a line is consistently easy or hard to reach): sales lines overlap
    # fraud callers' 0.2-0.6.
    answer = np.clip(answer + (_spread(caller) - 0.5) * ANSWER_SPREAD, 0.05, 0.98)
    callee = strangers(pop, caller, rng, local)
    t = times(day, len(caller), hours)
    # Customers call back (a parcel, a missed delivery): later the same day.
    i = np.flatnonzero(rng.random(len(caller)) < back)
    delay = (rng.exponential(0.5, len(i)) * 3.6e9).astype(np.int64)
    bt = np.minimum(t[i] + delay, day.start_us + US_PER_DAY - 1)
    calls = Batch(
        np.concatenate([caller, callee[i]]),
        np.concatenate([callee, caller[i]]),
        np.concatenate([t, bt]),
        np.concatenate(
            [durations(rng, len(caller), median, answer), durations(rng, len(i), median, 0.95)]
        ),
    )
    j = np.flatnonzero(rng.random(len(caller)) < sms_ratio)
    sms = Batch(caller[j], callee[j], t[j] + 60_000_000, np.zeros(len(j), np.int32))
    return calls, sms


def _spread(who: np.ndarray) -> np.ndarray:
    """A stable pseudo-random number in [0, 1) per subscriber index (golden-ratio hash)."""
    return (who * 0.6180339887498949) % 1.0


def _family(pop: Population, contacts: Contacts, day: Day, active: np.ndarray) -> Batch:
    who = np.flatnonzero((pop.persona == HEAVY_FAMILY) & active)
    caller = np.repeat(who, day.rng.poisson(pop.work_rate[who]))
    callee = contacts.pick(caller, day.rng)
    ok = callee >= 0
    caller, callee = caller[ok], callee[ok]
    return Batch(
        caller,
        callee,
        times(day, len(caller), EVENING),
        durations(day.rng, len(caller), 420, 0.92, 0.8),
    )
