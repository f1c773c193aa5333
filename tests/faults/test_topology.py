"""The correlator's topology: hubs lose their uplink, and which devices' alarms relate."""

from __future__ import annotations

import pandas as pd

from telcolens.faults._topology import CorrelationTopology
from telcolens.topology import Topology


def _links() -> pd.DataFrame:
    """Two meshed cores over six switches each, three sites per switch, and a power unit
    feeding sw0: 51 devices, so a hub has more than 5 below it and a switch has 3."""
    rows = [("core1", "core2", "fibre"), ("pwr", "sw0", "power")]
    for s in range(12):
        rows.append(("core1" if s < 6 else "core2", f"sw{s}", "fibre"))
        rows += [(f"sw{s}", f"site{s}{k}", "fibre") for k in range(3)]
    return pd.DataFrame(rows, columns=["a_ne_id", "b_ne_id", "link_type"])


def test_hubs_have_more_than_a_tenth_of_the_network_below_and_no_uplink():
    topo = CorrelationTopology(_links())
    assert topo.n_devices == 51
    assert topo.below_count("core2") == 24 and topo.below_count("sw0") == 3
    assert topo.hubs == {"core1", "core2"}
    assert Topology(_links()).uplink["core2"] == "core1"  # a link between peers...
    assert "core2" not in topo.uplink  # ...is not a way up
    assert topo.uplink["sw6"] == "core2" and topo.uplink["sw0"] == "core1"


def test_near_ancestors_leave_out_hubs():
    topo = CorrelationTopology(_links())
    assert topo.near_ancestors("site00", 3) == {"site00", "sw0", "pwr"}
    assert topo.near_ancestors("site00", 1) == {"site00", "sw0"}


def test_a_device_relates_to_its_neighbours_and_siblings_but_not_through_a_far_hub():
    topo = CorrelationTopology(_links())
    siblings = {"site00", "site01", "site02"}
    # core1 is two hops up, a hub: only within one hop does it count.
    assert topo.related("site00", 3) == {"sw0", "pwr", *siblings}
    assert topo.related("site00", 1) == {"site00", "sw0"}  # pwr is two hops up
    assert topo.related("sw0", 3) == {"sw0", "core1", "pwr", *siblings}


def test_a_hub_relates_only_to_what_is_one_hop_away():
    topo = CorrelationTopology(_links())
    assert topo.related("core1", 3) == {"core1", "core2", *(f"sw{s}" for s in range(6))}
    assert topo.related("core2", 3) == {"core2", "core1", *(f"sw{s}" for s in range(6, 12))}


def test_answers_are_cached_per_topology():
    topo = CorrelationTopology(_links())
    assert topo.related("sw0", 3) is topo.related("sw0", 3)
    assert topo.near_ancestors("sw0", 3) is topo.near_ancestors("sw0", 3)
