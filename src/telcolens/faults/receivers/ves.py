"""ONAP VES 7.x fault events (``commonEventHeader`` + ``faultFields``) as alarms."""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any

from telcolens.faults.receivers._alarm import Alarm, ParseError, from_epoch_us

# VES eventSeverity -> X.733; NORMAL is VES's clear.
VES_SEVERITY = {
    "CRITICAL": "critical",
    "MAJOR": "major",
    "MINOR": "minor",
    "WARNING": "warning",
}
_CLEAR = "NORMAL"
# Epoch microseconds from 2000 to 2200: anything else is a unit mistake (ms, s) or junk.
EPOCH_US_RANGE = (946_684_800_000_000, 7_258_118_400_000_000)
_NON_WORD = re.compile(r"[^0-9A-Za-z]+")


def parse_ves(
    payload: Mapping[str, Any] | bytes | str, *, address: str | None = None
) -> list[Alarm]:
    """The alarms in a VES 7.x request body: ``{"event": ...}`` or ``{"eventList": [...]}``.

    Every event must be a fault event; one bad event makes the whole batch a
    ParseError (the collector answers 400 and the sender retries it whole,
    rather than half of it being stored twice).

    Mapping: ``sourceName`` (else ``reportingEntityName``) -> ne_id;
    ``alarmCondition`` upper-cased, non-alphanumerics as ``_`` -> alarm_type;
    ``eventSeverity`` -> severity, NORMAL being a clear (severity 'indeterminate'
    here; the sink keeps the raise's); ``specificProblem`` -> text;
    ``startEpochMicrosec`` -> raised_at and, for a clear, ``lastEpochMicrosec``
    -> cleared_at.
    """
    body = _as_object(payload)
    if "eventList" in body:
        events = body["eventList"]
        if not isinstance(events, list) or not events:
            raise ParseError("eventList must be a non-empty list")
    elif "event" in body:
        events = [body["event"]]
    else:
        raise ParseError("the body has neither 'event' nor 'eventList'")
    return [_event_to_alarm(event, i, address) for i, event in enumerate(events)]


def _as_object(payload: Mapping[str, Any] | bytes | str) -> Mapping[str, Any]:
    if isinstance(payload, bytes | str):
        try:
            payload = json.loads(payload)
        except (ValueError, RecursionError) as exc:  # UnicodeDecodeError is a ValueError
            raise ParseError(f"not JSON: {exc}") from None
    if not isinstance(payload, Mapping):
        raise ParseError("the body must be a JSON object")
    return payload


def _event_to_alarm(event: object, index: int, address: str | None) -> Alarm:
    where = f"event {index}"
    if not isinstance(event, Mapping):
        raise ParseError(f"{where}: not an object")
    header = _object(event, "commonEventHeader", where)
    if header.get("domain") != "fault":
        raise ParseError(f"{where}: domain is {header.get('domain')!r}, expected 'fault'")
    fault = _object(event, "faultFields", where)
    severity = _text(fault, "eventSeverity", where).upper()
    if severity != _CLEAR and severity not in VES_SEVERITY:
        raise ParseError(f"{where}: eventSeverity {severity!r} is not a VES severity")
    condition = _text(fault, "alarmCondition", where)
    alarm_type = _NON_WORD.sub("_", condition).strip("_").upper()
    if not alarm_type:
        raise ParseError(f"{where}: alarmCondition {condition!r} has no letters or digits")
    ne_id = header.get("sourceName") or header.get("reportingEntityName")
    if not isinstance(ne_id, str) or not ne_id.strip():
        raise ParseError(f"{where}: no sourceName or reportingEntityName")
    raised_at = from_epoch_us(_epoch(header, "startEpochMicrosec", where))
    cleared_at = None
    if severity == _CLEAR:
        cleared_at = from_epoch_us(_epoch(header, "lastEpochMicrosec", where))
    problem = fault.get("specificProblem")
    return Alarm(
        ne_id=ne_id.strip(),
        alarm_type=alarm_type,
        severity=VES_SEVERITY.get(severity, "indeterminate"),
        source="ves",
        raised_at=raised_at,
        cleared_at=cleared_at,
        text=problem if isinstance(problem, str) else None,
        address=address,
    )


def _object(parent: Mapping[str, Any], key: str, where: str) -> Mapping[str, Any]:
    value = parent.get(key)
    if not isinstance(value, Mapping):
        raise ParseError(f"{where}: {key} missing or not an object")
    return value


def _text(parent: Mapping[str, Any], key: str, where: str) -> str:
    value = parent.get(key)
    if not isinstance(value, str) or not value:
        raise ParseError(f"{where}: {key} missing or not a string")
    return value


def _epoch(header: Mapping[str, Any], key: str, where: str) -> int:
    value = header.get(key)
    # bool is an int in Python; JSON true is not a time.
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise ParseError(f"{where}: {key} missing or not a number")
    if not EPOCH_US_RANGE[0] <= value <= EPOCH_US_RANGE[1]:
        raise ParseError(f"{where}: {key} {value!r} is not microseconds since 1970 (2000-2200)")
    return int(value)
