"""The contact graph: who calls whom. Mostly inside social circles, mostly in one city.

On-net ties are symmetric (a friend who is called also calls back); ties to
other networks' numbers are kept apart, as only one leg of those calls is ours.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcolens.simulate.geography import Geography
from telcolens.simulate.population import (
    CALL_CENTRE,
    FRAUD,
    HEAVY_FAMILY,
    SALES,
    Population,
    group_into,
)

# Where an on-net tie goes: same circle, same county, same city, anywhere in the province.
TIE_SCOPE = np.array([0.62, 0.18, 0.13, 0.07])
OFFNET_TIE_SHARE = 0.3


@dataclass(frozen=True)
class Contacts:
    """Two CSR adjacency lists: on-net contacts (subscriber indices) and off-net ones."""

    on_start: np.ndarray
    on: np.ndarray
    off_start: np.ndarray
    off: np.ndarray  # number indices (>= n)

    def degree(self) -> np.ndarray:
        return np.diff(self.on_start)

    def pick(self, who: np.ndarray, rng: np.random.Generator, offnet: bool = False) -> np.ndarray:
        """A contact of each ``who``, favourites first; -1 where ``who`` has none."""
        start, lists = (self.off_start, self.off) if offnet else (self.on_start, self.on)
        deg = start[who + 1] - start[who]
        # u**2 skews toward the head of the list: a few contacts get most calls.
        k = (rng.random(len(who)) ** 2 * deg).astype(np.int64)
        found = deg > 0
        out = np.full(len(who), -1, np.int64)
        out[found] = lists[start[who[found]] + k[found]]
        return out


def build_contacts(pop: Population, geo: Geography, rng: np.random.Generator) -> Contacts:
    """Circles of 40-120 neighbours (subscribers are sorted by county), plus wider ties."""
    n = pop.n
    circle = group_into(np.arange(n), rng, 40, 120)
    c_start = np.searchsorted(circle, np.arange(circle[-1] + 1))
    c_size = np.bincount(circle)
    degree = np.clip(rng.lognormal(np.log(10), 0.5, n), 2, 60)
    degree = np.where(
        np.isin(pop.persona, (FRAUD, CALL_CENTRE, SALES)), rng.integers(0, 3, n), degree
    )
    degree = np.where(pop.persona == HEAVY_FAMILY, rng.integers(2, 5, n), degree)
    on_deg = np.round(degree * (1 - OFFNET_TIE_SHARE) / 2).astype(np.int64)  # mirrored below
    src = np.repeat(np.arange(n), on_deg)
    scope = rng.choice(4, len(src), p=TIE_SCOPE)
    u = rng.random(len(src))
    dst = c_start[circle[src]] + (u * c_size[circle[src]]).astype(np.int64)
    county_pick = geo.cell_county[geo.random_cell_in_county(pop.county[src], rng)]
    dst = np.where(scope == 1, _random_sub_in(pop.county, county_pick, rng), dst)
    city_county = geo.cell_county[geo.random_cell_in_city(pop.city[src], rng)]
    dst = np.where(scope == 2, _random_sub_in(pop.county, city_county, rng), dst)
    dst = np.where(scope == 3, rng.integers(0, n, len(src)), dst)
    dst = np.where(dst == src, (dst + 1) % n, dst)
    a, b = np.concatenate([src, dst]), np.concatenate([dst, src])
    order = np.argsort(a, kind="stable")
    off_deg = np.round(degree * OFFNET_TIE_SHARE).astype(np.int64)
    off = n + rng.integers(0, pop.n_offnet, off_deg.sum())
    return Contacts(
        on_start=_starts(np.bincount(a, minlength=n)),
        on=b[order].astype(np.int64),
        off_start=_starts(off_deg),
        off=off.astype(np.int64),
    )


def _random_sub_in(
    sub_county: np.ndarray, county: np.ndarray, rng: np.random.Generator
) -> np.ndarray:
    """A random subscriber of each given county (subscribers are sorted by county)."""
    first = np.searchsorted(sub_county, county, "left")
    last = np.searchsorted(sub_county, county, "right")
    size = np.maximum(last - first, 1)
    return np.minimum(
        first + (rng.random(len(county)) * size).astype(np.int64), len(sub_county) - 1
    )


def _starts(counts: np.ndarray) -> np.ndarray:
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
