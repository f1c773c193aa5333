"""Network elements, the links between them, and a low rate of background alarms.

Core routers in Jinan and Qingdao; two aggregation switches per city; per county
an access switch, a power unit and the OLTs; an eNodeB or gNodeB per radio site.
"""

from __future__ import annotations

import numpy as np
import pyarrow as pa

from telcolens.simulate.activity import US_PER_HOUR, Day
from telcolens.simulate.geography import CITIES, CITY_NAMES, Geography

VENDORS = np.array(["Huawei", "ZTE", "Nokia", "Ericsson", "FiberHome", "H3C"])
ALARM_TYPES = {
    "core_router": ["LINK_DOWN", "BGP_PEER_DOWN", "HIGH_CPU"],
    "aggregation_switch": ["LINK_DOWN", "HIGH_CPU", "FAN_FAILURE"],
    "access_switch": ["LINK_DOWN", "FAN_FAILURE", "PORT_FLAP"],
    "olt": ["LOS", "PON_PORT_DOWN", "HIGH_TEMPERATURE"],
    "enodeb": ["CELL_DOWN", "S1_LINK_FAILURE", "VSWR_HIGH"],
    "gnodeb": ["CELL_DOWN", "NG_LINK_FAILURE", "VSWR_HIGH"],
    "power_unit": ["MAINS_FAILURE", "BATTERY_LOW", "RECTIFIER_FAULT"],
}
SEVERITIES = np.array(["critical", "major", "minor", "warning"])
ALARMS_PER_ELEMENT_DAY = 0.03


def build(
    geo: Geography, olt_id: np.ndarray, olt_county: np.ndarray, rng: np.random.Generator
) -> tuple[pa.Table, pa.Table]:
    """The ``network_elements`` and ``links`` tables."""
    ne, links = [], []
    cores = ["CR-JN-01", "CR-JN-02", "CR-QD-01", "CR-QD-02"]
    for i, name in enumerate(cores):
        city = 0 if i < 2 else 1
        ne.append((name, "core_router", CITY_NAMES[city], None, CITIES[city][2], CITIES[city][3]))
        links += [(name, other, "fibre", 400.0) for other in cores[i + 1 :]]
    for c, (name, code, lat, lon, _) in enumerate(CITIES):
        for k in (1, 2):
            agg = f"AGG-{code}-{k:02d}"
            ne.append((agg, "aggregation_switch", name, None, lat + 0.01 * k, lon))
            links.append((cores[k - 1] if c % 2 == 0 else cores[k + 1], agg, "fibre", 100.0))
    for k, code in enumerate(geo.county_code):
        city = CITY_NAMES[geo.county_city[k]]
        lat, lon = geo.county_lat[k], geo.county_lon[k]
        acc, pwr = f"ACC-{code}", f"PWR-{code}"
        ne += [
            (acc, "access_switch", city, code, lat, lon),
            (pwr, "power_unit", city, code, lat, lon),
        ]
        links += [
            (f"AGG-{code[:4]}-{k % 2 + 1:02d}", acc, "fibre", 10.0),
            (pwr, acc, "power", None),
        ]
    for o, k in zip(olt_id.tolist(), olt_county.tolist(), strict=True):
        code = geo.county_code[k]
        ne.append(
            (o, "olt", CITY_NAMES[geo.county_city[k]], code, geo.county_lat[k], geo.county_lon[k])
        )
        links += [(f"ACC-{code}", o, "fibre", 10.0), (f"PWR-{code}", o, "power", None)]
    ne_t, link_t = _rows_to_tables(ne, links, rng)
    return pa.concat_tables([ne_t, _sites(geo, rng)]), pa.concat_tables(
        [link_t, _site_links(geo, rng)]
    )


def _rows_to_tables(ne, links, rng) -> tuple[pa.Table, pa.Table]:
    cols = list(zip(*ne, strict=True))
    ne_t = pa.table(
        {
            "ne_id": list(cols[0]),
            "ne_type": list(cols[1]),
            "city": list(cols[2]),
            "county": pa.array(list(cols[3]), pa.string()),
            "lat": np.round(np.array(cols[4], float), 6),
            "lon": np.round(np.array(cols[5], float), 6),
            "vendor": VENDORS[rng.integers(0, len(VENDORS), len(ne))],
        }
    )
    lc = list(zip(*links, strict=True))
    link_t = pa.table(
        {
            "link_id": [f"L-{i:06d}" for i in range(len(links))],
            "a_ne_id": list(lc[0]),
            "b_ne_id": list(lc[1]),
            "link_type": list(lc[2]),
            "capacity_gbps": pa.array(list(lc[3]), pa.float64()),
        }
    )
    return ne_t, link_t


def _site_ids(geo: Geography) -> tuple[np.ndarray, np.ndarray]:
    """One row per radio site: its first cell's index, and its element id."""
    first = np.flatnonzero(np.r_[True, geo.cell_site[1:] != geo.cell_site[:-1]])
    kind = np.where(geo.cell_rat[first] == 1, "GNB-", "ENB-")
    return first, np.char.add(kind, geo.cell_site[first].astype(str))


def _sites(geo: Geography, rng: np.random.Generator) -> pa.Table:
    first, ids = _site_ids(geo)
    county = geo.cell_county[first]
    return pa.table(
        {
            "ne_id": ids,
            "ne_type": np.where(geo.cell_rat[first] == 1, "gnodeb", "enodeb"),
            "city": np.array(CITY_NAMES)[geo.county_city[county]],
            "county": geo.county_code[county],
            "lat": geo.cell_lat[first],
            "lon": geo.cell_lon[first],
            "vendor": VENDORS[rng.integers(0, 4, len(first))],
        }
    )


def _site_links(geo: Geography, rng: np.random.Generator) -> pa.Table:
    first, ids = _site_ids(geo)
    acc = np.char.add("ACC-", geo.county_code[geo.cell_county[first]])
    micro = rng.random(len(first)) < 0.1  # rural sites on microwave backhaul
    return pa.table(
        {
            "link_id": np.char.add("L-S", np.arange(len(first)).astype(str)),
            "a_ne_id": acc,
            "b_ne_id": ids,
            "link_type": np.where(micro, "microwave", "fibre"),
            "capacity_gbps": np.where(micro, 1.0, 10.0),
        }
    )


def alarms(elements: pa.Table, day: Day) -> pa.Table:
    """Background alarms of one day: rare, short, mostly minor."""
    rng = day.rng
    ne_id = np.asarray(elements["ne_id"].to_numpy(zero_copy_only=False))
    ne_type = np.asarray(elements["ne_type"].to_numpy(zero_copy_only=False))
    who = np.repeat(np.arange(len(ne_id)), rng.poisson(ALARMS_PER_ELEMENT_DAY, len(ne_id)))
    m = len(who)
    kinds = np.array(
        [
            ALARM_TYPES[t][k]
            for t, k in zip(ne_type[who].tolist(), rng.integers(0, 3, m).tolist(), strict=True)
        ],
        dtype=str,
    )
    raised = day.start_us + (rng.random(m) * 24 * US_PER_HOUR).astype(np.int64)
    cleared = raised + (rng.lognormal(np.log(15 * 60), 1.0, m) * 1e6).astype(np.int64)
    return pa.table(
        {
            "alarm_id": np.char.add(f"A{day.index:03d}-", np.arange(m).astype(str)),
            "ne_id": ne_id[who],
            "alarm_type": kinds,
            "severity": SEVERITIES[rng.choice(4, m, p=[0.05, 0.2, 0.45, 0.3])],
            "raised_at": pa.array(raised, pa.timestamp("us")),
            "cleared_at": pa.array(cleared, pa.timestamp("us"), mask=rng.random(m) < 0.03),
            "text": np.char.add(np.char.add(kinds, " on "), ne_id[who].astype(str)),
            "source": np.full(m, "simulated"),
        }
    )
