"""The device topology as the correlator sees it: the shared one, less its hubs.

A *hub* is a device with more than a tenth of the network below it (a core router):
everything is downstream of it, so being under it says nothing about two alarms
belonging together, and its uplink is another hub, a link between peers, not a way up.
"""

from __future__ import annotations

import pandas as pd

from telcolens.topology import Topology

HUB_SHARE = 0.1
# A hub relates to devices this close below it. Two hops would join its port alarm to a
# dead aggregation switch's flood, but also merge unrelated floods under one core; the
# port alarm is joined afterwards instead (correlate._join_port_alarms).
HUB_HOPS = 1


class CorrelationTopology(Topology):
    """:class:`~telcolens.topology.Topology` with its hubs, and which devices' alarms
    may share a cause. :attr:`uplink` has no entry for a hub."""

    def __init__(self, links: pd.DataFrame) -> None:
        super().__init__(links)
        devices = set(self.parents) | set(self.children)
        self.n_devices = len(devices)
        self.hubs = {d for d in self.children if self.below_count(d) > HUB_SHARE * len(devices)}
        for hub in self.hubs:
            self.uplink.pop(hub, None)
        self._near: dict[tuple[str, int], frozenset[str]] = {}
        self._related: dict[tuple[str, int], frozenset[str]] = {}

    def below_count(self, ne: str) -> int:
        return len(self.descendants(ne))

    def near_ancestors(self, ne: str, hops: int) -> frozenset[str]:
        """Non-hub ancestors within ``hops``, and ``ne`` itself."""
        key = (ne, hops)
        if key not in self._near:
            up = self.ancestors(ne)
            near = (a for a, h in up.items() if h <= hops and a not in self.hubs)
            self._near[key] = frozenset([ne, *near])
        return self._near[key]

    def related(self, ne: str, hops: int) -> frozenset[str]:
        """Devices whose alarms may share a cause with one on ``ne``: itself, ancestors and
        descendants within ``hops`` (a hub only within :data:`HUB_HOPS`), and devices
        sharing a non-hub ancestor within ``hops - 1`` of both (siblings under a silent
        device). A hub relates only to what is within :data:`HUB_HOPS` below it."""
        key = (ne, hops)
        if key not in self._related:
            self._related[key] = frozenset(self._relate(ne, hops))
        return self._related[key]

    def _relate(self, ne: str, hops: int) -> set[str]:
        near = {ne}
        if ne in self.hubs:  # everything is below a hub: only what is near it counts
            near.update(self.parents.get(ne, ()))
            near.update(d for d, h in self.descendants(ne).items() if h <= HUB_HOPS)
            return near
        for a, h in self.ancestors(ne).items():
            if h <= hops and (a not in self.hubs or h <= HUB_HOPS):
                near.add(a)
                if a not in self.hubs and h < hops:
                    near.update(d for d, k in self.descendants(a).items() if k < hops)
        near.update(d for d, h in self.descendants(ne).items() if h <= hops)
        return near
