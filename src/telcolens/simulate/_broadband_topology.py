"""The optical access network under the lines: OLTs, PON ports, splitters, drop fibres,
and the gateways in the homes with what each model can do.

Each OLT's lines of one technology fill splitters (partly taken up) in turn. Half the
OLT-technology groups split once, one or two 1:32 or 1:64 splitters to a PON port; the
others split twice, as Chinese FTTH mostly does: a 1:4 or 1:8 splitter in the street
cabinet feeds 1:8 or 1:16 splitters in the buildings (1:32 or 1:64 in all), each of them a
``splitter_id`` and several to a port. A line's received power is its port's laser power
less the splitters' loss, the fibre's attenuation and its connectors (the ITU-T G.984
class B+ budget: a healthy ONT reads about -15 to -25 dBm, and from -27 dBm on it starts
to lose bits).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SPLIT_RATIOS = np.array([32, 64], np.int32)
# Typical splitter insertion loss, dB, by ratio (ITU-T G.671 figures for PLC splitters).
SPLIT_LOSS_DB = {4: 7.2, 8: 10.5, 16: 13.8, 32: 17.2, 64: 20.6}
TWO_LEVEL_SHARE = 0.5  # OLT-technology groups split in two levels
# Two-level splitting: (first level in the cabinet, second level in the building).
TWO_LEVEL = ((4, 8), (4, 16), (8, 8))
DB_PER_KM = 0.35  # attenuation at 1490 nm, splices included
# Installation acceptance: a line is handed over only when the installer's meter reads this
# or better at the ONT, 1 dB above the class B+ sensitivity (-27 dBm); one that reads less
# is re-terminated (connectors cleaned, the drop re-spliced) until it passes.
ACCEPT_DBM = -26.0
PORTS_PER_SLOT = 16
# PON line rate shared by a port's lines, Mbit/s (G.984 GPON; G.9807.1 XGS-PON).
PORT_CAPACITY = {"GPON": 2488.0, "XGS-PON": 9953.0}
# The legacy draw picks a model by index into this order; keep it.
CPE_MODELS = ("HG8145X6", "F7607P", "HN8145XR", "ZXHN-F670L", "HS8145V5", "PT926G")


@dataclass(frozen=True)
class CpeSpec:
    """What one gateway model does when healthy."""

    year: int
    wifi_phy_mbps: float  # best downlink PHY rate to a typical client
    wan_cap_mbps: float  # routing throughput its CPU sustains
    cpu_pct: float  # idle CPU load
    temp_c: float  # idle temperature
    firmwares: tuple[str, ...]
    firmware_share: tuple[float, ...]
    buggy_firmware: int  # index of the version with the memory leak (-1: none)


CPE_SPECS = {
    "HG8145X6": CpeSpec(2021, 1201, 1900, 9, 51, ("V5R021C00S105", "V5R021C10S115"), (0.6, 0.4), 0),
    "F7607P": CpeSpec(2022, 1201, 1800, 8, 49, ("V9.0.10P1N2", "V9.0.10P1N6"), (0.5, 0.5), -1),
    "HN8145XR": CpeSpec(
        2022, 2402, 4000, 7, 54, ("V5R022C00S010", "V5R022C00S056"), (0.3, 0.7), -1
    ),
    "ZXHN-F670L": CpeSpec(
        2017, 867, 700, 19, 57, ("V1.1.10P3N3", "V1.1.20P1N4", "V1.1.20P2N1"), (0.2, 0.5, 0.3), 1
    ),
    "HS8145V5": CpeSpec(2019, 867, 950, 15, 55, ("V5R019C10S150", "V5R020C00S280"), (0.4, 0.6), 0),
    "PT926G": CpeSpec(2016, 300, 420, 26, 60, ("RP2721", "RP2916"), (0.5, 0.5), -1),
}


@dataclass(frozen=True)
class Topology:
    """Per line its port, splitter, fibre length and clean-link optical power; per element
    its ids, and per port its technology."""

    port: np.ndarray  # per line: index into port_id
    splitter: np.ndarray  # per line: index into splitter_id
    fibre_km: np.ndarray
    base_rx: np.ndarray  # received power with every connector clean, dBm
    port_id: np.ndarray  # "OLT-370102-01/0/1/3"
    port_name: np.ndarray  # "0/1/3"
    port_olt: np.ndarray  # per port: index into the OLT list
    port_capacity: np.ndarray  # Mbit/s
    splitter_id: np.ndarray  # "OLT-370102-01/0/1/3/S1"
    splitter_port: np.ndarray
    splitter_ratio: np.ndarray


def build(
    olt: np.ndarray, olt_id: np.ndarray, xgs: np.ndarray, rng: np.random.Generator
) -> Topology:
    """Lines (their OLT index and technology) onto splitters and ports."""
    n = len(olt)
    port, splitter = np.empty(n, np.int64), np.empty(n, np.int64)
    p_name, p_olt, p_tech, s_port, s_ratio, s_rank = [], [], [], [], [], []
    level1: list[float] = []  # per port: its first-level splitter's loss (0: none)
    # One OLT and technology at a time (a port is GPON or XGS-PON), lines in random order.
    order = np.lexsort((rng.random(n), xgs, olt))
    bounds = np.flatnonzero(np.diff(olt[order] * 2 + xgs[order])) + 1
    slots_used: dict[int, int] = {}
    for group in np.split(order, bounds):
        o, tech = int(olt[group[0]]), bool(xgs[group[0]])
        first, second = TWO_LEVEL[rng.integers(len(TWO_LEVEL))]
        if rng.random() < TWO_LEVEL_SHARE:
            sizes = _splitter_sizes(len(group), rng, np.array([second], np.int32))
            per_port = _fill(np.full(len(sizes[1]), first), len(sizes[1]))
            level1 += [SPLIT_LOSS_DB[first]] * len(per_port)
        else:
            sizes = _splitter_sizes(len(group), rng, SPLIT_RATIOS)
            per_port = _splitters_per_port(len(sizes[1]), rng)
            level1 += [0.0] * len(per_port)
        ratios = sizes[1]
        first_slot = slots_used.get(o, 0) + 1
        first_port = len(p_name)
        for k, count in enumerate(per_port):
            slot, number = first_slot + k // PORTS_PER_SLOT, k % PORTS_PER_SLOT
            p_name.append(f"0/{slot}/{number}")
            p_olt.append(o)
            p_tech.append(tech)
            s_port += [first_port + k] * count
            s_rank += list(range(1, count + 1))
        slots_used[o] = first_slot + (len(per_port) - 1) // PORTS_PER_SLOT
        first_splitter = len(s_ratio)
        s_ratio += list(ratios)
        which = first_splitter + np.repeat(np.arange(len(ratios)), sizes[0])
        splitter[group] = which
    splitter_port = np.array(s_port, np.int64)
    port[:] = splitter_port[splitter]
    port_name = np.array(p_name)
    port_id = np.char.add(np.char.add(olt_id[np.array(p_olt, np.int64)], "/"), port_name)
    splitter_id = np.char.add(
        np.char.add(port_id[splitter_port], "/S"), np.array(s_rank).astype(str)
    )
    ratio = np.array(s_ratio, np.int32)
    loss = np.array([SPLIT_LOSS_DB[int(r)] for r in ratio]) + np.array(level1)[splitter_port]
    fibre_km, base_rx = _optical_budget(port, splitter, loss, len(port_name), rng)
    capacity = np.where(np.array(p_tech), PORT_CAPACITY["XGS-PON"], PORT_CAPACITY["GPON"])
    return Topology(
        port,
        splitter,
        fibre_km,
        base_rx,
        port_id,
        port_name,
        np.array(p_olt, np.int64),
        capacity,
        splitter_id,
        splitter_port,
        ratio,
    )


def _splitter_sizes(
    lines: int, rng: np.random.Generator, ratios: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Lines per splitter (summing to ``lines``) and each splitter's ratio, one of
    ``ratios`` (the second of two drawn 45% of the time)."""
    # Enough splitters for the worst case (every one a lightly taken-up smallest one).
    k = lines // max(1, int(ratios.min() * 0.4)) + 2
    ratio = ratios[np.minimum((rng.random(k) < 0.45).astype(int), len(ratios) - 1)]
    take = np.maximum(1, np.round(ratio * rng.uniform(0.4, 0.9, k))).astype(np.int64)
    cum = np.cumsum(take)
    used = int(np.searchsorted(cum, lines)) + 1
    take = take[:used]
    take[-1] -= cum[used - 1] - lines
    return take, ratio[:used]


def _splitters_per_port(splitters: int, rng: np.random.Generator) -> list[int]:
    """One splitting level: one splitter to a port, two on 30% of them."""
    return _fill(np.where(rng.random(splitters) < 0.3, 2, 1), splitters)


def _fill(counts: np.ndarray, splitters: int) -> list[int]:
    """Splitters per port, from ``counts`` in turn, the last port taking what is left."""
    cum = np.cumsum(counts)
    used = int(np.searchsorted(cum, splitters)) + 1
    counts = counts[:used]
    counts[-1] -= cum[used - 1] - splitters
    return counts.tolist()


def _optical_budget(
    port: np.ndarray,
    splitter: np.ndarray,
    split_loss: np.ndarray,
    ports: int,
    rng: np.random.Generator,
) -> tuple[np.ndarray, np.ndarray]:
    """Fibre length and clean received power per line (``split_loss``: per splitter, its
    loss and its port's first-level splitter's), every line passing the installation
    acceptance (:data:`ACCEPT_DBM`)."""
    n = len(port)
    laser = rng.normal(3.0, 0.6, ports)  # OLT port transmit power, class B+ +1.5..+5 dBm
    feeder = np.clip(rng.lognormal(np.log(2.5), 0.65, len(split_loss)), 0.3, 18.0)
    km = feeder[splitter] + rng.uniform(0.05, 0.8, n)
    loss = split_loss + rng.normal(0, 0.4, len(split_loss))
    connectors = 2.0 + rng.exponential(0.7, n)
    rx = laser[port] - loss[splitter] - DB_PER_KM * km - connectors + rng.normal(0, 0.3, n)
    # What a re-terminated line reads, from a child stream: the province's other draws stay.
    redone = ACCEPT_DBM + rng.spawn(1)[0].uniform(0.0, 1.0, n)
    return np.round(km, 2), np.where(rx < ACCEPT_DBM, redone, rx)


def firmware(model: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Each gateway's firmware version and whether it is a model's buggy version."""
    version = np.empty(len(model), dtype=object)
    buggy = np.zeros(len(model), bool)
    u = rng.random(len(model))
    for name, spec in CPE_SPECS.items():
        of = model == name
        pick = np.searchsorted(np.cumsum(spec.firmware_share), u[of] * 0.999999)
        version[of] = np.array(spec.firmwares)[pick]
        buggy[of] = pick == spec.buggy_firmware
    return version.astype(str), buggy


def spec_arrays(model: np.ndarray) -> dict[str, np.ndarray]:
    """Per line its model's :class:`CpeSpec` numbers."""
    index = np.searchsorted(np.array(CPE_MODELS)[np.argsort(CPE_MODELS)], model)
    names = np.array(CPE_MODELS)[np.argsort(CPE_MODELS)]
    specs = [CPE_SPECS[m] for m in names]
    return {
        field: np.array([getattr(s, field) for s in specs], np.float32)[index]
        for field in ("year", "wifi_phy_mbps", "wan_cap_mbps", "cpu_pct", "temp_c")
    }
