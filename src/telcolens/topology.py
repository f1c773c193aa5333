"""The device topology of the ``network_elements`` and ``links`` tables: who is below whom.

Links point from the upstream end ``a_ne_id`` to the downstream end ``b_ne_id``
(:data:`telcolens.schema.LINKS`). Power links count as edges, since a device loses
service when its power unit does, but are nobody's uplink. The simulator plants faults
on this graph and the fault correlator groups alarms on it, so both walk it the same way.
"""

from __future__ import annotations

from collections import defaultdict

import pandas as pd


class Topology:
    """Parents, children and uplinks of every linked device, with cached reachability.

    A device's :attr:`uplink` is the upstream end of its first link in that is not power.

    Parameters
    ----------
    links : the ``links`` table (a_ne_id, b_ne_id, link_type); its row order is kept in
        :attr:`links`, :attr:`children` and the order of every traversal.
    elements : the ``network_elements`` table (ne_id, ne_type), where types are needed.
    """

    def __init__(self, links: pd.DataFrame, elements: pd.DataFrame | None = None) -> None:
        self.links: list[tuple[str, str, str]] = list(
            zip(links["a_ne_id"], links["b_ne_id"], links["link_type"], strict=True)
        )
        parents: dict[str, list[str]] = defaultdict(list)
        children: dict[str, list[str]] = defaultdict(list)
        self.uplink: dict[str, str] = {}
        for a, b, kind in self.links:
            parents[b].append(a)
            children[a].append(b)
            if kind != "power":
                self.uplink.setdefault(b, a)
        self.parents, self.children = dict(parents), dict(children)
        self.ne_type: dict[str, str] = (
            {}
            if elements is None
            else dict(zip(elements["ne_id"], elements["ne_type"], strict=True))
        )
        self._up: dict[str, dict[str, int]] = {}
        self._down: dict[str, dict[str, int]] = {}

    def of_type(self, *types: str) -> list[str]:
        """The elements of any of ``types``, in the order of the elements table."""
        return [ne for ne, t in self.ne_type.items() if t in types]

    def ancestors(self, ne: str) -> dict[str, int]:
        """Every device upstream of ``ne`` (not itself) with its fewest hops."""
        if ne not in self._up:
            self._up[ne] = _reach(ne, self.parents)
        return self._up[ne]

    def descendants(self, ne: str) -> dict[str, int]:
        """Every device downstream of ``ne`` (not itself) with its fewest hops, in
        breadth-first order."""
        if ne not in self._down:
            self._down[ne] = _reach(ne, self.children)
        return self._down[ne]


def _reach(start: str, edges: dict[str, list[str]]) -> dict[str, int]:
    """Breadth-first from ``start``: each node reached, in order, with its depth."""
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
