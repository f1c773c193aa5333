"""VES 7.x fault events to alarms."""

from __future__ import annotations

import json
from datetime import datetime

import pytest

from telcolens.faults.receivers import ParseError, parse_ves

START_US = 1_764_000_000_000_000  # 2025-11-24 16:00:00 UTC


def fault_event(severity="MAJOR", **header) -> dict:
    return {
        "commonEventHeader": {
            "domain": "fault",
            "eventId": "fault0001",
            "eventName": "Fault_gNB_LOS",
            "sourceName": "gnb-0042",
            "reportingEntityName": "ems-3",
            "startEpochMicrosec": START_US,
            "lastEpochMicrosec": START_US + 90_000_000,
            "version": "4.1",
            "vesEventListenerVersion": "7.2.1",
            **header,
        },
        "faultFields": {
            "faultFieldsVersion": "4.0",
            "alarmCondition": "Loss of signal",
            "eventSeverity": severity,
            "specificProblem": "LOS on CPRI port 2",
            "vfStatus": "Active",
        },
    }


def test_single_event_raise():
    (alarm,) = parse_ves({"event": fault_event()}, address="192.0.2.9:8443")
    assert (alarm.ne_id, alarm.alarm_type, alarm.severity) == (
        "gnb-0042",
        "LOSS_OF_SIGNAL",
        "major",
    )
    assert alarm.raised_at == datetime(2025, 11, 25, 0, 0, 0) and alarm.cleared_at is None
    assert (alarm.text, alarm.source, alarm.address) == (
        "LOS on CPRI port 2",
        "ves",
        "192.0.2.9:8443",
    )


def test_normal_is_a_clear_with_both_times():
    (alarm,) = parse_ves(json.dumps({"event": fault_event("NORMAL")}).encode())
    assert alarm.is_clear and alarm.severity == "indeterminate"
    assert alarm.raised_at == datetime(2025, 11, 25, 0, 0, 0)
    assert alarm.cleared_at == datetime(2025, 11, 25, 0, 1, 30)


def test_event_list_and_reporting_entity_fallback():
    second = fault_event("critical", sourceName=None)
    alarms = parse_ves({"eventList": [fault_event("MINOR"), second]})
    assert [(a.ne_id, a.severity) for a in alarms] == [("gnb-0042", "minor"), ("ems-3", "critical")]


@pytest.mark.parametrize(
    "body",
    [
        b"not json",
        b"\xff\xfe",
        b"[]",
        {},
        {"eventList": []},
        {"eventList": {"a": 1}},
        {"event": fault_event("SEVERE")},
        {"event": fault_event(domain="measurement")},
        {"event": fault_event(startEpochMicrosec=1_764_000_000)},  # seconds, not microseconds
        {"event": fault_event(startEpochMicrosec=True)},
        {"event": fault_event(sourceName="", reportingEntityName=None)},
        {"eventList": [fault_event(), "not an event"]},
    ],
)
def test_bad_bodies_raise_parse_error(body):
    with pytest.raises(ParseError):
        parse_ves(body)
