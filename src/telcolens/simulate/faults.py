"""Planted network faults and the alarm floods they cause, with their ground truth.

Four kinds, rooted on the generated topology (links point upstream ``a`` to downstream
``b``; power links count): a fibre cut on a link, a switch that dies, a power unit
whose mains fail until its battery runs out, and a congested switch. A fault's
flood is made hard the way real ones are: downstream alarms come seconds to minutes
after the root, with per-hop delays and heavy-tailed jitter; some devices never
report and single alarms go missing; alarms flap (raise, clear, raise) or are sent
again while active; clears come at varied times and some never within the window;
the root's own alarm is sometimes late or missing (a dead device cannot report, its
neighbours' alarms reveal it); some elements' clocks are minutes off; and some faults
start minutes after another.

The faults of the whole window are planned up front from a random stream of their
own, so the background alarms and every other table do not change.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import pyarrow as pa

from telcolens.simulate.activity import US_PER_DAY
from telcolens.topology import Topology

KINDS = ("fibre_cut", "device_down", "power_loss", "congestion")
KIND_SHARE = (0.4, 0.25, 0.2, 0.15)
# A few faults a day: about 0.5 per 1,000 elements, and enough for small provinces to
# hold some of every kind.
FAULTS_PER_ELEMENT_DAY = 0.0005
MIN_FAULTS_PER_DAY = 6
OVERLAP = 0.15  # share of faults that start within 10 minutes of the previous one
REPORTS = 0.88  # share of affected devices that report at all
FAR_END_REPORTS = 0.95  # the far end of a cut link, which detects the loss itself
ALARM_LOST = 0.07  # share of single alarms lost on the way
ROOT_LOST = 0.08  # share of roots whose own alarm never arrives
ROOT_LATE = 0.15  # share of roots whose alarm arrives 1-5 minutes late
NEVER_CLEARED = 0.06
FLAPS = 0.15
RESENT = 0.1
CLOCK_DRIFTS = 0.08  # share of elements whose clock is off
CLOCK_SKEW_S = 180.0  # standard deviation of their offset
REFRESHED = 0.4  # share of alarms whose element re-sends them every 5-20 minutes
S = 10**6  # microseconds per second
_SEVERITY = {
    "LINK_DOWN": "critical",
    "LOS": "critical",
    "CELL_DOWN": "critical",
    "MAINS_FAILURE": "critical",
    "PON_PORT_DOWN": "major",
    "S1_LINK_FAILURE": "major",
    "NG_LINK_FAILURE": "major",
    "BATTERY_LOW": "major",
    "HIGH_CPU": "major",
    "FAN_FAILURE": "major",
    "BGP_PEER_DOWN": "major",
    "PORT_FLAP": "minor",
}
_OTHER_SEVERITIES = np.array(["critical", "major", "minor", "warning"])
_COLUMNS = ["fault_id", "ne_id", "alarm_type", "severity", "raised_us", "cleared_us"]


@dataclass
class PlantedFaults:
    """Every planted fault of the window (truth) and the alarms it made.

    ``alarms`` holds fault_id, ne_id, alarm_type, severity, raised_us and cleared_us
    (-1 where not cleared within the window), sorted by raised_us.
    """

    faults: pa.Table
    alarms: pd.DataFrame

    def of_day(self, day_start_us: int) -> pd.DataFrame:
        """The planted alarms raised on the day starting at ``day_start_us``."""
        t = self.alarms["raised_us"]
        return self.alarms[(t >= day_start_us) & (t < day_start_us + US_PER_DAY)]


class _Planter:
    """Draws one fault at a time into a list of alarm rows."""

    def __init__(self, topo: Topology, rng: np.random.Generator) -> None:
        self.topo, self.rng = topo, rng
        self.rows: list[tuple] = []
        self.fault = 0
        # Elements whose clocks drift (NTP lost): their alarms carry a fixed offset.
        ne = list(topo.ne_type)
        drifting = np.flatnonzero(rng.random(len(ne)) < CLOCK_DRIFTS)
        self.skew = {ne[i]: float(rng.normal(0, CLOCK_SKEW_S)) for i in drifting}

    def alarm(self, ne: str, kind: str, raised: float, cleared: float, *, lost=ALARM_LOST) -> bool:
        """One alarm, perhaps lost, flapping, sent again or never cleared; True if sent."""
        rng = self.rng
        if rng.random() < lost:
            return False
        first = len(self.rows)
        sev = _SEVERITY[kind] if rng.random() > 0.15 else str(rng.choice(_OTHER_SEVERITIES))
        end = -1.0 if rng.random() < NEVER_CLEARED else cleared
        t = raised
        if rng.random() < FLAPS:
            for _ in range(int(rng.integers(1, 4))):
                off = t + rng.uniform(3, 60)
                if end >= 0 and off >= end:
                    break
                self.rows.append((self.fault, ne, kind, sev, t, off))
                t = off + rng.uniform(2, 90)
        if end >= 0:
            end = max(end, t + rng.uniform(1, 30))
        self.rows.append((self.fault, ne, kind, sev, t, end))
        if rng.random() < RESENT:  # sent again soon after, as if the first was not acked
            again = t + rng.uniform(20, 900)
            if end < 0 or again < end:
                self.rows.append((self.fault, ne, kind, sev, again, end))
        if rng.random() < REFRESHED:  # periodic re-notification while the condition lasts
            every = rng.uniform(5, 20) * 60
            for again in np.arange(t + every, max(cleared, t), every)[:12]:
                self.rows.append((self.fault, ne, kind, sev, float(again), end))
        skew = self.skew.get(ne, 0.0)
        if skew:
            self.rows[first:] = [
                (f, n, k, v, r + skew, c + skew if c >= 0 else c)
                for f, n, k, v, r, c in self.rows[first:]
            ]
        return True

    def flood(
        self,
        below: Iterable[tuple[str, int]],
        lost_at: float,
        back_at: float,
        near: float = REPORTS,
    ) -> None:
        """Loss-of-service alarms of every reporting device downstream; devices one hop
        below report with probability ``near``, the others with :data:`REPORTS`."""
        rng = self.rng
        for ne, depth in below:
            if rng.random() > (near if depth == 1 else REPORTS):
                continue
            t = lost_at + depth * rng.uniform(0.5, 4) + rng.lognormal(np.log(12), 1.1)
            back = back_at + rng.exponential(150)
            for kind in _loss_alarms(self.topo.ne_type[ne], rng):
                self.alarm(ne, kind, t + rng.exponential(5), back + rng.exponential(30))

    def root_time(self, t0: float) -> tuple[float, float]:
        """When the root's alarm arrives, and how likely it is lost."""
        late = self.rng.uniform(60, 300) if self.rng.random() < ROOT_LATE else 0.0
        return t0 + self.rng.exponential(2) + late, ROOT_LOST

    def fibre_cut(self, t0: float) -> tuple[str, str, float, bool]:
        rng, topo = self.rng, self.topo
        tier = rng.choice(4, p=[0.1, 0.4, 0.2, 0.3])
        wanted = [("core_router",), ("aggregation_switch",), ("access_switch",), ("access_switch",)]
        down = [("aggregation_switch",), ("access_switch",), ("olt",), ("enodeb", "gnodeb")]
        cands = [
            (a, b)
            for a, b, kind in topo.links
            if kind != "power" and topo.ne_type[a] in wanted[tier] and topo.ne_type[b] in down[tier]
        ]
        a, b = cands[int(rng.integers(len(cands)))]
        end = t0 + rng.lognormal(np.log(90 * 60), 0.8)
        raised, lost = self.root_time(t0)
        sent = self.alarm(a, "LINK_DOWN", raised, end + rng.exponential(60), lost=lost)
        # The far end is alive and sees the light go itself: it nearly always reports.
        below = [(b, 1), *((ne, d + 1) for ne, d in topo.descendants(b).items())]
        self.flood(below, t0, end, near=FAR_END_REPORTS)
        return a, "LINK_DOWN", end, sent

    def device_down(self, t0: float) -> tuple[str, str, float, bool]:
        rng, topo = self.rng, self.topo
        kind = "aggregation_switch" if rng.random() < 0.3 else "access_switch"
        cands = topo.of_type(kind)
        ne = cands[int(rng.integers(len(cands)))]
        end = t0 + rng.lognormal(np.log(60 * 60), 0.7)
        # A dying switch often gets out a hardware alarm first; often it just goes silent.
        sent = rng.random() < 0.45 and self.alarm(
            ne, "FAN_FAILURE", t0 - rng.uniform(0, 120), end + rng.uniform(60, 600), lost=0
        )
        if ne in topo.uplink and rng.random() < 0.7:
            self.alarm(topo.uplink[ne], "LINK_DOWN", t0 + rng.exponential(3), end)
        self.flood(topo.descendants(ne).items(), t0, end + rng.uniform(60, 300))
        return ne, "FAN_FAILURE", end, sent

    def power_loss(self, t0: float) -> tuple[str, str, float, bool]:
        rng, topo = self.rng, self.topo
        cands = topo.of_type("power_unit")
        pwr = cands[int(rng.integers(len(cands)))]
        end = t0 + rng.lognormal(np.log(2 * 3600), 0.7)
        battery = rng.uniform(30, 120) * 60
        raised, lost = self.root_time(t0)
        sent = self.alarm(pwr, "MAINS_FAILURE", raised, end + rng.exponential(30), lost=lost)
        warn = t0 + battery - rng.uniform(5, 15) * 60
        if end > warn:
            self.alarm(pwr, "BATTERY_LOW", warn, end + rng.exponential(30))
        if end > t0 + battery:
            # Everything the unit powers dies silently; the switch upstream sees its port
            # go down, the radio sites below lose their backhaul.
            dead = t0 + battery
            for acc in topo.children.get(pwr, ()):
                if topo.ne_type[acc] == "access_switch":
                    if acc in topo.uplink and rng.random() < 0.7:
                        self.alarm(topo.uplink[acc], "LINK_DOWN", dead + rng.exponential(3), end)
                    sites = [
                        (ne, d)
                        for ne, d in topo.descendants(acc).items()
                        if topo.ne_type[ne] in ("enodeb", "gnodeb")
                    ]
                    self.flood(sites, dead, end + rng.uniform(120, 600))
        return pwr, "MAINS_FAILURE", end, sent

    def congestion(self, t0: float) -> tuple[str, str, float, bool]:
        rng, topo = self.rng, self.topo
        cands = topo.of_type("aggregation_switch", "access_switch")
        ne = cands[int(rng.integers(len(cands)))]
        end = t0 + rng.lognormal(np.log(30 * 60), 0.6)
        raised, lost = self.root_time(t0)
        sent = self.alarm(ne, "HIGH_CPU", raised, end + rng.exponential(60), lost=lost)
        for t in np.sort(rng.uniform(t0, end, rng.integers(1, 6))):
            self.alarm(ne, "PORT_FLAP", t, t + rng.uniform(5, 120))
        # Milder and partial: some devices below see their uplink drop for a while.
        for below, depth in topo.descendants(ne).items():
            if rng.random() < 0.3:
                kinds = _loss_alarms(topo.ne_type[below], rng)[:1]
                t = rng.uniform(t0, end) + depth * rng.uniform(0.5, 4)
                for kind in kinds:
                    self.alarm(below, kind, t, t + rng.uniform(30, 400))
        return ne, "HIGH_CPU", end, sent


def _loss_alarms(ne_type: str, rng: np.random.Generator) -> list[str]:
    """What a device reports when it loses its uplink."""
    if ne_type == "olt":
        return ["LOS", "PON_PORT_DOWN"] if rng.random() < 0.6 else ["LOS"]
    if ne_type in ("enodeb", "gnodeb"):
        link = "S1_LINK_FAILURE" if ne_type == "enodeb" else "NG_LINK_FAILURE"
        # One per S1/NG link to the core pool, one per cell (3 sectors, 1-3 carriers).
        return [link] * int(rng.integers(1, 3)) + ["CELL_DOWN"] * int(3 * rng.integers(1, 4))
    if ne_type == "core_router":
        return ["BGP_PEER_DOWN"]
    return ["LINK_DOWN", "PORT_FLAP"] if rng.random() < 0.3 else ["LINK_DOWN"]


def plant(
    elements: pa.Table, links: pa.Table, start_us: int, days: int, rng: np.random.Generator
) -> PlantedFaults:
    """Plan the faults of a ``days``-long window starting at ``start_us``."""
    topo = Topology(links.to_pandas(), elements.to_pandas())
    planter = _Planter(topo, rng)
    per_day = max(MIN_FAULTS_PER_DAY, FAULTS_PER_ELEMENT_DAY * elements.num_rows)
    starts = []
    for d in range(days):
        day = np.sort(rng.uniform(0, 86_400, rng.poisson(per_day)))
        starts += (d * 86_400 + day).tolist()
    truth = []
    previous = None
    for fault, t0 in enumerate(starts):
        if previous is not None and rng.random() < OVERLAP:
            t0 = previous + rng.uniform(0, 600)
        previous = t0
        planter.fault = fault
        kind = KINDS[rng.choice(len(KINDS), p=KIND_SHARE)]
        root, root_type, end, sent = getattr(planter, kind)(t0)
        truth.append((f"F{fault:05d}", kind, root, root_type, sent, t0, end))
    return _assemble(truth, planter.rows, start_us, days)


def _assemble(truth: list[tuple], rows: list[tuple], start_us: int, days: int) -> PlantedFaults:
    horizon = days * 86_400
    cols = list(zip(*truth, strict=True)) if truth else [[]] * 7
    faults = pa.table(
        {
            "fault_id": pa.array(cols[0], pa.string()),
            "kind": pa.array(cols[1], pa.string()),
            "root_ne_id": pa.array(cols[2], pa.string()),
            "root_alarm_type": pa.array(cols[3], pa.string()),
            "root_reported": pa.array(cols[4], pa.bool_()),
            "started_at": _stamps(cols[5], start_us),
            "ended_at": _stamps(cols[6], start_us),
        }
    )
    alarms = pd.DataFrame(rows, columns=_COLUMNS)
    alarms = alarms[(alarms["raised_us"] >= 0) & (alarms["raised_us"] < horizon)]
    cleared = alarms["cleared_us"].to_numpy()
    open_ = (cleared < 0) | (cleared >= horizon)
    alarms = alarms.assign(
        fault_id=np.array([f"F{f:05d}" for f in alarms["fault_id"]], dtype=object),
        raised_us=start_us + (alarms["raised_us"].to_numpy() * S).astype(np.int64),
        cleared_us=np.where(open_, -1, start_us + (cleared * S).astype(np.int64)),
    )
    return PlantedFaults(faults, alarms.sort_values("raised_us", kind="stable"))


def _stamps(seconds, start_us: int) -> pa.Array:
    us = start_us + (np.asarray(seconds, float) * S).astype(np.int64)
    return pa.array(us, pa.timestamp("us"))


def day_alarms(background: pa.Table, planted: pd.DataFrame, day_index: int) -> pa.Table:
    """A day's background and planted alarms together, numbered in order of raising.

    Alarm ids are sequence numbers in time order, as an alarm system assigns them, so
    they say nothing about which alarms were planted. The table has one column more
    than the ``alarms`` table, ``fault_id`` (null for background), for the truth;
    callers drop it before writing.
    """
    n = len(planted)
    faulty = pa.table(
        {
            "ne_id": pa.array(planted["ne_id"].to_numpy(), pa.string()),
            "alarm_type": pa.array(planted["alarm_type"].to_numpy(), pa.string()),
            "severity": pa.array(planted["severity"].to_numpy(), pa.string()),
            "raised_at": pa.array(planted["raised_us"].to_numpy(), pa.timestamp("us")),
            "cleared_at": pa.array(
                planted["cleared_us"].to_numpy(),
                pa.timestamp("us"),
                mask=planted["cleared_us"].to_numpy() < 0,
            ),
            "text": pa.array(
                (planted["alarm_type"] + " on " + planted["ne_id"]).to_numpy(), pa.string()
            ),
            "source": pa.array(["simulated"] * n, pa.string()),
            "fault_id": pa.array(planted["fault_id"].to_numpy(), pa.string()),
        }
    )
    back = background.drop_columns(["alarm_id"])
    back = back.append_column("fault_id", pa.nulls(back.num_rows, pa.string()))
    both = pa.concat_tables([back, faulty.cast(back.schema)])
    order = np.argsort(both["raised_at"].to_numpy().astype(np.int64), kind="stable")
    both = both.take(order)
    ids = np.char.add(f"A{day_index:03d}-", np.arange(both.num_rows).astype(str))
    return both.add_column(0, "alarm_id", pa.array(ids, pa.string()))
