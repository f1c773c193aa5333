"""The device topology as the correlator sees it: who is upstream of whom, and how far.

Links point from the upstream end ``a_ne_id`` to the downstream end ``b_ne_id``; power
links count, since a device loses service when its power unit does. A *hub* is a
device with more than a tenth of the network below it (a core router): everything
is downstream of it, so being under it says nothing about two alarms belonging together.
"""

from __future__ import annotations

from collections import defaultdict
from functools import cache

import pandas as pd

HUB_SHARE = 0.1
# A hub relates to devices this close below it. Two hops would join its port alarm to a
# dead aggregation switch's flood, but also merge unrelated floods under one core; the
# port alarm is joined afterwards instead (correlate._join_port_alarms).
HUB_HOPS = 1


class Topology:
    """Parents, children and fibre uplinks of every device, with cached reachability."""

    def __init__(self, links: pd.DataFrame) -> None:
        self.parents: dict[str, list[str]] = defaultdict(list)
        self.children: dict[str, list[str]] = defaultdict(list)
        self.uplink: dict[str, str] = {}
        for a, b, kind in zip(links["a_ne_id"], links["b_ne_id"], links["link_type"], strict=True):
            self.parents[b].append(a)
            self.children[a].append(b)
            if kind != "power":
                self.uplink.setdefault(b, a)
        devices = set(self.parents) | set(self.children)
        self.n_devices = len(devices)
        self.hubs = {d for d in self.children if self.below_count(d) > HUB_SHARE * len(devices)}
        # A hub's uplink is another hub: a link between peers, not a way up.
        for hub in self.hubs:
            self.uplink.pop(hub, None)

    @cache  # noqa: B019 - one Topology per correlation run, cached for its lifetime
    def ancestors(self, ne: str) -> dict[str, int]:
        """Every device upstream of ``ne`` with its fewest hops."""
        return _reach(ne, self.parents)

    @cache  # noqa: B019
    def descendants(self, ne: str) -> dict[str, int]:
        """Every device downstream of ``ne`` with its fewest hops."""
        return _reach(ne, self.children)

    def below_count(self, ne: str) -> int:
        return len(self.descendants(ne))

    @cache  # noqa: B019
    def near_ancestors(self, ne: str, hops: int) -> frozenset[str]:
        """Non-hub ancestors within ``hops``, and ``ne`` itself."""
        up = self.ancestors(ne)
        return frozenset([ne, *(a for a, h in up.items() if h <= hops and a not in self.hubs)])

    @cache  # noqa: B019
    def related(self, ne: str, hops: int) -> frozenset[str]:
        """Devices whose alarms may share a cause with one on ``ne``: itself, ancestors and
        descendants within ``hops`` (a hub only within :data:`HUB_HOPS`), and devices
        sharing a non-hub ancestor within ``hops - 1`` of both (siblings under a silent
        device). A hub relates only to what is within :data:`HUB_HOPS` below it."""
        near = {ne}
        if ne in self.hubs:  # everything is below a hub: only what is near it counts
            near.update(self.parents.get(ne, ()))
            near.update(d for d, h in self.descendants(ne).items() if h <= HUB_HOPS)
            return frozenset(near)
        for a, h in self.ancestors(ne).items():
            if h <= hops and (a not in self.hubs or h <= HUB_HOPS):
                near.add(a)
                if a not in self.hubs and h < hops:
                    near.update(d for d, k in self.descendants(a).items() if k < hops)
        near.update(d for d, h in self.descendants(ne).items() if h <= hops)
        return frozenset(near)


def _reach(start: str, edges: dict[str, list[str]]) -> dict[str, int]:
    seen: dict[str, int] = {}
    frontier, depth = [start], 0
    while frontier:
        depth += 1
        nxt = []
        for node in frontier:
            for other in edges.get(node, ()):
                if other not in seen and other != start:
                    seen[other] = depth
                    nxt.append(other)
        frontier = nxt
    return seen
