"""The planted broadband scenarios: what is wrong with which line, from when to when.

A scenario is an *episode* on one line (``line``, ``kind``, onset, end, severity). A shared
fault (a bent feeder fibre at a splitter, a PON port's failing optics, a congested port or
OLT uplink) is one row of :class:`Faults` and one episode on each line under its element,
all carrying its index. Episodes start before the window (the line was already poor) or
within it, some degrade over days (``ramp_us``), a few end by themselves; repairs
(:mod:`._broadband_care`) end others.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcolens.simulate.activity import US_PER_DAY

KINDS = (
    "optical_line",
    "optical_splitter",
    "optical_port",
    "wifi_coverage",
    "wifi_interference",
    "cpe_fault",
    "port_congestion",
    "olt_congestion",
    "dns_auth",
)
(
    OPTICAL_LINE,
    OPTICAL_SPLITTER,
    OPTICAL_PORT,
    WIFI_COVERAGE,
    WIFI_INTERFERENCE,
    CPE_FAULT,
    PORT_CONGESTION,
    OLT_CONGESTION,
    DNS_AUTH,
) = range(len(KINDS))
OPTICAL = (OPTICAL_LINE, OPTICAL_SPLITTER, OPTICAL_PORT)
# Where the cause lies: in the home (Wi-Fi, gateway), in the outside plant (fibre,
# splitter, port optics), or in the operator's network (capacity, DNS, authentication).
SIDE = ("street", "street", "street", "home", "home", "home", "network", "network", "network")
DETAILS = {CPE_FAULT: ("overheating", "firmware_leak"), DNS_AUTH: ("dns", "authentication")}
ELEMENT_TYPE = {OPTICAL_SPLITTER: "splitter", OPTICAL_PORT: "pon_port", PORT_CONGESTION: "pon_port"}
ELEMENT_TYPE[OLT_CONGESTION] = "olt"

# Share of lines with each single-line scenario when the window opens; new ones start
# within it at NEW_PER_WEEK of that share a week.
LINE_SHARE = {OPTICAL_LINE: 0.013, WIFI_COVERAGE: 0.035, WIFI_INTERFERENCE: 0.025, DNS_AUTH: 0.007}
CPE_HAZARD = 0.0025  # per year of model age; a buggy firmware adds BUGGY_HAZARD
BUGGY_HAZARD = 0.015
# Share of elements with each shared fault when the window opens, new ones the same way
# (and at least one of each kind where an element qualifies).
FAULT_SHARE = {OPTICAL_SPLITTER: 0.025, OPTICAL_PORT: 0.01, PORT_CONGESTION: 0.03}
FAULT_SHARE[OLT_CONGESTION] = 0.015
NEW_PER_WEEK = 0.25
WEEK = 7
SELF_ENDING = 0.08  # share that end by themselves (a neighbour's router moves away...)
NEVER = np.iinfo(np.int64).max // 4


@dataclass
class Episodes:
    """One row per (line, scenario) episode; ``fault`` indexes :class:`Faults` or is -1."""

    line: np.ndarray
    kind: np.ndarray
    fault: np.ndarray
    onset: np.ndarray  # µs
    end: np.ndarray  # µs, NEVER while it lasts
    sev: np.ndarray  # optical: extra loss in dB; others: 0..1
    ramp_us: np.ndarray  # time to reach full severity (0: at once)
    detail: np.ndarray
    ended_by: np.ndarray | None = None  # the repair that ended it (-1: none)

    def __post_init__(self) -> None:
        if self.ended_by is None:
            self.ended_by = np.full(len(self.line), -1, np.int64)

    def __len__(self) -> int:
        return len(self.line)

    def extend(self, other: Episodes) -> None:
        for name in self.__dataclass_fields__:
            setattr(self, name, np.concatenate([getattr(self, name), getattr(other, name)]))

    def take(self, which: np.ndarray) -> Episodes:
        return Episodes(**{k: getattr(self, k)[which] for k in self.__dataclass_fields__})

    def severity(self, which: np.ndarray, t: np.ndarray) -> np.ndarray:
        """Severity of episodes ``which`` at times ``t`` (broadcast), 0 where not active."""
        onset, end = self.onset[which], self.end[which]
        ramp = self.ramp_us[which].astype(np.float64)
        grown = np.where(ramp > 0, np.clip((t - onset) / np.maximum(ramp, 1), 0.3, 1.0), 1.0)
        return np.where((t >= onset) & (t < end), self.sev[which] * grown, 0.0)


@dataclass
class Faults:
    """One row per shared fault: its kind, element (an index into the splitters, ports or
    OLTs of the topology), onset and end."""

    kind: np.ndarray
    element: np.ndarray
    onset: np.ndarray
    end: np.ndarray
    sev: np.ndarray


def plant(
    topo,
    n_olt: int,
    model_age: np.ndarray,
    buggy: np.ndarray,
    start_us: int,
    days: int,
    rng: np.random.Generator,
) -> tuple[Episodes, Faults]:
    """Every scenario of the window: single-line episodes, then the shared faults'."""
    n = len(topo.port)
    single = [_line_episodes(k, np.full(n, s), start_us, days, rng) for k, s in LINE_SHARE.items()]
    cpe = CPE_HAZARD * np.maximum(model_age, 1) + BUGGY_HAZARD * buggy
    cpe_eps = _line_episodes(CPE_FAULT, cpe, start_us, days, rng)
    # A leaking firmware is the usual reason a gateway of a buggy version fails.
    cpe_eps.detail = (buggy[cpe_eps.line] & (rng.random(len(cpe_eps)) < 0.8)).astype(np.int8)
    elements = {
        OPTICAL_SPLITTER: (len(topo.splitter_id), topo.splitter),
        OPTICAL_PORT: (len(topo.port_id), topo.port),
        PORT_CONGESTION: (len(topo.port_id), topo.port),
        OLT_CONGESTION: (n_olt, topo.port_olt[topo.port]),
    }
    f_kind, f_elem, f_onset, f_end, f_sev, shared = [], [], [], [], [], []
    for kind, share in FAULT_SHARE.items():
        count, of_line = elements[kind]
        members = np.bincount(of_line, minlength=count)
        chosen, already = _fault_elements(kind, members, share, days, topo, rng)
        eps, onset, end, sev = _fault_episodes(
            kind, chosen, already, of_line, len(f_kind), start_us, days, rng
        )
        f_kind += [kind] * len(chosen)
        f_elem.append(chosen)
        f_onset.append(onset)
        f_end.append(end)
        f_sev.append(sev)
        shared.append(eps)
    episodes = single[0]
    for eps in [*single[1:], cpe_eps, *shared]:
        episodes.extend(eps)
    faults = Faults(
        np.array(f_kind, np.int8),
        np.concatenate(f_elem).astype(np.int64),
        np.concatenate(f_onset),
        np.concatenate(f_end),
        np.concatenate(f_sev),
    )
    return episodes, faults


def _draw(share: np.ndarray, days: int, rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    """Which candidates have an episode when the window opens (each with its ``share``),
    and which get one within it."""
    already = rng.random(len(share)) < share
    new = rng.random(len(share)) < np.minimum(share * NEW_PER_WEEK * days / WEEK, 0.9)
    return already, new


def _onsets(already: np.ndarray, start_us: int, days: int, rng) -> np.ndarray:
    m = len(already)
    before = start_us - (rng.uniform(1, 40, m) * US_PER_DAY).astype(np.int64)
    within = start_us + (rng.random(m) * days * US_PER_DAY).astype(np.int64)
    return np.where(already, before, within)


def _ends(onset: np.ndarray, start_us: int, rng: np.random.Generator) -> np.ndarray:
    m = len(onset)
    lasts = (rng.lognormal(np.log(4), 0.7, m) * US_PER_DAY).astype(np.int64)
    return np.where(rng.random(m) < SELF_ENDING, np.maximum(onset, start_us) + lasts, NEVER)


def _severity(kind: int, m: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Severity and time to reach it: optical ones in dB of extra loss, others 0..1."""
    if kind == OPTICAL_LINE:  # a dirty or scratched connector, a bent drop fibre
        sev = rng.uniform(5.0, 12.0, m)
    elif kind in (OPTICAL_SPLITTER, OPTICAL_PORT):
        sev = rng.uniform(6.0, 12.0, m)
    elif kind in (PORT_CONGESTION, OLT_CONGESTION):
        sev = rng.uniform(0.3, 0.9, m)
    else:
        sev = rng.uniform(0.2, 1.0, m)
    degrading = kind in OPTICAL or kind == CPE_FAULT
    ramp = np.where(degrading & (rng.random(m) < 0.5), rng.uniform(2, 8, m) * US_PER_DAY, 0).astype(
        np.int64
    )
    return sev.astype(np.float32), ramp


def _line_episodes(
    kind: int, share: np.ndarray, start_us: int, days: int, rng: np.random.Generator
) -> Episodes:
    """Episodes of one kind, each line drawn with its ``share``."""
    already, new = _draw(share, days, rng)
    line = np.concatenate([np.flatnonzero(already), np.flatnonzero(new)])
    m = len(line)
    onset = _onsets(np.arange(m) < already.sum(), start_us, days, rng)
    sev, ramp = _severity(kind, m, rng)
    detail = (rng.random(m) < 0.4).astype(np.int8) if kind == DNS_AUTH else np.zeros(m, np.int8)
    return Episodes(
        line,
        np.full(m, kind, np.int8),
        np.full(m, -1, np.int64),
        onset,
        _ends(onset, start_us, rng),
        sev,
        ramp,
        detail,
    )


def _fault_elements(kind, members, share, days, topo, rng) -> tuple[np.ndarray, np.ndarray]:
    """Which elements get a shared fault, and whether each was there when the window
    opened: a port's optics need a port of several splitters, congestion a busy port or an
    OLT with several ports; every kind gets at least one where an element qualifies."""
    eligible = np.flatnonzero(members > 0)
    if kind == OPTICAL_PORT:
        # Under a port of one splitter the port's fault and the splitter's dim the same
        # lines by the same decibels: no measurement of the lines tells them apart, so
        # the trunk fault is planted where every splitter of the port dims together.
        splitters = np.bincount(topo.splitter_port, minlength=len(members))
        eligible = np.flatnonzero((members > 0) & (splitters >= 2))
    if kind == PORT_CONGESTION:
        eligible = np.flatnonzero(members >= max(4, np.quantile(members[eligible], 0.5)))
    if kind == OLT_CONGESTION:
        ports = np.bincount(topo.port_olt, minlength=len(members))
        several = np.flatnonzero((ports >= 2) & (members > 0))
        eligible = several if len(several) else eligible
    already, new = (int(x.sum()) for x in _draw(np.full(len(eligible), share), days, rng))
    if already + new == 0:
        already, new = (1, 0) if rng.random() < 0.7 else (0, 1)
    count = min(len(eligible), already + new)
    chosen = rng.choice(eligible, count, replace=False)
    return chosen, np.arange(count) < already


def _fault_episodes(kind, chosen, already, of_line, first_fault, start_us, days, rng):
    """One episode per line under each chosen element, sharing the fault's timing."""
    k = len(chosen)
    onset = _onsets(already, start_us, days, rng)
    if kind in (PORT_CONGESTION, OLT_CONGESTION):  # chronic: there for weeks already
        onset = np.where(already, start_us - 30 * US_PER_DAY, onset)
    end = _ends(onset, start_us, rng)
    sev, ramp = _severity(kind, k, rng)
    order = np.argsort(of_line, kind="stable")
    lo = np.searchsorted(of_line[order], chosen, "left")
    hi = np.searchsorted(of_line[order], chosen, "right")
    fault = np.repeat(np.arange(k), hi - lo)
    # A tiny province may have no element that qualifies: no fault of the kind.
    line = np.concatenate([order[a:b] for a, b in zip(lo, hi, strict=True)] or [fault])
    m = len(line)
    eps = Episodes(
        line,
        np.full(m, kind, np.int8),
        first_fault + fault,
        onset[fault],
        end[fault],
        sev[fault],
        ramp[fault],
        np.zeros(m, np.int8),
    )
    return eps, onset, end, sev
