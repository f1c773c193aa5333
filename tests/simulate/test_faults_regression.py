"""The planted faults of a fixed small network and seed do not change by accident.

The digests were taken with the simulator's own topology class before it moved to
:mod:`telcolens.topology`; the shared one must plant exactly the same faults and alarms.
A deliberate change to the fault simulation changes them: print the new values with
``_digest`` and say why in the commit.
"""

from __future__ import annotations

import hashlib

import numpy as np
import pandas as pd
import pyarrow as pa

from telcolens.simulate import faults

FAULTS_DIGEST = "1cb66550b917a60ea7338025e3e99c50c933ad1a6127833bce0f45f3b07f3d0e"
ALARMS_DIGEST = "c3edaf4906545fa5b7cf428ac431cfeecfac81c66e30db22d0a2d10afcb87189"
START_US = 1_793_548_800_000_000  # 2026-11-02 00:00 UTC


def _network() -> tuple[pa.Table, pa.Table]:
    """Four meshed core routers, two aggregation switches each, two counties under each
    (access switch, power unit, two OLTs, three radio sites); every kind of fault fits."""
    ne: list[tuple[str, str]] = []
    links: list[tuple[str, str, str]] = []
    cores = [f"CR-{i}" for i in range(4)]
    for i, core in enumerate(cores):
        ne.append((core, "core_router"))
        links += [(core, other, "fibre") for other in cores[i + 1 :]]
        for g in range(2):
            agg = f"AGG-{i}{g}"
            ne.append((agg, "aggregation_switch"))
            links.append((core, agg, "fibre"))
            for c in range(2):
                county = f"{i}{g}{c}"
                acc, pwr = f"ACC-{county}", f"PWR-{county}"
                ne += [(acc, "access_switch"), (pwr, "power_unit")]
                links += [(agg, acc, "fibre"), (pwr, acc, "power")]
                for o in range(2):
                    ne.append((f"OLT-{county}{o}", "olt"))
                    links += [
                        (acc, f"OLT-{county}{o}", "fibre"),
                        (pwr, f"OLT-{county}{o}", "power"),
                    ]
                for s in range(3):
                    site = ("GNB-" if s == 0 else "ENB-") + f"{county}{s}"
                    ne.append((site, "gnodeb" if s == 0 else "enodeb"))
                    links.append((acc, site, "microwave" if s == 2 else "fibre"))
    a, b, kind = zip(*links, strict=True)
    elements = pa.table({"ne_id": [n for n, _ in ne], "ne_type": [t for _, t in ne]})
    return elements, pa.table({"a_ne_id": a, "b_ne_id": b, "link_type": kind})


def _digest(frame: pd.DataFrame) -> str:
    rows = frame.sort_values(list(frame.columns), ignore_index=True)
    return hashlib.sha256(rows.to_csv(index=False).encode()).hexdigest()


def _planted() -> faults.PlantedFaults:
    elements, links = _network()
    return faults.plant(elements, links, START_US, 2, np.random.default_rng(8))


def test_the_planted_faults_and_alarms_stay_the_same():
    planted = _planted()
    found, alarms = planted.faults.to_pandas(), planted.alarms
    # The digests cover every kind, including a power unit whose battery ran out.
    assert set(found["kind"]) == set(faults.KINDS)
    power = found.loc[found["kind"] == "power_loss", "fault_id"]
    assert alarms[alarms["fault_id"].isin(power)]["alarm_type"].isin(["CELL_DOWN"]).any()
    assert _digest(found) == FAULTS_DIGEST
    assert _digest(alarms) == ALARMS_DIGEST
