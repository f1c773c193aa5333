"""The shared device topology: edges both ways, uplinks, types, hop distances."""

from __future__ import annotations

import pandas as pd

from telcolens.topology import Topology

# core -> agg -> acc -> {olt, enb}, a power unit feeding acc and olt, and a second
# path core -> agg2 -> olt, so the olt is two hops from agg2's side and three from agg's.
LINKS = pd.DataFrame(
    [
        ("core", "agg", "fibre"),
        ("agg", "acc", "fibre"),
        ("acc", "olt", "fibre"),
        ("acc", "enb", "microwave"),
        ("pwr", "acc", "power"),
        ("pwr", "olt", "power"),
        ("core", "agg2", "fibre"),
        ("agg2", "olt", "fibre"),
    ],
    columns=["a_ne_id", "b_ne_id", "link_type"],
)
ELEMENTS = pd.DataFrame(
    {
        "ne_id": ["core", "agg", "agg2", "acc", "pwr", "olt", "enb"],
        "ne_type": [
            "core_router",
            "aggregation_switch",
            "aggregation_switch",
            "access_switch",
            "power_unit",
            "olt",
            "enodeb",
        ],
    }
)


def test_descendants_are_breadth_first_with_their_fewest_hops():
    topo = Topology(LINKS)
    assert list(topo.descendants("core").items()) == [
        ("agg", 1),
        ("agg2", 1),
        ("acc", 2),
        ("olt", 2),  # through agg2, not three hops through agg and acc
        ("enb", 3),
    ]
    assert topo.descendants("pwr") == {"acc": 1, "olt": 1, "enb": 2}
    assert topo.descendants("enb") == {}
    assert topo.descendants("nowhere") == {}


def test_ancestors_count_power_links_and_never_include_the_device():
    topo = Topology(LINKS)
    assert topo.ancestors("olt") == {"acc": 1, "pwr": 1, "agg2": 1, "agg": 2, "core": 2}
    assert topo.ancestors("core") == {}


def test_a_cycle_does_not_reach_the_start_or_loop():
    ring = pd.DataFrame(
        [("a", "b", "fibre"), ("b", "c", "fibre"), ("c", "a", "fibre")],
        columns=["a_ne_id", "b_ne_id", "link_type"],
    )
    assert Topology(ring).descendants("a") == {"b": 1, "c": 2}


def test_the_uplink_is_the_first_link_in_that_is_not_power():
    topo = Topology(LINKS)
    assert topo.uplink["acc"] == "agg"  # pwr -> acc is a power link
    assert topo.uplink["olt"] == "acc"  # the first of acc and agg2; pwr does not count
    assert topo.uplink["enb"] == "acc"  # microwave is a way up too
    assert "core" not in topo.uplink and "pwr" not in topo.uplink


def test_children_parents_and_links_keep_the_table_order():
    topo = Topology(LINKS)
    assert topo.children["acc"] == ["olt", "enb"]
    assert topo.children["pwr"] == ["acc", "olt"]
    assert topo.parents["olt"] == ["acc", "pwr", "agg2"]
    assert topo.links[4] == ("pwr", "acc", "power")


def test_elements_give_types_in_their_table_order():
    topo = Topology(LINKS, ELEMENTS)
    assert topo.of_type("aggregation_switch", "access_switch") == ["agg", "agg2", "acc"]
    assert topo.ne_type["pwr"] == "power_unit"
    assert Topology(LINKS).of_type("olt") == []  # no elements, no types


def test_traversals_are_cached_per_topology():
    topo = Topology(LINKS)
    assert topo.descendants("agg") is topo.descendants("agg")
    assert Topology(LINKS).descendants("agg") is not topo.descendants("agg")
