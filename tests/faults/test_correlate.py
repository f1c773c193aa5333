"""Correlation on hand-built topologies: cuts, dead devices, power, overlaps, background."""

from __future__ import annotations

import pandas as pd

from telcolens.faults.correlate import IncidentCorrelator, correlate_alarms
from tests.faults.test_dedup import alarms

AGGS = 12  # few enough devices under each that none counts as a hub


def topology() -> pd.DataFrame:
    """One core, 12 aggregation switches, each with 2 counties: an access switch, its
    power unit, an OLT and two radio sites."""
    links = []
    for g in range(AGGS):
        agg = f"AGG-{g}"
        links.append(("CR-1", agg, "fibre"))
        for c in range(2):
            county = f"{g}{c}"
            acc, pwr = f"ACC-{county}", f"PWR-{county}"
            links += [
                (agg, acc, "fibre"),
                (pwr, acc, "power"),
                (acc, f"OLT-{county}", "fibre"),
                (pwr, f"OLT-{county}", "power"),
                (acc, f"ENB-{county}a", "fibre"),
                (acc, f"GNB-{county}b", "microwave"),
            ]
    return pd.DataFrame(links, columns=["a_ne_id", "b_ne_id", "link_type"])


def lost_uplink(county: str, at: float) -> list[tuple]:
    """What the devices below an access switch report when it drops, seconds after ``at``."""
    return [
        (f"OLT-{county}", "LOS", at + 14, at + 3000, "critical"),
        (f"OLT-{county}", "PON_PORT_DOWN", at + 15, at + 3000, "major"),
        (f"ENB-{county}a", "S1_LINK_FAILURE", at + 40, at + 3100, "major"),
        (f"ENB-{county}a", "CELL_DOWN", at + 41, None, "critical"),
        (f"ENB-{county}a", "CELL_DOWN", at + 43, None, "critical"),
        (f"GNB-{county}b", "NG_LINK_FAILURE", at + 95, at + 3000, "major"),
    ]


def run(rows, **params):
    return IncidentCorrelator(**params).fit(topology()).correlate(alarms(rows))


def roots(result) -> list[str]:
    return sorted(result.incidents["root_ne_id"])


def test_a_fibre_cut_under_an_aggregation_switch_is_one_incident_rooted_there():
    rows = [
        ("AGG-1", "LINK_DOWN", 0, 3000, "critical"),
        ("ACC-10", "LINK_DOWN", 3, 3000, "critical"),
        ("ACC-10", "PORT_FLAP", 8, 60, "minor"),
        *lost_uplink("10", 0),
    ]
    result = run(rows)
    assert len(result.incidents) == 1
    incident = result.incidents.iloc[0]
    assert (incident["root_ne_id"], incident["root_alarm_type"]) == ("AGG-1", "LINK_DOWN")
    assert incident["alarm_count"] == len(rows) and incident["device_count"] == 5
    assert set(result.alarm_incidents["incident_id"]) == {incident["incident_id"]}


def test_a_cut_whose_upstream_end_stays_silent_is_still_placed_on_the_link_above():
    rows = [("ACC-10", "LINK_DOWN", 2, 3000, "critical"), *lost_uplink("10", 0)]
    assert roots(run(rows)) == ["AGG-1"]


def test_a_dead_device_that_cannot_report_is_found_from_its_children():
    rows = lost_uplink("21", 0)
    assert roots(run(rows)) == ["ACC-21"]
    # Its upstream neighbour seeing the port go down does not move the root up.
    with_port = [("AGG-2", "LINK_DOWN", 1, 3000, "critical"), *rows]
    result = run(with_port)
    assert roots(result) == ["ACC-21"] and pd.isna(result.incidents["root_alarm_type"].iloc[0])


def test_a_dead_aggregation_switch_takes_the_core_port_alarm_into_its_incident():
    rows = [
        ("CR-1", "LINK_DOWN", 2, 3000, "critical"),  # the core's port facing AGG-3
        ("ACC-30", "LINK_DOWN", 6, 3000, "critical"),
        ("ACC-31", "LINK_DOWN", 9, 3000, "critical"),
        *lost_uplink("30", 0),
        *lost_uplink("31", 1),
    ]
    result = run(rows)
    assert roots(result) == ["AGG-3"] and result.incidents["alarm_count"].iloc[0] == len(rows)


def test_two_simultaneous_unrelated_faults_are_two_incidents():
    rows = [
        ("AGG-1", "LINK_DOWN", 0, 3000, "critical"),
        ("ACC-10", "LINK_DOWN", 3, 3000, "critical"),
        *lost_uplink("10", 0),
        *lost_uplink("31", 5),  # dead ACC-31, at the same time in another region
    ]
    result = run(rows)
    assert roots(result) == ["ACC-31", "AGG-1"]
    by_alarm = result.alarm_incidents.set_index("alarm_id")["incident_id"]
    assert by_alarm.nunique() == 2 and by_alarm["A-0"] != by_alarm[f"A-{len(rows) - 1}"]


def test_a_background_alarm_elsewhere_is_not_merged():
    rows = [*lost_uplink("21", 0), ("ENB-40a", "VSWR_HIGH", 30, 400, "minor")]
    result = run(rows)
    assert roots(result) == ["ACC-21", "ENB-40a"]
    assert result.incidents.set_index("root_ne_id").loc["ENB-40a", "alarm_count"] == 1


def test_a_power_loss_joins_the_flood_when_the_battery_runs_out_an_hour_later():
    rows = [
        ("PWR-00", "MAINS_FAILURE", 0, 9000, "critical"),
        ("PWR-00", "BATTERY_LOW", 3000, 9000, "major"),
        ("AGG-0", "LINK_DOWN", 3600, 9000, "critical"),
        ("ENB-00a", "S1_LINK_FAILURE", 3620, 9100, "major"),
        ("GNB-00b", "NG_LINK_FAILURE", 3650, 9100, "major"),
    ]
    result = run(rows)
    assert len(result.incidents) == 1
    assert result.incidents.iloc[0][["root_ne_id", "root_alarm_type"]].tolist() == [
        "PWR-00",
        "MAINS_FAILURE",
    ]


def test_a_known_cause_joins_a_late_effect_on_a_neighbour():
    # A sibling's alarm 20 minutes into an active HIGH_TEMPERATURE is outside every window
    # unless the cause graph says the one type causes the other.
    rows = [
        ("OLT-30", "HIGH_TEMPERATURE", 0, 5000, "minor"),
        ("ENB-30a", "VSWR_HIGH", 1200, 1500, "minor"),
    ]
    assert len(run(rows).incidents) == 2
    joined = run(rows, causes=frozenset({("HIGH_TEMPERATURE", "VSWR_HIGH")}))
    assert len(joined.incidents) == 1


def test_incident_fields_and_the_wrapper():
    rows = [("AGG-1", "LINK_DOWN", 0, 100, "critical"), *lost_uplink("10", 0)]
    result = correlate_alarms(alarms(rows), topology())
    incident = result.incidents.iloc[0]
    assert incident["opened_at"] == alarms(rows)["raised_at"].min()
    assert pd.isna(incident["cleared_at"])  # the CELL_DOWNs never cleared
    assert incident["severity"] == "critical"
    assert len(result.alarm_incidents) == len(rows)
