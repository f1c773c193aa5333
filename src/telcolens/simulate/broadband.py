"""Home fibre lines on splitters, PON ports and OLTs, their hourly gateway KPI samples, the
customers' complaints and the operator's repairs, with the planted scenarios as truth.

About one line per three subscribers. Most lines are healthy, some look poor without
being so (a 100 Mbit/s plan, a household streaming all evening, a line far from its OLT
with low but in-window optical power, a client in the garden, an old gateway on a fast
plan); the others carry planted scenarios (:mod:`._broadband_scenarios`): one dirty
connector, a bent feeder fibre under a splitter, a PON port's failing optics, weak Wi-Fi
in far rooms, a crowded 2.4 GHz channel, a failing gateway, a PON port or OLT uplink
congested in the evening, DNS or authentication faults. Complaints and repairs
(:mod:`._broadband_care`) follow the experience, and repairs change what comes after.
The truth is written under ``truth/broadband_*.parquet``.

Random streams: the legacy draws of the first generator stay on the province's static and
daily plant streams exactly as they were (so every other table keeps its bytes); all the
rest comes from streams of its own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from telcolens.schema import TABLES
from telcolens.simulate import _broadband_care as care_
from telcolens.simulate import _broadband_kpi as kpi_
from telcolens.simulate import _broadband_scenarios as sc
from telcolens.simulate import _broadband_topology as topo_
from telcolens.simulate import _broadband_truth
from telcolens.simulate.activity import US_PER_DAY, Day
from telcolens.simulate.geography import CITY_NAMES, Geography
from telcolens.simulate.population import Population, epoch_day

LINES_PER_OLT = 1500
PLANS = np.array([100, 200, 300, 500, 1000], np.int32)
CPE = np.array(topo_.CPE_MODELS)
# The first generator's four conditions; still drawn, so the static stream stays the same.
_LEGACY_SHARE = [0.85, 0.04, 0.08, 0.03]


@dataclass(frozen=True)
class Lines:
    """The lines, the access network under them, and everything planted on them."""

    line_id: np.ndarray
    condition: np.ndarray  # the first generator's draw, kept for its daily draws
    olt_id: np.ndarray
    olt_county: np.ndarray
    table: pa.Table
    topo: topo_.Topology
    homes: kpi_.Homes
    episodes: sc.Episodes
    faults: sc.Faults
    care: care_.Care
    history: kpi_.History
    start_us: int
    days: int


def build_lines(
    pop: Population,
    geo: Geography,
    rng: np.random.Generator,
    plan_rng: np.random.Generator,
    days: int,
) -> Lines:
    """About one line per three subscribers: a household's fibre.

    ``rng`` is the province's static stream, from which exactly the first generator's
    draws are taken; ``plan_rng`` draws the topology, the scenarios and their care.
    """
    holder = np.sort(rng.choice(pop.n, pop.n // 3, replace=False))
    n = len(holder)
    county = pop.county[holder]
    per_county = np.bincount(county, minlength=len(geo.county_code))
    n_olt = np.maximum(1, -(-per_county // LINES_PER_OLT))
    olt_county = np.repeat(np.arange(len(n_olt)), n_olt)
    seq = np.concatenate([np.arange(1, k + 1) for k in n_olt])
    olt_id = np.char.add(
        np.char.add(np.char.add("OLT-", geo.county_code[olt_county]), "-"),
        np.char.zfill(seq.astype(str), 2),
    )
    first_olt = np.concatenate([[0], np.cumsum(n_olt)[:-1]])
    olt = first_olt[county] + (rng.random(n) * n_olt[county]).astype(np.int64)
    rng.integers(1, 17, n), rng.integers(0, 16, n)  # the first generator's random ports
    plan = PLANS[rng.choice(len(PLANS), n, p=[0.15, 0.25, 0.3, 0.2, 0.1])]
    condition = rng.choice(len(_LEGACY_SHARE), n, p=_LEGACY_SHARE).astype(np.int8)
    line_id = 5_310_000_000 + np.arange(n, dtype=np.int64) * 7 + rng.integers(0, 7, n)
    no_holder = rng.random(n) < 0.08
    xgs = (plan >= 1000) | (rng.random(n) < 0.1)
    installed = (epoch_day(pop.start) - rng.integers(30, 3000, n)).astype(np.int32)
    model = CPE[rng.integers(0, len(CPE), n)]
    rng.normal(-26.8, 0.8, n), rng.normal(-19.5, 1.8, n)  # its optical baselines
    volume = rng.lognormal(0, 0.8, n)
    offset_s = rng.integers(0, 3600, n)
    boot_s = rng.integers(0, 40 * 86_400, n)

    start_us = epoch_day(pop.start) * US_PER_DAY
    topo = topo_.build(olt, olt_id, xgs, plan_rng)
    firmware, buggy = topo_.firmware(model, plan_rng)
    spec = topo_.spec_arrays(model)
    homes = _homes(plan, xgs, spec, topo, county, volume, offset_s, plan_rng)
    age = pop.start.year - spec["year"]
    episodes, faults = sc.plant(topo, len(olt_id), age, buggy, start_us, days, plan_rng)
    care = care_.simulate(episodes, faults, homes, start_us, days, plan_rng)
    history = kpi_.history(n, episodes, care, boot_s, start_us, days, plan_rng)
    table = pa.table(
        {
            "line_id": line_id,
            "subscriber_id": pa.array(pop.sub_id[holder], mask=no_holder),
            "olt_id": olt_id[olt],
            "pon_port": topo.port_name[topo.port],
            "splitter_id": topo.splitter_id[topo.splitter],
            "split_ratio": topo.splitter_ratio[topo.splitter],
            "city": np.array(CITY_NAMES)[geo.county_city[county]],
            "county": geo.county_code[county],
            "access_type": np.where(xgs, "XGS-PON", "GPON"),
            "plan_mbps": plan,
            "plan_up_mbps": homes.plan_up,
            "install_date": pa.array(installed, pa.date32()),
            "cpe_model": model,
            "cpe_firmware": firmware,
        }
    )
    return Lines(
        line_id,
        condition,
        olt_id,
        olt_county,
        table,
        topo,
        homes,
        episodes,
        faults,
        care,
        history,
        start_us,
        days,
    )


def _homes(plan, xgs, spec, topo, county, volume, offset_s, rng) -> kpi_.Homes:
    n = len(plan)
    busy_port = rng.beta(1.2, 10, len(topo.port_id)) * 0.4
    county_rtt = rng.lognormal(np.log(6.0), 0.3, int(county.max()) + 1)
    f32 = np.float32
    return kpi_.Homes(
        plan=plan,
        plan_up=np.maximum(20, plan // 10).astype(np.int32),
        wan_cap=np.minimum.reduce(
            [plan * 1.08, spec["wan_cap_mbps"], np.where(xgs, 8600.0, 940.0)]
        ).astype(f32),
        phy=(spec["wifi_phy_mbps"] * rng.uniform(0.45, 0.85, n)).astype(f32),
        cpu=np.maximum(1, spec["cpu_pct"] + rng.normal(0, 2, n)).astype(f32),
        temp=(spec["temp_c"] + rng.normal(0, 2.5, n)).astype(f32),
        base_rx=topo.base_rx.astype(f32),
        base_tx=rng.normal(2.3, 0.35, n).astype(f32),
        rtt=np.maximum(1.5, county_rtt[county] + rng.normal(0, 0.8, n)).astype(f32),
        signal=np.clip(rng.normal(-50, 5, n), -66, -35).astype(f32),
        noise=rng.normal(-93, 1.5, n).astype(f32),
        util=np.clip(rng.normal(20, 7, n), 4, 45).astype(f32),
        dns_rtt=rng.lognormal(np.log(14), 0.35, n).astype(f32),
        dns_fail=(0.002 * rng.lognormal(0, 0.5, n)).astype(f32),
        loss=(0.00015 * rng.lognormal(0, 0.7, n)).astype(f32),
        efficiency=rng.uniform(0.9, 0.98, n).astype(f32),
        heavy=(rng.random(n) < 0.04).astype(f32),
        busy_port=busy_port[topo.port].astype(f32),
        garden=rng.random(n) < 0.05,
        volume=volume.astype(f32),
        offset_s=offset_s,
    )


def day_tables(lines: Lines, day: Day, rng: np.random.Generator) -> dict[str, pa.Table]:
    """The day's KPI samples, complaints and repairs.

    The first generator's draws are taken from ``day.rng`` first (the day's alarms follow
    them on that stream); everything else is drawn from ``rng``.
    """
    legacy = kpi_.legacy_draws(day.rng, lines.condition)
    kpi, index = kpi_.samples(lines.homes, lines.episodes, lines.history, day, legacy, rng)
    lo, hi = day.start_us, day.start_us + US_PER_DAY
    return {
        "broadband_kpi": kpi.add_column(0, "line_id", pa.array(lines.line_id[index])),
        "broadband_complaints": _complaints(lines, lo, hi),
        "broadband_repairs": _repairs(lines, lo, hi),
    }


def _complaints(lines: Lines, lo: int, hi: int) -> pa.Table:
    c = lines.care
    i = np.flatnonzero((c.c_time >= lo) & (c.c_time < hi))
    return pa.table(
        {
            "complaint_id": i + 1,
            "line_id": lines.line_id[c.c_line[i]],
            "complaint_time": pa.array(c.c_time[i], pa.timestamp("us")),
            "category": np.array(care_.CATEGORIES)[c.c_category[i]].astype(object),
            "channel": np.array(care_.CHANNELS)[c.c_channel[i]].astype(object),
        },
        schema=_schema("broadband_complaints"),
    )


def _repairs(lines: Lines, lo: int, hi: int) -> pa.Table:
    c, f = lines.care, lines.faults
    i = np.flatnonzero((c.r_time >= lo) & (c.r_time < hi))
    on_element = c.r_line[i] < 0
    ids: list[str | None] = [None] * len(i)
    types: list[str | None] = [None] * len(i)
    for j in np.flatnonzero(on_element).tolist():
        fault = int(c.r_fault[i[j]])
        kind = int(f.kind[fault])
        ids[j] = _broadband_truth.element_id(lines, kind, int(f.element[fault]))
        types[j] = sc.ELEMENT_TYPE[kind]
    return pa.table(
        {
            "repair_id": i + 1,
            "line_id": pa.array(lines.line_id[np.maximum(c.r_line[i], 0)], mask=on_element),
            "element_id": pa.array(ids, pa.string()),
            "element_type": pa.array(types, pa.string()),
            "repair_time": pa.array(c.r_time[i], pa.timestamp("us")),
            "action": np.array(care_.ACTIONS)[c.r_action[i]].astype(object),
            "complaint_id": pa.array(c.r_complaint[i] + 1, mask=c.r_complaint[i] < 0),
            "closed_as_fixed": c.r_closed_fixed[i],
        },
        schema=_schema("broadband_repairs"),
    )


def _schema(name: str) -> pa.Schema:
    return TABLES[name].arrow_schema()


def truth(lines: Lines) -> dict[str, pa.Table]:
    """The broadband truth tables, by file name under ``truth/``."""
    return _broadband_truth.tables(lines)
