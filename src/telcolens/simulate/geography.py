"""Shandong's 16 prefecture-level cities, their counties and the radio cells covering them."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# (name, admin code, lat, lon, 2020-census population in millions). 3712 is unused:
# Laiwu merged into Jinan in 2019.
CITIES: tuple[tuple[str, int, float, float, float], ...] = (
    ("Jinan", 3701, 36.65, 117.12, 9.20),
    ("Qingdao", 3702, 36.07, 120.38, 10.07),
    ("Zibo", 3703, 36.81, 118.05, 4.70),
    ("Zaozhuang", 3704, 34.81, 117.32, 3.86),
    ("Dongying", 3705, 37.43, 118.67, 2.19),
    ("Yantai", 3706, 37.46, 121.45, 7.10),
    ("Weifang", 3707, 36.71, 119.16, 9.39),
    ("Jining", 3708, 35.41, 116.59, 8.36),
    ("Tai'an", 3709, 36.20, 117.09, 5.47),
    ("Weihai", 3710, 37.51, 122.12, 2.91),
    ("Rizhao", 3711, 35.42, 119.53, 2.97),
    ("Linyi", 3713, 35.10, 118.36, 11.02),
    ("Dezhou", 3714, 37.45, 116.36, 5.61),
    ("Liaocheng", 3715, 36.46, 115.99, 5.95),
    ("Binzhou", 3716, 37.38, 117.97, 3.93),
    ("Heze", 3717, 35.23, 115.48, 8.80),
)
CITY_NAMES = tuple(c[0] for c in CITIES)
SUBSCRIBERS_PER_CELL = 100
MIN_CELLS_PER_COUNTY = 3
SECTORS_PER_SITE = 3


@dataclass(frozen=True)
class Geography:
    """Counties and cells as parallel arrays; cells are sorted by county.

    Cells of county ``c`` are ``cell_start[c] : cell_start[c] + cell_count[c]``; as
    counties are sorted by city, a city's cells are contiguous too.
    """

    city_pop: np.ndarray  # population share per city
    county_code: np.ndarray  # str, e.g. "370102"
    county_city: np.ndarray  # city index per county
    county_lat: np.ndarray
    county_lon: np.ndarray
    county_weight: np.ndarray  # share of its city's population
    cell_id: np.ndarray  # int64 ECI (4G) / NCI (5G)
    cell_site: np.ndarray  # int64 eNodeB / gNodeB id
    cell_lat: np.ndarray
    cell_lon: np.ndarray
    cell_county: np.ndarray
    cell_rat: np.ndarray  # 0 = 4G, 1 = 5G
    cell_start: np.ndarray  # per county
    cell_count: np.ndarray  # per county
    city_cell_start: np.ndarray
    city_cell_count: np.ndarray

    @property
    def n_cells(self) -> int:
        return len(self.cell_id)

    def random_cell_in_county(self, county: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        """One uniformly chosen cell index in each given county."""
        u = rng.random(len(county))
        return self.cell_start[county] + (u * self.cell_count[county]).astype(np.int64)

    def random_cell_in_city(self, city: np.ndarray, rng: np.random.Generator) -> np.ndarray:
        u = rng.random(len(city))
        return self.city_cell_start[city] + (u * self.city_cell_count[city]).astype(np.int64)


def build_geography(rng: np.random.Generator, subscribers: int) -> Geography:
    """Counties around each city centre, and cells scattered around county seats."""
    pops = np.array([c[4] for c in CITIES])
    # Bigger cities have more county-level divisions (real ones have 5 to 12).
    n_counties = np.clip(np.round(pops / 1.1).astype(int) + 2, 4, 12)
    county_city = np.repeat(np.arange(len(CITIES)), n_counties)
    nn = np.concatenate([np.arange(1, k + 1) for k in n_counties])
    codes = np.array([f"{CITIES[c][1]}{n:02d}" for c, n in zip(county_city, nn, strict=True)])
    urban = nn <= 3  # the first districts are the city proper
    radius = np.where(urban, 0.06, 0.45)
    angle = rng.uniform(0, 2 * np.pi, len(codes))
    dist = radius * np.sqrt(rng.uniform(0.2, 1, len(codes)))
    lat = np.array([CITIES[c][2] for c in county_city]) + dist * np.sin(angle)
    lon = np.array([CITIES[c][3] for c in county_city]) + dist * np.cos(angle)
    # Urban districts are denser: give them twice a rural county's share.
    w = np.where(urban, 2.0, 1.0) * rng.uniform(0.7, 1.3, len(codes))
    weight = w / np.bincount(county_city, weights=w)[county_city]
    city_share = pops / pops.sum()
    cells_per_county = np.maximum(
        MIN_CELLS_PER_COUNTY,
        np.ceil(subscribers / SUBSCRIBERS_PER_CELL * city_share[county_city] * weight),
    ).astype(np.int64)
    cells = _cells(rng, cells_per_county, lat, lon, urban)
    start = np.concatenate([[0], np.cumsum(cells_per_county)[:-1]])
    city_count = np.bincount(county_city, weights=cells_per_county).astype(np.int64)
    city_start = np.concatenate([[0], np.cumsum(city_count)[:-1]])
    return Geography(
        city_pop=city_share,
        county_code=codes,
        county_city=county_city,
        county_lat=lat,
        county_lon=lon,
        county_weight=weight,
        cell_start=start,
        cell_count=cells_per_county,
        city_cell_start=city_start,
        city_cell_count=city_count,
        **cells,
    )


def _cells(rng, per_county, lat, lon, urban) -> dict[str, np.ndarray]:
    county = np.repeat(np.arange(len(per_county)), per_county)
    n = len(county)
    # Cells come in sites of three sectors sharing one position and technology.
    site_of = np.arange(n) // SECTORS_PER_SITE
    sector = np.arange(n) % SECTORS_PER_SITE + 1
    n_sites = site_of[-1] + 1
    is_5g = (rng.random(n_sites) < 0.35)[site_of]
    spread = np.where(urban, 0.03, 0.12)[county]
    jitter_lat = rng.normal(0, 1, n_sites)[site_of] * spread
    jitter_lon = rng.normal(0, 1, n_sites)[site_of] * spread
    # Disjoint id ranges: a 4G eNodeB id never equals a 5G gNodeB id times 16.
    site = np.where(is_5g, 1_000_000 + site_of, 100_000 + site_of).astype(np.int64)
    cell_id = np.where(is_5g, site * 4096 + sector, site * 256 + sector)
    return {
        "cell_id": cell_id,
        "cell_site": site,
        "cell_county": county,
        "cell_lat": np.round(lat[county] + jitter_lat, 6),
        "cell_lon": np.round(lon[county] + jitter_lon, 6),
        "cell_rat": is_5g.astype(np.int8),
    }
