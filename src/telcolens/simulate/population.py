"""Subscribers: where they live and work, their ID cards, outlets, plans, ages and devices.

Arrays are indexed by subscriber (sorted by county); behaviour modules
(:mod:`.lookalikes`, :mod:`.brokers`, :mod:`.fraud`) then overwrite personas,
cards, devices and rates before :func:`finalise` hashes the raw identifiers.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from telcolens.simulate import _ids
from telcolens.simulate.geography import CITY_NAMES, Geography

PERSONAS = (
    "normal",
    "fraud",
    "courier",
    "delivery",
    "call_centre",
    "sales",
    "heavy_family",
    "broker_sim",
)
NORMAL, FRAUD, COURIER, DELIVERY, CALL_CENTRE, SALES, HEAVY_FAMILY, BROKER_SIM = range(8)
NEVER = 10_000  # first active day of a SIM that stays silent
PLANS = np.array(["4G-19", "4G-39", "5G-59", "5G-99", "5G-129", "5G-199", "BIZ-88", "IOT-8"])
OFFNET_SHARE = 0.5  # other networks' numbers our subscribers know, per subscriber


@dataclass
class Population:
    """Per-subscriber arrays (length ``n``) plus cards, outlets, devices and off-net numbers."""

    n: int
    start: datetime.date
    county: np.ndarray
    city: np.ndarray
    age: np.ndarray  # -1 = unknown
    persona: np.ndarray
    card: np.ndarray  # index into the card arrays
    card_company: np.ndarray  # per card: a company (business) registration
    business: np.ndarray
    activation: np.ndarray  # days since the epoch
    outlet: np.ndarray  # index into outlet_code
    outlet_code: np.ndarray
    outlet_county: np.ndarray
    plan: np.ndarray
    home_cell: np.ndarray
    work_cell: np.ndarray
    commuter: np.ndarray
    device: np.ndarray  # index into the device arrays
    rate: np.ndarray  # social MO calls per active day
    work_rate: np.ndarray  # work calls per active day (couriers, call centres...)
    sms_rate: np.ndarray
    data_rate: np.ndarray
    p_move: np.ndarray  # chance a service use is away from home/work cell
    first_day: np.ndarray  # first day index with any activity
    day_prob: np.ndarray  # chance of being active on a given day
    n_offnet: int = 0
    n_devices: int = 0
    sub_id: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    offnet_id: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    # Raw numbers (on-net, then off-net): kept only for truth/numbers.parquet, so
    # evaluation can replay records as a mediation system delivers them (raw).
    raw_numbers: np.ndarray = field(default_factory=lambda: np.empty(0, "S11"))
    card_id: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    device_id: np.ndarray = field(default_factory=lambda: np.empty(0, np.int64))
    device_tac: np.ndarray = field(default_factory=lambda: np.empty(0, str))
    extra_devices: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = field(
        default_factory=list
    )  # (subscriber, device, first_seen_us, last_seen_us) histories

    @property
    def number_id(self) -> np.ndarray:
        """Pseudonyms of on-net (``< n``) then off-net numbers."""
        return np.concatenate([self.sub_id, self.offnet_id])

    def new_cards(self, count: int, company: bool) -> np.ndarray:
        """Append ``count`` cards; returns their indices."""
        first = len(self.card_company)
        self.card_company = np.concatenate([self.card_company, np.full(count, company)])
        return np.arange(first, first + count)

    def new_devices(self, count: int) -> np.ndarray:
        """Indices of ``count`` more devices (beyond one per subscriber)."""
        self.n_devices += count
        return np.arange(self.n_devices - count, self.n_devices)


def build_population(
    rng: np.random.Generator, geo: Geography, n: int, start: datetime.date
) -> Population:
    """Normal subscribers spread over counties in proportion to population."""
    p = geo.city_pop[geo.county_city] * geo.county_weight
    county = np.sort(rng.choice(len(p), n, p=p / p.sum()))
    age = np.clip(rng.normal(42, 16, n), 16, 88).astype(np.int32)
    outlet_code, outlet_county = _outlets(rng, geo)
    per_county = np.bincount(outlet_county, minlength=len(p))
    first_outlet = np.concatenate([[0], np.cumsum(per_county)[:-1]])
    outlet = first_outlet[county] + (rng.random(n) * per_county[county]).astype(np.int64)
    tenure = np.minimum(30 + rng.exponential(4 * 365, n), 20 * 365).astype(np.int32)
    home = geo.random_cell_in_county(county, rng)
    commuter = (age >= 20) & (age <= 60) & (rng.random(n) < 0.7)
    work = np.where(
        rng.random(n) < 0.7,
        geo.random_cell_in_county(county, rng),
        geo.random_cell_in_city(geo.county_city[county], rng),
    )
    plan = np.where(age > 60, rng.integers(0, 2, n), rng.integers(0, 6, n)).astype(np.int8)
    return Population(
        n=n,
        start=start,
        county=county,
        city=geo.county_city[county],
        age=age,
        persona=np.zeros(n, np.int8),
        card=np.arange(n),
        card_company=np.zeros(n, bool),
        business=np.zeros(n, bool),
        activation=epoch_day(start) - tenure,
        outlet=outlet,
        outlet_code=outlet_code,
        outlet_county=outlet_county,
        plan=plan,
        home_cell=home,
        work_cell=np.where(commuter, work, home),
        commuter=commuter,
        device=np.arange(n),
        # Lognormal around ~4.5 MO calls a day: most people call a little, some a lot.
        rate=rng.lognormal(np.log(4.5) - 0.18, 0.6, n).astype(np.float32),
        work_rate=np.zeros(n, np.float32),
        sms_rate=rng.lognormal(np.log(1.2), 0.7, n).astype(np.float32),
        data_rate=rng.lognormal(np.log(3.0), 0.5, n).astype(np.float32),
        p_move=rng.uniform(0.05, 0.3, n).astype(np.float32),
        first_day=np.zeros(n, np.int32),
        day_prob=np.ones(n, np.float32),
        n_offnet=int(n * OFFNET_SHARE),
        n_devices=n,
    )


def _outlets(rng: np.random.Generator, geo: Geography) -> tuple[np.ndarray, np.ndarray]:
    per_county = rng.integers(3, 9, len(geo.county_code))
    county = np.repeat(np.arange(len(per_county)), per_county)
    seq = np.concatenate([np.arange(1, k + 1) for k in per_county])
    codes = np.char.add(
        np.char.add("SD", geo.county_code[county]), np.char.zfill(seq.astype(str), 3)
    )
    return codes, county


def epoch_day(day: datetime.date) -> int:
    return (day - datetime.date(1970, 1, 1)).days


def group_into(members: np.ndarray, rng: np.random.Generator, lo: int, hi: int) -> np.ndarray:
    """Cut ``members`` (in order) into consecutive groups of lo..hi; returns group numbers."""
    sizes = rng.integers(lo, hi + 1, len(members) // lo + 1)
    group = np.repeat(np.arange(len(sizes)), sizes)[: len(members)]
    if len(group) and group[-1] > 0 and (group == group[-1]).sum() < lo:
        group[group == group[-1]] -= 1  # a cut-off last group joins the one before
    return group


def whole_groups(
    members: np.ndarray, rng: np.random.Generator, lo: int, hi: int
) -> tuple[np.ndarray, np.ndarray]:
    """Like :func:`group_into` but leaves out a cut-off last group: (members, groups)."""
    sizes = rng.integers(lo, hi + 1, len(members) // lo + 1)
    group = np.repeat(np.arange(len(sizes)), sizes)[: len(members)]
    if len(group) and (group == group[-1]).sum() < sizes[group[-1]]:
        keep = group != group[-1]
        return members[keep], group[keep]
    return members, group


def finalise(pop: Population, rng: np.random.Generator, geo: Geography) -> None:
    """Draw raw numbers, ID cards and IMEIs and replace them by their pseudonyms."""
    numbers = _ids.mobile_numbers(rng, pop.n + pop.n_offnet)
    pop.sub_id = _ids.pseudonyms(numbers[: pop.n], "number")
    pop.offnet_id = _ids.pseudonyms(numbers[pop.n :], "number")
    pop.raw_numbers = numbers
    pop.card = np.unique(pop.card, return_inverse=True)[1]  # drop cards nobody holds
    holder = np.zeros(pop.card.max() + 1, np.int64)
    holder[pop.card[::-1]] = np.arange(pop.n)[::-1]  # each card's first subscriber
    company = np.zeros(len(holder), bool)
    company[pop.card] = pop.business
    region = geo.county_code[pop.county[holder]]
    birth = pop.start.year - np.where(pop.age[holder] > 0, pop.age[holder], 40)
    raw = np.where(company, _ids.company_codes(rng, region), _ids.id_cards(rng, region, birth))
    pop.card_id = _ids.pseudonyms(raw, "id_card")
    n_dev = pop.n_devices
    imei, tac = _ids.imeis(rng, n_dev)
    used = np.zeros(n_dev, bool)
    used[pop.device] = True
    for _, d, _, _ in pop.extra_devices:
        used[d] = True
    # Only devices somebody uses are hashed; the rest keep a placeholder.
    pop.device_id = np.zeros(n_dev, np.int64)
    pop.device_id[used] = _ids.pseudonyms(imei[used], "imei")
    pop.device_tac = tac
    unknown = rng.random(pop.n) < 0.015  # holders whose age the operator never recorded
    pop.age = np.where(unknown, -1, pop.age).astype(np.int32)


def subscribers_table(pop: Population, geo: Geography) -> pa.Table:
    """The ``subscribers`` table."""
    return pa.table(
        {
            "subscriber_id": pop.sub_id,
            "id_card_id": pop.card_id[pop.card],
            "age": pa.array(pop.age, mask=pop.age < 0),
            "city": pa.DictionaryArray.from_arrays(pop.city.astype(np.int32), list(CITY_NAMES)),
            "county": geo.county_code[pop.county],
            "activation_date": pa.array(pop.activation.astype(np.int32), pa.date32()),
            "sales_outlet": pop.outlet_code[pop.outlet],
            "plan": PLANS[pop.plan],
            "customer_type": np.where(pop.business, "business", "individual"),
        }
    )


def devices_table(
    pop: Population, start_us: int, end_us: int, rng: np.random.Generator
) -> pa.Table:
    """SIM-in-device observations: the current device over the window, plus histories."""
    active = pop.first_day < NEVER
    sub = np.flatnonzero(active)
    first = (
        start_us
        + pop.first_day[sub].astype(np.int64) * 86_400_000_000
        + (rng.random(len(sub)) * 36e8).astype(np.int64)
    )
    last = end_us - (rng.random(len(sub)) * 36e8).astype(np.int64)
    subs, devs, firsts, lasts = [sub], [pop.device[sub]], [first], [np.maximum(last, first)]
    for s, d, f, la in pop.extra_devices:
        subs.append(s), devs.append(d), firsts.append(f), lasts.append(la)
    s, d = np.concatenate(subs), np.concatenate(devs)
    return pa.table(
        {
            "subscriber_id": pop.sub_id[s],
            "imei_id": pop.device_id[d],
            "tac": pop.device_tac[d],
            "first_seen": pa.array(np.concatenate(firsts), pa.timestamp("us")),
            "last_seen": pa.array(np.concatenate(lasts), pa.timestamp("us")),
        }
    )
