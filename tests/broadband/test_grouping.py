"""Shared causes: one ticket for the lines of a splitter, PON port or OLT that degrade
together, none for scattered lines, on each engine."""

from __future__ import annotations

import datetime as dt

import pandas as pd

from telcolens import engine as engines
from telcolens.broadband import grouping
from telcolens.broadband.diagnose import SIDES, diagnose_line_days
from tests.broadband.test_diagnose import CASES, DAY, crafted

LOW_RX = CASES["dirty connector"][1]
DARK = CASES["dark ONT, second day"][1]
# The evening slower than the same day's off-peak hours: a congested port or uplink.
CONGESTED = {
    "wan_dl_peak_mbps": 60.0,
    "dl_peak_mbps": 60.0,
    "latency_peak_ms": 30.0,
    "latency_offpeak_ms": 7.0,
    "score": 60.0,
}


def on(element: str, line: int, changes: dict, day: dt.date = DAY) -> dict:
    """A line-day under ``element`` (``OLT/frame/slot/port/Sn``): its splitter, port, OLT."""
    olt, frame, slot, port, splitter = element.split("/")
    port_id = f"{olt}/{frame}/{slot}/{port}"
    return {
        **changes,
        "line_id": line,
        "day": day,
        "olt_id": olt,
        "port_id": port_id,
        "splitter_id": f"{port_id}/{splitter}",
    }


def diagnosed(engine: str, rows: list[dict]) -> tuple[pd.DataFrame, pd.DataFrame]:
    con = engines.connect(engine)
    t = diagnose_line_days(crafted(rows))
    lines = con.execute(t).sort_values(["line_id", "day"]).reset_index(drop=True)
    tickets = con.execute(grouping.tickets(t, SIDES)).sort_values("element")
    return lines, tickets.reset_index(drop=True)


def test_a_splitters_lines_dimming_together_make_one_ticket(engine: str) -> None:
    rows = [on("OLT-A/0/1/0/S1", i, LOW_RX) for i in range(1, 9)]
    rows += [on("OLT-A/0/1/0/S1", 9, {}), on("OLT-A/0/1/0/S1", 10, {})]  # two still fine
    rows += [on("OLT-A/0/1/1/S1", 11, {})]  # another port of the OLT: healthy
    lines, tickets = diagnosed(engine, rows)
    assert len(tickets) == 1
    ticket = tickets.iloc[0]
    assert (ticket.element, ticket.level, ticket.scenario) == (
        "OLT-A/0/1/0/S1",
        "splitter",
        "optical_splitter",
    )
    assert (ticket.side, ticket.action) == ("street", "field_visit")
    assert list(ticket["lines"]) == list(range(1, 9))
    assert (ticket.n_lines, ticket.poor_lines, ticket.element_lines) == (8, 8, 10)
    poor = lines[lines.poor]
    assert set(poor.line_id) == set(range(1, 9))
    # No line of the ticket has a ticket of its own for the same cause.
    assert (poor.scenario == "optical_splitter").all()
    assert (poor.ticket_element == "OLT-A/0/1/0/S1").all()


def test_every_splitter_of_a_port_dimming_is_the_port(engine: str) -> None:
    rows = [on("OLT-A/0/1/0/S1", i, LOW_RX) for i in range(1, 5)]
    rows += [on("OLT-A/0/1/0/S2", i, LOW_RX) for i in range(5, 9)]
    _, tickets = diagnosed(engine, rows)
    assert tickets[["element", "level", "scenario"]].values.tolist() == [
        ["OLT-A/0/1/0", "pon_port", "optical_port"]
    ]


def test_a_port_with_a_splitter_wholly_dark_and_the_others_dimmed_is_the_port(engine) -> None:
    # A cut or bent trunk: the far splitter's ONTs lose the light, the near one's dim.
    dark_today = {**DARK, "window_dark_days": 1}
    rows = [on("OLT-A/0/1/0/S1", i, LOW_RX) for i in range(1, 5)]
    rows += [on("OLT-A/0/1/0/S2", i, dark_today) for i in range(5, 9)]
    _, tickets = diagnosed(engine, rows)
    assert tickets[["element", "level", "scenario"]].values.tolist() == [
        ["OLT-A/0/1/0", "pon_port", "optical_port"]
    ]


def test_scattered_lines_get_a_visit_each_and_no_shared_ticket(engine: str) -> None:
    rows = [on(f"OLT-{k}/0/1/0/S1", k, LOW_RX) for k in range(1, 4)]
    rows += [on(f"OLT-{k}/0/1/0/S1", 10 + k, {}) for k in range(1, 4)]  # their neighbours
    lines, tickets = diagnosed(engine, rows)
    assert tickets.empty
    poor = lines[lines.poor]
    assert poor.line_id.tolist() == [1, 2, 3]
    assert (poor.scenario == "optical_line").all() and poor.ticket_element.isna().all()
    assert (poor.action == "field_visit").all()


def test_a_splitter_gone_dark_is_one_ticket(engine: str) -> None:
    dark_today = {**DARK, "window_dark_days": 1}  # first dark day: no history of its own
    rows = [on("OLT-A/0/1/0/S1", i, dark_today) for i in range(1, 6)]
    lines, tickets = diagnosed(engine, rows)
    assert tickets.scenario.tolist() == ["optical_splitter"]
    assert lines.poor.all()


def test_one_dark_line_with_no_history_is_not_diagnosed(engine: str) -> None:
    # A day of reports lost (the ACS) looks the same: no verdict without a second sign.
    rows = [on("OLT-A/0/1/0/S1", 1, {**DARK, "window_dark_days": 1})]
    rows += [on("OLT-A/0/1/0/S1", i, {}) for i in range(2, 6)]
    lines, tickets = diagnosed(engine, rows)
    assert tickets.empty and not lines.poor.any()


def test_a_congested_port_and_a_congested_olt(engine: str) -> None:
    # OLT-P: one of its three ports congested. OLT-U: both of its ports (its uplink).
    rows = [on("OLT-P/0/1/0/S1", i, CONGESTED) for i in range(1, 5)]
    rows += [on("OLT-P/0/1/1/S1", i, {}) for i in range(5, 9)]
    rows += [on("OLT-P/0/1/2/S1", i, {}) for i in range(9, 13)]
    rows += [on("OLT-U/0/1/0/S1", i, CONGESTED) for i in range(21, 24)]
    rows += [on("OLT-U/0/1/1/S1", i, CONGESTED) for i in range(24, 27)]
    lines, tickets = diagnosed(engine, rows)
    got = tickets[["element", "level", "scenario", "action"]].values.tolist()
    assert got == [
        ["OLT-P/0/1/0", "pon_port", "port_congestion", "network_ticket"],
        ["OLT-U", "olt", "olt_congestion", "network_ticket"],
    ]
    assert list(tickets["lines"].iloc[1]) == list(range(21, 27))
    assert set(lines[lines.poor].line_id) == {1, 2, 3, 4, *range(21, 27)}


def test_a_port_dimming_under_every_splitter_is_the_port_also_in_the_window(engine) -> None:
    # A trunk fault dims every line of the port by the same decibels: S1's lines fall below
    # sensitivity, S2's (nearer) stay in the window but read 6 dB below their best day.
    dimmed = {"optical_rx_mean_dbm": -24.5, "optical_rx_min_dbm": -25.0}
    rows = [on("OLT-A/0/1/0/S1", i, LOW_RX) for i in range(1, 5)]
    rows += [on("OLT-A/0/1/0/S2", i, {**dimmed, "window_rx_best_dbm": -18.5}) for i in (5, 6, 7)]
    _, tickets = diagnosed(engine, rows)
    assert tickets[["element", "level", "scenario"]].values.tolist() == [
        ["OLT-A/0/1/0", "pon_port", "optical_port"]
    ]
    # The same power on S2 as its usual level is no dimming: S1 alone, a splitter's fault.
    usual = {**dimmed, "window_rx_best_dbm": -24.3}
    rows = rows[:4] + [on("OLT-A/0/1/0/S2", i, usual) for i in (5, 6, 7)]
    _, tickets = diagnosed(engine, rows)
    assert tickets[["element", "level"]].values.tolist() == [["OLT-A/0/1/0/S1", "splitter"]]


def test_fast_lines_slower_in_the_evening_without_queueing_are_no_congestion(engine) -> None:
    # OLT-P's port 0/1/0 is congested (its evening queues); on 0/1/1 the fast lines' evening
    # test is TCP-bound at half the off-peak one with no queueing delay: neither a ticket
    # of its own nor the OLT's uplink.
    tcp_bound = {"wan_dl_peak_mbps": 150.0, "dl_peak_mbps": 150.0, "latency_peak_ms": 8.5}
    rows = [on("OLT-P/0/1/0/S1", i, CONGESTED) for i in range(1, 5)]
    rows += [on("OLT-P/0/1/1/S1", i, tcp_bound) for i in range(5, 9)]
    _, tickets = diagnosed(engine, rows)
    assert tickets[["element", "level", "scenario"]].values.tolist() == [
        ["OLT-P/0/1/0", "pon_port", "port_congestion"]
    ]


def test_a_fault_keeps_its_ticket_on_the_days_few_lines_show_it(engine: str) -> None:
    # Day 1: the splitter's lines dim together; day 2 (its repair, at dawn) only one
    # still shows it: the same ticket, not a visit of its own.
    day2 = DAY + dt.timedelta(days=1)
    rows = [on("OLT-A/0/1/0/S1", i, LOW_RX) for i in range(1, 7)]
    rows += [on("OLT-A/0/1/0/S1", 1, LOW_RX, day2)]
    rows += [on("OLT-A/0/1/0/S1", i, {}, day2) for i in range(2, 7)]
    lines, tickets = diagnosed(engine, rows)
    assert len(tickets) == 1
    span = (tickets.first_day.iloc[0], tickets.last_day.iloc[0])
    assert tuple(pd.Timestamp(d).date() for d in span) == (DAY, day2)
    second = lines[(lines.line_id == 1) & (pd.to_datetime(lines.day).dt.date == day2)].iloc[0]
    assert second.ticket_element == "OLT-A/0/1/0/S1"


def test_a_home_cause_under_a_shared_fault_stays_the_homes(engine: str) -> None:
    # Wi-Fi that caps the speed comes before the port's congestion, and is not ticketed.
    wifi = {**CONGESTED, **CASES["weak Wi-Fi in far rooms"][1]}
    rows = [on("OLT-A/0/1/0/S1", i, CONGESTED) for i in range(1, 5)]
    rows += [on("OLT-A/0/1/0/S1", 5, wifi)]
    lines, tickets = diagnosed(engine, rows)
    assert len(tickets) == 1 and 5 not in list(tickets["lines"].iloc[0])
    five = lines[lines.line_id == 5].iloc[0]
    assert (five.scenario, five.side, five.action) == (
        "wifi_coverage",
        "home",
        "remote_channel_change",
    )
    assert five.ticket_element is None or pd.isna(five.ticket_element)
