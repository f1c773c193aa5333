"""Correlate alarms into incidents on the device topology and name each one's root cause.

Alarms are first deduplicated into episodes (:mod:`telcolens.faults.dedup`). Episodes,
in the order they opened, join the incident of an earlier episode on a related device
(itself, up or down the topology, or a sibling under a common device) when

* it was raised or re-raised at most ``window_s`` before, or
* it is still active, and either lies upstream (a cause stays active while its effects
  arrive: mains failure, then the battery runs out an hour later), opened at most
  ``active_window_s`` before, or its type is a known cause of the new one's type
  (an edge of the learned cause graph), all within ``horizon_s``.

An episode that links several incidents merges them. The root of an incident is the
device that explains most of its episodes: its own and its descendants', plus its
uplink neighbour's port alarm (alarms about a device's own radio or environment weigh
little, a device's own failure alarms much); the deepest device within 90% of the best
explanation wins, so a silent dead switch is found from its children and a stray alarm
does not pull the root up. When the chosen device only reports losing service (LINK_DOWN, LOS, S1/NG
link failure, CELL_DOWN...), the fault is the link above it and the root is the device
at the upstream end, except for a lone LINK_DOWN on a switch with nothing else around,
which may be about one of its own downlinks. Incidents with the same root that touch in time are
merged last. Truth is never read.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

import numpy as np
import pandas as pd

from telcolens.faults._topology import CorrelationTopology
from telcolens.faults.dedup import SEVERITY_ORDER, deduplicate

# What a device reports when it loses service from upstream rather than failing itself.
OUTAGE = frozenset(
    {
        "LINK_DOWN",
        "PORT_FLAP",
        "LOS",
        "PON_PORT_DOWN",
        "S1_LINK_FAILURE",
        "NG_LINK_FAILURE",
        "CELL_DOWN",
    }
)
# Of those, the ones a device without downlink ports raises only for its uplink.
UPLINK_ONLY = frozenset({"LOS", "PON_PORT_DOWN", "S1_LINK_FAILURE", "NG_LINK_FAILURE", "CELL_DOWN"})
# Alarms about a device's own radio or environment, which no outage upstream explains:
# they weigh little when choosing the root.
LOCAL = frozenset({"VSWR_HIGH", "HIGH_TEMPERATURE", "RECTIFIER_FAULT"})
LOCAL_WEIGHT = 0.2
# A device saying that it itself is failing is strong evidence for it as the root.
SELF = frozenset({"MAINS_FAILURE", "BATTERY_LOW", "FAN_FAILURE", "HIGH_CPU"})
SELF_BONUS = 3.0
# The deepest device explaining at least this share of the best explanation (or all but
# one episode of it) is the root: a stray alarm elsewhere under a higher device should
# not pull the root up to it.
TOLERANCE = 0.9
INCIDENT_COLUMNS = (
    "incident_id",
    "root_ne_id",
    "root_alarm_type",
    "opened_at",
    "last_alarm_at",
    "cleared_at",
    "alarm_count",
    "device_count",
    "severity",
)


@dataclass
class Incidents:
    """Incidents (columns :data:`INCIDENT_COLUMNS`) and each alarm's incident."""

    incidents: pd.DataFrame
    alarm_incidents: pd.DataFrame  # alarm_id, incident_id


class IncidentCorrelator:
    """Groups alarms into incidents on a topology (scikit-learn style: ``fit`` on links).

    Parameters
    ----------
    window_s : seconds between raises on related devices that still join them.
    active_window_s : how long an active alarm keeps drawing in alarms on related devices.
    horizon_s : how long an active upstream alarm (or a known cause) keeps drawing in.
    hops : how far up, down or across the topology two devices count as related.
    causes : optional (cause, effect) alarm-type pairs, e.g. learned by ``CauseLearner``.
    """

    def __init__(
        self,
        *,
        window_s: float = 240.0,
        active_window_s: float = 600.0,
        horizon_s: float = 3 * 3600.0,
        hops: int = 3,
        causes: frozenset[tuple[str, str]] | None = None,
    ) -> None:
        self.window_s = window_s
        self.active_window_s = active_window_s
        self.horizon_s = horizon_s
        self.hops = hops
        self.causes = causes

    def fit(self, links: pd.DataFrame) -> IncidentCorrelator:
        """Learn the topology from the ``links`` table."""
        self.topology_ = CorrelationTopology(links)
        return self

    def correlate(self, alarms: pd.DataFrame) -> Incidents:
        """Incidents of ``alarms`` (the ``alarms`` table as a DataFrame)."""
        episodes, episode_of = deduplicate(alarms)
        group = self._group(episodes)
        roots = {g: self._root(episodes.iloc[rows]) for g, rows in _members(group).items()}
        group = self._merge_same_root(episodes, group, roots)
        group = self._join_port_alarms(episodes, group, roots)
        members = _members(group)
        roots = {g: roots[g] for g in members}
        incidents = _summarise(episodes, members, roots)
        incident_of_episode = np.empty(len(episodes), object)
        for incident_id, g in zip(incidents["incident_id"], incidents.pop("group"), strict=True):
            incident_of_episode[members[g]] = incident_id
        mapping = pd.DataFrame(
            {
                "alarm_id": episode_of.index.to_numpy(),
                "incident_id": incident_of_episode[episode_of.to_numpy()],
            }
        ).sort_values("alarm_id", kind="stable", ignore_index=True)
        return Incidents(incidents, mapping)

    # Grouping ---------------------------------------------------------------------------

    def _group(self, episodes: pd.DataFrame) -> np.ndarray:
        """Union-find over episodes; returns each episode's group representative."""
        topo = self.topology_
        parent = np.arange(len(episodes))
        first = _seconds(episodes["first_raised"])
        last = _seconds(episodes["last_seen"])
        cleared = _seconds(episodes["cleared_at"], missing=np.inf)
        ne = episodes["ne_id"].to_numpy()
        kind = episodes["alarm_type"].to_numpy()
        seen: dict[str, list[int]] = {}
        reach = max(self.window_s, self.active_window_s, self.horizon_s)
        for x in range(len(episodes)):
            t = first[x]
            upstream = topo.near_ancestors(ne[x], self.hops)
            for dev in topo.related(ne[x], self.hops):
                for y in seen.get(dev, ()):
                    active = cleared[y] > t
                    joins = (
                        t - last[y] <= self.window_s
                        or (active and t - first[y] <= self.active_window_s)
                        or (active and t - first[y] <= self.horizon_s and dev in upstream)
                        or (
                            active
                            and t - first[y] <= self.horizon_s
                            and self.causes is not None
                            and (kind[y], kind[x]) in self.causes
                        )
                    )
                    if joins:
                        _union(parent, x, y)
            own = seen.setdefault(ne[x], [])
            own.append(x)
            # Forget episodes that can no longer draw anything in.
            while own and t - last[own[0]] > reach and cleared[own[0]] <= t:
                own.pop(0)
        return np.array([_find(parent, i) for i in range(len(episodes))])

    def _merge_same_root(self, episodes, group, roots) -> np.ndarray:
        """Join incidents with one root whose spans overlap or lie within ``window_s``."""
        first = _seconds(episodes["first_raised"])
        last = _seconds(episodes["last_seen"])
        spans = pd.DataFrame({"group": group, "first": first, "last": last}).groupby("group")
        table = spans.agg(first=("first", "min"), last=("last", "max"))
        table["root"] = [roots[g][0] for g in table.index]
        parent = {g: g for g in table.index}
        for _, same in table.dropna(subset=["root"]).groupby("root"):
            keep, end = None, -np.inf
            for g, row in same.sort_values("first").iterrows():
                if keep is not None and row["first"] - end <= self.window_s:
                    parent[g] = keep
                    end = max(end, row["last"])
                else:
                    keep, end = g, row["last"]
        return np.array([parent[g] for g in group])

    def _join_port_alarms(self, episodes, group, roots) -> np.ndarray:
        """Join an incident of nothing but LINK_DOWN on one device to the incident rooted
        just below that device which opened within ``window_s`` of it: the port facing a
        dead device (a core router's, whose alarms relate to its neighbours only)."""
        uplink = self.topology_.uplink
        first = _seconds(episodes["first_raised"])
        members = _members(group)
        opened = {g: first[rows].min() for g, rows in members.items()}
        below: dict[str, list[int]] = {}
        for g in members:
            root = roots[g][0]
            if root is not None and root in uplink:
                below.setdefault(uplink[root], []).append(g)
        parent = {g: g for g in members}
        for g, rows in members.items():
            e = episodes.iloc[rows]
            if e["ne_id"].nunique() != 1 or set(e["alarm_type"]) != {"LINK_DOWN"}:
                continue
            near = [
                h
                for h in below.get(e["ne_id"].iloc[0], ())
                if abs(opened[h] - opened[g]) <= self.window_s
            ]
            if near:
                parent[g] = min(near, key=lambda h: abs(opened[h] - opened[g]))
        return np.array([parent[g] for g in group])

    # Root cause -------------------------------------------------------------------------

    def _root(self, members: pd.DataFrame) -> tuple[str | None, str | None]:
        """The root device of one incident's episodes and its first alarm type there."""
        topo = self.topology_
        weight: Counter[str] = Counter()
        own: Counter[str] = Counter()
        for ne, kind in zip(members["ne_id"], members["alarm_type"], strict=True):
            weight[ne] += LOCAL_WEIGHT if kind in LOCAL else 1.0
            own[ne] += SELF_BONUS if kind in SELF else 0.0
        best = self._best_explaining(weight, own)
        first = True
        while True:
            types = set(members.loc[members["ne_id"] == best, "alarm_type"])
            if not types or not types <= OUTAGE or best not in topo.uplink:
                break
            # It lost service from above: the fault is the link up (or the device there),
            # unless a switch's LINK_DOWN alone may be about one of its own downlinks. Go on
            # up while the device above reports its side of the link too.
            up = topo.uplink[best]
            below = first and (
                types & UPLINK_ONLY or any(d in weight for d in topo.descendants(best))
            )
            if up not in weight and not below:
                break
            best, first = up, False
        mine = members[members["ne_id"] == best].sort_values("first_raised")
        return best, (mine["alarm_type"].iloc[0] if len(mine) else None)

    def _best_explaining(self, weight: Counter[str], own: Counter[str]) -> str:
        """The deepest device whose own, descendants' and uplink port alarms weigh nearly
        the most. A silent device needs evidence from below."""
        topo = self.topology_
        candidates = set(weight)
        for dev in weight:
            candidates.update(a for a in topo.ancestors(dev) if a not in topo.hubs)
        scored = []
        for c in candidates:
            below = topo.descendants(c)
            under = [d for d in weight if d in below]
            if c not in weight and not under:
                continue
            explained = weight[c] + own[c] + sum(weight[d] for d in under)
            explained += weight.get(topo.uplink.get(c, ""), 0)
            scored.append((explained, len(below), c))
        if not scored:
            return next(iter(weight))
        if any(s[2] not in topo.hubs for s in scored):  # a hub explains everything
            scored = [s for s in scored if s[2] not in topo.hubs]
        top = max(s[0] for s in scored)
        near = [s for s in scored if s[0] >= top - max(1.0, (1 - TOLERANCE) * top)]
        return min(near, key=lambda s: (s[1], -s[0], s[2]))[2]


def correlate_alarms(
    alarms: pd.DataFrame,
    links: pd.DataFrame,
    causes: frozenset[tuple[str, str]] | None = None,
) -> Incidents:
    """Incidents of ``alarms`` on the topology of ``links`` (see :class:`IncidentCorrelator`)."""
    return IncidentCorrelator(causes=causes).fit(links).correlate(alarms)


def _summarise(episodes: pd.DataFrame, members: dict[int, np.ndarray], roots) -> pd.DataFrame:
    rows = []
    for g, idx in members.items():
        e = episodes.iloc[idx]
        cleared = e["cleared_at"]
        rank = min(SEVERITY_ORDER.index(s) for s in e["severity"])
        rows.append(
            (
                g,
                *roots[g],
                e["first_raised"].min(),
                e["last_seen"].max(),
                pd.NaT if cleared.isna().any() else cleared.max(),
                int(e["count"].sum()),
                e["ne_id"].nunique(),
                SEVERITY_ORDER[rank],
            )
        )
    columns = ["group", *INCIDENT_COLUMNS[1:]]
    table = pd.DataFrame(rows, columns=columns).sort_values("opened_at", kind="stable")
    table.insert(0, "incident_id", _ids(table))
    return table.reset_index(drop=True)


def _members(group: np.ndarray) -> dict[int, np.ndarray]:
    order = np.argsort(group, kind="stable")
    keys, starts = np.unique(group[order], return_index=True)
    return dict(zip(keys.tolist(), np.split(order, starts[1:]), strict=True))


def _ids(table: pd.DataFrame) -> list[str]:
    """Ids from the opening second and the root, so that correlating the same alarms again
    (or a later window holding them) gives the same ids to load into the store."""
    ids, seen = [], Counter()
    for opened, root in zip(table["opened_at"], table["root_ne_id"], strict=True):
        base = f"INC-{pd.Timestamp(opened):%Y%m%dT%H%M%S}-{root or 'UNKNOWN'}"
        seen[base] += 1
        ids.append(base if seen[base] == 1 else f"{base}-{seen[base]}")
    return ids


def _seconds(values: pd.Series, missing: float = np.nan) -> np.ndarray:
    stamps = pd.to_datetime(values).astype("datetime64[us]")
    out = stamps.to_numpy().view(np.int64) / 1e6
    return np.where(stamps.isna(), missing, out)


def _find(parent: np.ndarray, i: int) -> int:
    while parent[i] != i:
        parent[i] = parent[parent[i]]
        i = parent[i]
    return int(i)


def _union(parent: np.ndarray, x: int, y: int) -> None:
    rx, ry = _find(parent, x), _find(parent, y)
    if rx != ry:
        parent[max(rx, ry)] = min(rx, ry)
