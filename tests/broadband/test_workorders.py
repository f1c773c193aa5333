"""Broadband work orders in the store, on SQLite and PostgreSQL: the lifecycle and its audit,
the side rule, one active order per subject and scenario, racing steps, the idempotent load."""

from __future__ import annotations

import datetime as dt
import json

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from sqlalchemy.orm.exc import StaleDataError

from telcolens.broadband import workorders as wo
from telcolens.broadband.models import TicketLine, WorkOrder
from telcolens.errors import Conflict
from telcolens.store.db import is_duplicate
from telcolens.store.models import AuditEntry

DAY = dt.date(2026, 11, 20)
WIFI = {
    "scenario": "wifi_interference",
    "action": "remote_channel_change",
    "day": DAY,
    "line_id": 1001,
    "evidence": {"channel_utilisation_pct": 87.0, "threshold_pct": 70},
    "score": 14.5,
}
FIBRE = {
    "scenario": "optical_line",
    "action": "field_visit",
    "day": DAY,
    "line_id": 1002,
    "element": "OLT-1/0/1/2/S3",
    "element_type": "splitter",
    "evidence": {"rx_power_dbm": -29.4, "class_b_plus_min_dbm": -27},
    "score": 9.0,
}
TICKET = {
    "scenario": "port_congestion",
    "action": "network_ticket",
    "day": DAY,
    "element": "OLT-1/0/1/2",
    "element_type": "pon_port",
    "lines": [2001, 2002, 2003],
    "evidence": {"peak_utilisation_pct": 96.0},
}


@pytest.fixture
def session(store_session: Session) -> Session:
    return store_session


def _actions(session: Session, order: WorkOrder) -> list[str]:
    return list(
        session.scalars(
            sa.select(AuditEntry.action)
            .where(AuditEntry.object_type == wo.OBJECT, AuditEntry.object_id == str(order.id))
            .order_by(AuditEntry.id)
        )
    )


def test_a_remote_fix_is_started_and_done(session: Session) -> None:
    order = wo.create_work_order(session, WIFI, "ana")
    assert (order.state, order.side, order.subject, order.active) == (
        "open",
        "home",
        "line:1001",
        True,
    )
    assert order.due - order.created_at == dt.timedelta(hours=4)
    with pytest.raises(wo.LifecycleError, match="remote fix"):
        wo.transition(session, order, "dispatch", "ana", assignee="crew 7")
    with pytest.raises(wo.LifecycleError, match="needs it dispatched or in_progress"):
        wo.transition(session, order, "done", "ana", outcome="moved to channel 11")
    wo.transition(session, order, "start", "ana")
    session.flush()  # each step is a request of its own, and moves the row's version on
    assert (order.state, order.assignee) == ("in_progress", "ana")
    with pytest.raises(wo.WorkOrderError, match="needs an outcome"):
        wo.transition(session, order, "done", "ana", outcome="  ")
    at = dt.datetime(2026, 11, 20, 9, 30, tzinfo=dt.UTC)
    wo.transition(session, order, "done", "ana", outcome="moved to channel 11", at=at)
    session.commit()
    session.expire_all()  # read back from the store
    assert (order.state, order.active, order.closed_at, order.closed_by) == (
        "done",
        None,
        at,
        "ana",
    )
    assert order.outcome == "moved to channel 11" and order.version == 3
    assert _actions(session, order) == ["work_order.create", "work_order.start", "work_order.done"]
    with pytest.raises(wo.LifecycleError, match="is done"):
        wo.transition(session, order, "cancel", "ana", outcome="too late")
    wo.record_score_after(session, order, 71.0, "proof")
    assert order.score_after == 71.0 and _actions(session, order)[-1] == "work_order.score_after"


def test_a_field_visit_is_dispatched_and_may_fail_or_be_cancelled(session: Session) -> None:
    visit = wo.create_work_order(session, FIBRE, "ana")
    assert (visit.side, visit.subject, visit.element) == ("street", "line:1002", "OLT-1/0/1/2/S3")
    with pytest.raises(wo.WorkOrderError, match="assignee"):
        wo.transition(session, visit, "dispatch", "ana")
    wo.transition(session, visit, "dispatch", "ana", assignee="crew 7")
    wo.transition(session, visit, "start", "bo")
    assert visit.assignee == "crew 7"  # the crew it went to keeps it
    wo.transition(session, visit, "failed", "bo", outcome="no access to the building")
    ticket = wo.create_work_order(session, TICKET, "ana")
    assert [t.line_id for t in ticket.lines] == [2001, 2002, 2003]
    assert (ticket.line_id, ticket.side, ticket.subject) == (
        None,
        "network",
        "pon_port:OLT-1/0/1/2",
    )
    wo.transition(session, ticket, "cancel", "ana", outcome="the port recovered by itself")
    session.commit()
    assert (visit.state, ticket.state) == ("failed", "cancelled")
    history = session.scalars(
        sa.select(AuditEntry).where(AuditEntry.object_id == str(visit.id)).order_by(AuditEntry.id)
    ).all()
    assert [h.detail.get("to") for h in history] == [None, "dispatched", "in_progress", "failed"]
    assert history[-1].detail["outcome"] == "no access to the building"


@pytest.mark.parametrize(
    ("scenario", "action", "subject"),
    [
        ("wifi_coverage", "field_visit", {"line_id": 1}),
        ("wifi_interference", "network_ticket", {"line_id": 1}),
        ("cpe_fault", "field_visit", {"line_id": 1}),
        ("optical_line", "cpe_reboot", {"line_id": 1}),
        ("optical_splitter", "firmware_push", {"element": "S1", "element_type": "splitter"}),
        ("optical_port", "cpe_reboot", {"element": "P1", "element_type": "pon_port"}),
        ("port_congestion", "remote_channel_change", {"element": "P1", "element_type": "pon_port"}),
        ("olt_congestion", "field_visit", {"element": "OLT-1", "element_type": "olt"}),
        ("dns_auth", "cpe_reboot", {"line_id": 1}),
    ],
)
def test_an_action_on_the_wrong_side_is_refused(
    session: Session, scenario: str, action: str, subject: dict
) -> None:
    row = {"scenario": scenario, "action": action, "day": DAY, **subject}
    with pytest.raises(wo.WorkOrderError, match=f"{scenario} is a .*-side scenario"):
        wo.create_work_order(session, row, "ana")
    assert session.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 0


@pytest.mark.parametrize(
    ("row", "message"),
    [
        ({**WIFI, "line_id": None}, "is for a line"),
        ({**TICKET, "line_id": 5}, "is for the shared element"),
        ({**TICKET, "element_type": None}, "go together"),
        ({**FIBRE, "lines": [1, 2]}, "not of a line"),
        ({**WIFI, "scenario": "gremlins"}, "scenario 'gremlins' is not one of"),
        ({**WIFI, "score": 140}, "from 0 to 100"),
        ({**WIFI, "line_id": 1.5}, "not a line id"),
        ({**WIFI, "day": "not a day"}, "not a date"),
        ({**WIFI, "first_day": DAY + dt.timedelta(days=1)}, "after the day diagnosed"),
        ({**WIFI, "evidence": "{not json"}, "not JSON"),
        ({**WIFI, "evidence": {"note": "a\x00b"}}, "NUL"),
    ],
)
def test_a_malformed_diagnosis_is_refused(session: Session, row: dict, message: str) -> None:
    with pytest.raises(wo.WorkOrderError, match=message):
        wo.create_work_order(session, row, "ana")


def test_one_active_order_per_subject_and_scenario(session: Session) -> None:
    first = wo.create_work_order(session, WIFI, "ana")
    with pytest.raises(Conflict, match=f"work order {first.id} is already open"):
        wo.create_work_order(session, WIFI, "bo")
    other = wo.create_work_order(session, {**WIFI, "scenario": "wifi_coverage"}, "ana")
    wo.transition(session, first, "cancel", "ana", outcome="wrong diagnosis")
    again = wo.create_work_order(session, WIFI, "ana")  # closed orders do not block a new one
    session.commit()
    assert len({first.id, other.id, again.id}) == 3
    # The store itself refuses a twin of an active order (two requests past the check at once).
    session.add(
        WorkOrder(
            **{k: getattr(again, k) for k in ("subject", "scenario", "action", "side", "line_id")},
            state="open",
            active=True,
            first_day=DAY,
            last_day=DAY,
            created_by="racer",
            evidence={},
        )
    )
    with pytest.raises(IntegrityError) as raised:
        session.flush()
    assert is_duplicate(raised.value)
    session.rollback()


def test_of_two_racing_steps_the_second_is_stale(session: Session) -> None:
    order = wo.create_work_order(session, FIBRE, "ana")
    session.commit()
    engine = session.get_bind()
    with Session(engine) as a, Session(engine) as b:
        mine, theirs = a.get(WorkOrder, order.id), b.get(WorkOrder, order.id)
        assert mine.version == theirs.version == 1  # both read the same row
        wo.transition(a, mine, "dispatch", "ana", assignee="crew 7")
        a.commit()
        wo.transition(b, theirs, "cancel", "bo", outcome="not needed")
        with pytest.raises(StaleDataError):
            b.flush()
        b.rollback()
    session.expire_all()
    assert (order.state, order.version) == ("dispatched", 2)
    assert _actions(session, order) == ["work_order.create", "work_order.dispatch"]


def _day(day: dt.date, **changes) -> pd.DataFrame:
    """One day's diagnoses as the diagnosis step writes them (a ticket's line_id is NaN)."""
    rows = [{**WIFI, "day": day}, {**FIBRE, "day": day}, {**TICKET, "day": day}]
    frame = pd.DataFrame(rows)
    frame["evidence"] = frame["evidence"].map(json.dumps)  # JSON text
    for column, values in changes.items():
        frame[column] = values
    return frame


def _count(session: Session, model=WorkOrder) -> int:
    return session.scalar(sa.select(sa.func.count()).select_from(model))


def test_loading_a_day_again_changes_nothing(session: Session) -> None:
    first = wo.load_work_orders(session, _day(DAY), "loader")
    assert (first.created, first.updated, first.unchanged) == (3, 0, 0)
    assert _count(session) == 3 and _count(session, TicketLine) == 3
    again = wo.load_work_orders(session, _day(DAY), "loader")
    assert (again.created, again.updated, again.unchanged) == (0, 0, 3)
    session.commit()
    assert _count(session) == 3 and _count(session, TicketLine) == 3
    creates = sa.select(sa.func.count()).where(AuditEntry.action == "work_order.create")
    assert session.scalar(creates) == 3
    loads = session.scalars(sa.select(AuditEntry).where(AuditEntry.action == "work_orders.load"))
    assert [e.detail["created"] for e in loads] == [3, 0]


def test_an_order_starts_on_the_first_day_the_scenario_showed(session: Session) -> None:
    since = DAY - dt.timedelta(days=3)
    frame = _day(DAY).assign(first_day=[since, None, since])
    wo.load_work_orders(session, frame, "loader")
    firsts = dict(session.execute(sa.select(WorkOrder.scenario, WorkOrder.first_day)).all())
    assert firsts == {"wifi_interference": since, "optical_line": DAY, "port_congestion": since}
    earlier = _day(DAY).assign(first_day=DAY - dt.timedelta(days=5))
    assert wo.load_work_orders(session, earlier, "loader").updated == 3
    assert {o.first_day for o in session.scalars(sa.select(WorkOrder))} == {
        DAY - dt.timedelta(days=5)
    }


def test_a_frame_of_several_days_opens_each_order_once(session: Session) -> None:
    days = pd.concat([_day(DAY), _day(DAY + dt.timedelta(days=1), score=[12.0, 8.0, np.nan])])
    report = wo.load_work_orders(session, days, "loader")
    assert (report.created, report.updated, report.unchanged) == (3, 3, 0)  # each one day on
    session.commit()
    ids = {str(i) for i in session.scalars(sa.select(WorkOrder.id))}
    entries = session.scalars(sa.select(AuditEntry).where(AuditEntry.object_type == wo.OBJECT))
    assert sorted((e.action, e.object_id in ids) for e in entries) == [
        *[("work_order.create", True)] * 3,
        *[("work_order.update", True)] * 3,
    ]
    assert {o.last_day for o in session.scalars(sa.select(WorkOrder))} == {
        DAY + dt.timedelta(days=1)
    }


def test_a_later_day_refreshes_active_orders_and_keeps_peoples_work(session: Session) -> None:
    wo.load_work_orders(session, _day(DAY), "loader")
    by = {o.scenario: o for o in session.scalars(sa.select(WorkOrder))}
    wo.transition(session, by["optical_line"], "dispatch", "ana", assignee="crew 7")
    nxt = DAY + dt.timedelta(days=1)
    later = _day(nxt, score=[12.0, 8.0, np.nan])
    later.loc[1, "action"] = "network_ticket"  # the diagnosis changed its mind about the fibre
    later.at[2, "lines"] = [2003, 2004]  # one more line under the congested port
    report = wo.load_work_orders(session, later, "loader")
    assert (report.created, report.updated, report.unchanged) == (0, 3, 0)
    wifi, fibre, ticket = by["wifi_interference"], by["optical_line"], by["port_congestion"]
    assert (wifi.first_day, wifi.last_day, wifi.score_before) == (DAY, nxt, 12.0)
    assert fibre.action == "field_visit" and fibre.state == "dispatched"  # work under way
    assert [t.line_id for t in ticket.lines] == [2001, 2002, 2003, 2004]
    assert ticket.evidence == {"peak_utilisation_pct": 96.0}
    older = wo.load_work_orders(session, _day(DAY), "loader")  # an earlier day comes late
    assert older.updated == 0 and wifi.last_day == nxt and wifi.score_before == 12.0
    session.commit()
    assert _count(session) == 3 and _count(session, TicketLine) == 4


def test_a_closed_order_covers_its_days_and_a_later_diagnosis_reopens(session: Session) -> None:
    wo.load_work_orders(session, _day(DAY), "loader")
    wifi = session.scalar(sa.select(WorkOrder).where(WorkOrder.line_id == 1001))
    wo.transition(session, wifi, "start", "ana")
    # Closed at 08:30 China Standard Time on the next day.
    closed = dt.datetime(2026, 11, 21, 0, 30, tzinfo=dt.UTC)
    wo.transition(session, wifi, "done", "ana", outcome="channel 1 to 11", at=closed)
    next_day = wo.load_work_orders(session, _day(DAY + dt.timedelta(days=1)), "loader")
    assert (next_day.covered, next_day.created, next_day.updated) == (1, 0, 2)
    rerun = wo.load_work_orders(session, _day(DAY), "loader")
    assert (rerun.covered, rerun.created) == (1, 0)
    after = wo.load_work_orders(session, _day(DAY + dt.timedelta(days=3)), "loader")
    assert (after.covered, after.created) == (0, 1)  # still poor after the repair: a new order
    session.commit()
    orders = session.scalars(
        sa.select(WorkOrder).where(WorkOrder.line_id == 1001).order_by(WorkOrder.id)
    ).all()
    assert [(o.state, o.first_day) for o in orders] == [
        ("done", DAY),
        ("open", DAY + dt.timedelta(days=3)),
    ]


def test_a_bad_frame_is_refused_whole(session: Session) -> None:
    with pytest.raises(wo.WorkOrderError, match="lack column"):
        wo.load_work_orders(session, _day(DAY).drop(columns="action"), "loader")
    bad = _day(DAY)
    bad.loc[2, "action"] = "cpe_reboot"  # a reboot for a congested PON port
    with pytest.raises(wo.WorkOrderError, match="diagnosis row 3: port_congestion is a network"):
        wo.load_work_orders(session, bad, "loader")
    assert _count(session) == 0
