"""From a diagnosis to the work-order frame: a line in a shared cause gets no order of its own."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd

from telcolens.broadband.queue import ORDER_COLUMNS, order_rows
from telcolens.broadband.workorders import diagnosis

DAY = dt.date(2026, 11, 20)


def _diagnoses() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "line_id": [11, 12, 13],
            "day": [DAY] * 3,
            "scenario": ["wifi_coverage", "optical_splitter", "optical_splitter"],
            "side": ["home", "street", "street"],
            "action": ["cpe_reboot", "field_visit", "field_visit"],
            "score": [14.0, 9.0, np.nan],
            "evidence": ['{"signs": ["signal -74 dBm"]}', "{}", "{}"],
            "ticket_element": [None, "OLT-1/0/1/1/S1", "OLT-1/0/1/1/S1"],
            "first_day": [DAY - dt.timedelta(days=2), DAY, DAY],
        }
    )


def _tickets() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "element": ["OLT-1/0/1/1/S1"],
            "level": ["splitter"],
            "scenario": ["optical_splitter"],
            "side": ["street"],
            "action": ["field_visit"],
            "first_day": [DAY - dt.timedelta(days=1)],
            "last_day": [DAY],
            "days": [2],
            "lines": [np.array([12, 13, 14])],
            "n_lines": [3],
            "poor_lines": [2],
            "element_lines": [4],
            "olt_id": ["OLT-1"],
        }
    )


def test_lines_under_a_ticket_are_the_ticket_s() -> None:
    rows = order_rows(_diagnoses(), _tickets())
    assert list(rows.columns) == list(ORDER_COLUMNS) and len(rows) == 2
    found = [diagnosis(r) for r in rows.to_dict("records")]
    line, ticket = found
    assert (line.line_id, line.scenario, line.first_day) == (
        11,
        "wifi_coverage",
        DAY - dt.timedelta(days=2),
    )
    assert line.evidence == {"signs": ["signal -74 dBm"]} and line.score == 14.0
    assert (ticket.element, ticket.element_type, ticket.line_id) == (
        "OLT-1/0/1/1/S1",
        "splitter",
        None,
    )
    assert ticket.lines == (12, 13, 14) and ticket.day == DAY
    assert ticket.evidence == json.loads(rows.evidence[1]) and ticket.evidence["poor_lines"] == 2


def test_no_diagnosis_no_orders() -> None:
    empty = order_rows(_diagnoses().iloc[:0], _tickets().iloc[:0])
    assert empty.empty and list(empty.columns) == list(ORDER_COLUMNS)
