"""Broadband work orders: opened from diagnoses, worked through their states, each step audited.

::

    step       from                            to
    dispatch   open                            dispatched    (field visits, network tickets)
    start      open, dispatched                in_progress
    done       dispatched, in_progress         done
    failed     dispatched, in_progress         failed
    cancel     open, dispatched, in_progress   cancelled

``dispatch`` hands a field visit to a crew or a network ticket to the network operations
centre; a remote fix (channel change, reboot, firmware push) is started, never dispatched.
Closing (done, failed, cancelled) needs an outcome note.

Sides: a home-side scenario (Wi-Fi, the gateway) is fixed remotely and never gets a field
visit or a network ticket; a street-side one (fibre, splitter, port optics) gets a field
visit or a network ticket, a network-side one (PON or OLT capacity, DNS, authentication) a
network ticket, and neither ever gets a remote home fix.

Of two requests that change one order at once, the second finds the row's version moved
on (``version_id_col``) and fails (a 409 in the API); one active order per line or element
and scenario is a unique constraint, so a second one is refused however it is created.
"""

from __future__ import annotations

import datetime as dt
import json
import math
import numbers
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from zoneinfo import ZoneInfo

import numpy as np
import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.broadband.models import (
    ACTIONS,
    CLOSED_STATES,
    ELEMENT_TYPES,
    SCENARIO_SIDES,
    TicketLine,
    WorkOrder,
)
from telcolens.errors import BadInput, Conflict
from telcolens.store.audit import record
from telcolens.store.models import utcnow

RECORD_TZ = ZoneInfo("Asia/Shanghai")  # diagnosis days are China Standard Time days
OBJECT = "broadband_work_order"  # the audit log's object type
REMOTE = ("remote_channel_change", "cpe_reboot", "firmware_push")
SIDE_ACTIONS = {
    "home": REMOTE,
    "street": ("field_visit", "network_ticket"),
    "network": ("network_ticket",),
}
# Shared causes: their orders are tickets on the element (splitter, PON port, OLT), standing
# for its lines; every other scenario's order is for one line.
SHARED = ("optical_splitter", "optical_port", "port_congestion", "olt_congestion")
DISPATCHED = ("field_visit", "network_ticket")  # handed to a crew or to the NOC
# Hours from opening to due: the operator's service targets (a policy, not a measurement).
DUE_HOURS = {
    "remote_channel_change": 4,
    "cpe_reboot": 4,
    "firmware_push": 24,
    "field_visit": 48,
    "network_ticket": 24,
}
# step -> (the states it starts from, the state it leads to)
TRANSITIONS: dict[str, tuple[tuple[str, ...], str]] = {
    "dispatch": (("open",), "dispatched"),
    "start": (("open", "dispatched"), "in_progress"),
    "done": (("dispatched", "in_progress"), "done"),
    "failed": (("dispatched", "in_progress"), "failed"),
    "cancel": (("open", "dispatched", "in_progress"), "cancelled"),
}
STEPS = tuple(TRANSITIONS)
INT64_MAX = 2**63 - 1
MAX_TEXT = 64  # element ids, assignees
MAX_EVIDENCE_CHARS = 100_000  # as JSON; the API admits at most about 85,000
MAX_LINES = 5_000  # lines one ticket may stand for (an OLT serves a few thousand)


class WorkOrderError(BadInput):
    """A work order that cannot be opened or changed as asked (a wrong side, a bad field)."""


class LifecycleError(Conflict):
    """A step that does not apply to the work order in its current state."""


@dataclass(frozen=True)
class Diagnosis:
    """One diagnosed scenario on a line or an element: what a work order is opened from."""

    scenario: str
    action: str
    day: dt.date
    first_day: dt.date  # when the scenario was first seen on the subject; ``day`` at the latest
    line_id: int | None = None
    element: str | None = None
    element_type: str | None = None
    evidence: dict[str, Any] = field(default_factory=dict)
    score: float | None = None
    lines: tuple[int, ...] = ()

    @property
    def side(self) -> str:
        return SCENARIO_SIDES[self.scenario]

    @property
    def subject(self) -> str:
        if self.line_id is not None:
            return f"line:{self.line_id}"
        return f"{self.element_type}:{self.element}"


@dataclass
class WorkOrderLoad:
    """What loading a frame of diagnoses did."""

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    covered: int = 0  # diagnoses of days a closed order already dealt with


def diagnosis(row: Mapping[str, Any]) -> Diagnosis:
    """A checked :class:`Diagnosis` from a mapping (a diagnoses frame's row, an API body).

    Keys: ``scenario``, ``action``, ``day`` (required: the day diagnosed); ``first_day``
    (the first day the scenario showed, default ``day``); ``line_id``, or ``element`` with
    ``element_type``; ``evidence`` (a dict, or its JSON text); ``score`` (0-100); ``lines``
    (the line ids a shared-cause ticket stands for). Missing values (None, NaN) are absent.
    Raises :class:`WorkOrderError` naming what is wrong.
    """
    scenario = _choice(row.get("scenario"), "scenario", tuple(SCENARIO_SIDES))
    action = _choice(row.get("action"), "action", ACTIONS)
    line_id = _line_id(row.get("line_id"), "line_id")
    element = _short_text(row.get("element"), "element")
    kind = row.get("element_type")
    element_type = None if _missing(kind) else _choice(kind, "element_type", ELEMENT_TYPES)
    side = SCENARIO_SIDES[scenario]
    if action not in SIDE_ACTIONS[side]:
        raise WorkOrderError(
            f"{scenario} is a {side}-side scenario: its action is "
            f"{' or '.join(SIDE_ACTIONS[side])}, not {action}"
        )
    if (element is None) != (element_type is None):
        raise WorkOrderError("element and element_type go together")
    if scenario in SHARED and (element is None or line_id is not None):
        raise WorkOrderError(
            f"a {scenario} ticket is for the shared element: give element and element_type, "
            "not a line_id (its lines go in lines)"
        )
    if scenario not in SHARED and line_id is None:
        raise WorkOrderError(f"a {scenario} work order is for a line: give its line_id")
    lines = _lines(row.get("lines"))
    if lines and line_id is not None:
        raise WorkOrderError("lines group the lines of a ticket on an element, not of a line")
    day = _day(row.get("day"))
    first_day = day if _missing(row.get("first_day")) else _day(row.get("first_day"))
    if first_day > day:
        raise WorkOrderError(f"first_day {first_day} is after the day diagnosed, {day}")
    return Diagnosis(
        scenario=scenario,
        action=action,
        day=day,
        first_day=first_day,
        line_id=line_id,
        element=element,
        element_type=element_type,
        evidence=_evidence(row.get("evidence")),
        score=_score(row.get("score")),
        lines=lines,
    )


def create_work_order(
    session: Session,
    found: Diagnosis | Mapping[str, Any],
    actor: str,
    *,
    due: dt.datetime | None = None,
    at: dt.datetime | None = None,
) -> WorkOrder:
    """Open a work order for a diagnosis; :class:`Conflict` if one is active for it already."""
    d = found if isinstance(found, Diagnosis) else diagnosis(found)
    existing = session.scalar(
        select(WorkOrder).where(
            WorkOrder.subject == d.subject,
            WorkOrder.scenario == d.scenario,
            WorkOrder.active.is_(True),
        )
    )
    if existing is not None:
        raise Conflict(
            f"work order {existing.id} is already {existing.state} for {d.subject} ({d.scenario})"
        )
    order = _new(d, actor, due=None if due is None else _aware(due, "due"), at=at)
    session.add(order)
    session.flush()  # its id, for the audit entry; a concurrent twin is a duplicate key here
    _record_new(session, order, actor)
    return order


def transition(
    session: Session,
    order: WorkOrder,
    step: str,
    actor: str,
    *,
    outcome: str | None = None,
    assignee: str | None = None,
    at: dt.datetime | None = None,
) -> None:
    """Move ``order`` one step (see :data:`TRANSITIONS`), recording who did it.

    ``assignee``: the crew or engineer a dispatch hands it to (a start makes it the actor's
    when it has none). ``outcome``: what was found and done; closing steps need one.
    The row's version is checked when the session flushes.
    """
    if step not in TRANSITIONS:
        raise WorkOrderError(f"no step {step!r}: one of {', '.join(STEPS)}")
    starts, state = TRANSITIONS[step]
    if order.state not in starts:
        raise LifecycleError(
            f"work order {order.id} is {order.state}; {step} needs it {' or '.join(starts)}"
        )
    if step == "dispatch" and order.action not in DISPATCHED:
        raise LifecycleError(
            f"work order {order.id} is a remote fix ({order.action}): it is started, not dispatched"
        )
    closing = state in CLOSED_STATES
    if closing and (outcome is None or not outcome.strip()):
        raise WorkOrderError(f"{step} needs an outcome: what was found and done")
    if outcome is not None and not storable(outcome):
        raise WorkOrderError("an outcome cannot hold NUL characters or lone surrogates")
    if step == "dispatch" and assignee is None:
        raise WorkOrderError("dispatch needs an assignee: the crew or the centre it goes to")
    if assignee is not None:
        order.assignee = _short_text(assignee, "assignee")
    elif step == "start" and order.assignee is None:
        order.assignee = actor
    detail: dict[str, Any] = {"from": order.state, "to": state}
    order.state = state
    if closing:
        order.active = None
        order.closed_at, order.closed_by, order.outcome = at or utcnow(), actor, outcome
        detail["outcome"] = outcome
    if order.assignee is not None:
        detail["assignee"] = order.assignee
    record(session, actor, f"work_order.{step}", OBJECT, order.id, **detail)


def record_score_after(session: Session, order: WorkOrder, score: float, actor: str) -> None:
    """The line's perception score after the repair (the proof step), on a closed order."""
    if order.state not in ("done", "failed"):
        raise LifecycleError(f"work order {order.id} is {order.state}: no repair to score yet")
    value = _score(score)
    if value is None:
        raise WorkOrderError("a score after the repair is a number from 0 to 100")
    order.score_after = value
    record(session, actor, "work_order.score_after", OBJECT, order.id, score_after=value)


def load_work_orders(session: Session, diagnoses: pd.DataFrame, actor: str) -> WorkOrderLoad:
    """Open or refresh a work order per diagnosis; loading the same day again changes nothing.

    A diagnosis of a subject (line or element) and scenario with an active order refreshes
    it (its days, and from the newest day its evidence and score, its action while still
    open, the ticket's lines); one of a day that a closed order already dealt with (the
    order saw the scenario from its first day and was closed on or after this day) is
    ``covered`` and skipped; any other opens a new order. Columns as :func:`diagnosis` reads.
    """
    missing = {"scenario", "action", "day"} - set(diagnoses.columns)
    if missing:
        raise WorkOrderError(f"the diagnoses lack column(s) {', '.join(sorted(missing))}")
    found = []
    for n, row in enumerate(diagnoses.to_dict("records"), start=1):
        try:
            found.append(diagnosis(row))
        except WorkOrderError as exc:
            raise WorkOrderError(f"diagnosis row {n}: {exc}") from None
    known = _orders_of(session, {d.subject for d in found})
    report, opened, updates = WorkOrderLoad(), [], []
    for d in found:
        orders = known.setdefault((d.subject, d.scenario), [])
        active = next((o for o in orders if o.active), None)
        if active is not None:
            changed = _refresh(active, d)
            if changed:
                updates.append((active, d.day, changed))
            report.updated += bool(changed)
            report.unchanged += not changed
        elif any(_covers(o, d.day) for o in orders):
            report.covered += 1
        else:
            orders.append(order := _new(d, actor))
            opened.append(order)
            report.created += 1
    session.add_all(opened)
    session.flush()  # the new orders' ids, for their audit entries (a frame may update them)
    for order in opened:
        _record_new(session, order, actor)
    for order, day, changed in updates:
        record(session, actor, "work_order.update", OBJECT, order.id, day=str(day), fields=changed)
    record(session, actor, "work_orders.load", "broadband_work_orders", "", **report.__dict__)
    return report


def _new(
    d: Diagnosis, actor: str, *, due: dt.datetime | None = None, at: dt.datetime | None = None
) -> WorkOrder:
    created = at or utcnow()
    return WorkOrder(
        subject=d.subject,
        line_id=d.line_id,
        element=d.element,
        element_type=d.element_type,
        scenario=d.scenario,
        action=d.action,
        side=d.side,
        state="open",
        active=True,
        first_day=d.first_day,
        last_day=d.day,
        created_at=created,
        created_by=actor,
        due=due or created + dt.timedelta(hours=DUE_HOURS[d.action]),
        evidence=d.evidence,
        score_before=d.score,
        lines=[TicketLine(line_id=line) for line in d.lines],
    )


def _record_new(session: Session, order: WorkOrder, actor: str) -> None:
    record(
        session,
        actor,
        "work_order.create",
        OBJECT,
        order.id,
        subject=order.subject,
        scenario=order.scenario,
        repair=order.action,  # "action" is the audit entry's own
        day=str(order.first_day),
        lines=len(order.lines),
    )


def _refresh(order: WorkOrder, d: Diagnosis) -> list[str]:
    """Bring an active order up to date with a diagnosis of it; the fields changed."""
    new: dict[str, Any] = {}
    if d.first_day < order.first_day:
        new["first_day"] = d.first_day
    if d.day >= order.last_day:
        new.update(last_day=d.day, evidence=d.evidence, score_before=d.score)
        if order.state == "open":
            new["action"] = d.action
    changed = [k for k, v in new.items() if getattr(order, k) != v]
    for k in changed:
        setattr(order, k, new[k])
    have = {t.line_id for t in order.lines}
    added = [line for line in d.lines if line not in have]
    order.lines.extend(TicketLine(line_id=line) for line in added)
    return changed + (["lines"] if added else [])


def _covers(order: WorkOrder, day: dt.date) -> bool:
    """Whether a closed order dealt with the scenario as diagnosed on ``day``."""
    if order.closed_at is None:
        return False
    return order.first_day <= day <= order.closed_at.astimezone(RECORD_TZ).date()


def _orders_of(session: Session, subjects: Iterable[str]) -> dict[tuple[str, str], list[WorkOrder]]:
    keys = sorted(subjects)
    out: dict[tuple[str, str], list[WorkOrder]] = {}
    for start in range(0, len(keys), 5000):
        chunk = keys[start : start + 5000]
        for order in session.scalars(select(WorkOrder).where(WorkOrder.subject.in_(chunk))):
            out.setdefault((order.subject, order.scenario), []).append(order)
    return out


def storable(text: str) -> bool:
    """Whether both stores can hold ``text``: PostgreSQL refuses NUL characters, and a lone
    surrogate (which JSON's ``\\ud800`` escapes can make) has no UTF-8 encoding."""
    if "\x00" in text:
        return False
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


def _aware(value: dt.datetime, name: str) -> dt.datetime:
    if value.utcoffset() is None:
        raise WorkOrderError(f"{name} needs its time zone")
    try:
        return value.astimezone(dt.UTC)
    except OverflowError:  # 9999-12-31T23:00-05:00 is in the year 10000 in UTC
        raise WorkOrderError(f"{name} {value.isoformat()} is out of range") from None


def _missing(value: Any) -> bool:
    """None, NaN, NaT or pd.NA: a value the diagnosis does not have."""
    return value is None or (pd.api.types.is_scalar(value) and bool(pd.isna(value)))


def _choice(value: Any, name: str, allowed: tuple[str, ...]) -> str:
    if _missing(value) or value not in allowed:
        raise WorkOrderError(f"{name} {value!r} is not one of {', '.join(allowed)}")
    return str(value)


def _line_id(value: Any, name: str) -> int | None:
    if _missing(value):
        return None
    if isinstance(value, numbers.Integral) and not isinstance(value, bool):
        line = int(value)
    elif isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        line = int(value)  # a column with gaps: pandas holds its ids as floats
    else:
        raise WorkOrderError(f"{name} {value!r} is not a line id (a whole number)")
    if not 0 <= line <= INT64_MAX:
        raise WorkOrderError(f"{name} {value!r} is out of range")
    return line


def _short_text(value: Any, name: str) -> str | None:
    if _missing(value):
        return None
    if not isinstance(value, str) or not value.strip() or len(value) > MAX_TEXT:
        raise WorkOrderError(f"{name} {value!r}: 1 to {MAX_TEXT} characters of text")
    if not storable(value):
        raise WorkOrderError(f"{name} {value!r} holds NUL characters or lone surrogates")
    return value


def _day(value: Any) -> dt.date:
    if _missing(value):
        raise WorkOrderError("a diagnosis needs its day")
    if isinstance(value, dt.date) and not isinstance(value, dt.datetime):
        return value
    if isinstance(value, numbers.Number):  # pandas would read it as nanoseconds since 1970
        raise WorkOrderError(f"day {value!r} is not a date")
    try:
        return pd.Timestamp(value).date()
    except (TypeError, ValueError):
        raise WorkOrderError(f"day {value!r} is not a date") from None


def _score(value: Any) -> float | None:
    if _missing(value):
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not 0 <= value <= 100:
        raise WorkOrderError(f"score {value!r} is not a perception score from 0 to 100")
    return float(value)


def _lines(value: Any) -> tuple[int, ...]:
    if _missing(value):
        return ()
    if isinstance(value, str | bytes | Mapping) or not isinstance(value, Iterable):
        raise WorkOrderError(f"lines {value!r} is not a list of line ids")
    ids = [_line_id(v, "a ticket's line") for v in value]
    if None in ids:
        raise WorkOrderError("a ticket's lines have a missing line id")
    lines = tuple(dict.fromkeys(i for i in ids if i is not None))
    if len(lines) > MAX_LINES:
        raise WorkOrderError(f"a ticket stands for at most {MAX_LINES} lines, not {len(lines)}")
    return lines


def _evidence(value: Any) -> dict[str, Any]:
    if _missing(value):
        return {}
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except json.JSONDecodeError as exc:
            raise WorkOrderError(f"evidence is not JSON: {exc}") from None
    if not isinstance(value, Mapping):
        raise WorkOrderError("evidence is an object: the KPIs and thresholds by name")
    evidence = _plain(value)
    if len(json.dumps(evidence, ensure_ascii=False)) > MAX_EVIDENCE_CHARS:
        raise WorkOrderError(f"evidence over {MAX_EVIDENCE_CHARS:,} characters as JSON")
    return evidence


def _plain(value: Any) -> Any:
    """``value`` as plain JSON: numpy values as Python's, NaN as null, keys as text."""
    if isinstance(value, Mapping):
        return {_plain(str(k)): _plain(v) for k, v in value.items()}
    if isinstance(value, np.ndarray):
        value = value.tolist()
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None  # JSON has no NaN: a KPI the line did not report
    if isinstance(value, str) and not storable(value):
        raise WorkOrderError("evidence text cannot hold NUL characters or lone surrogates")
    if value is None or isinstance(value, bool | int | float | str):
        return value
    raise WorkOrderError(f"evidence holds {type(value).__name__}, not a JSON value")
