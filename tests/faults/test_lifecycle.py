"""Incidents in the store: loading is idempotent, and MTTR and time to acknowledge are right."""

from __future__ import annotations

import datetime as dt

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from telcolens.faults import lifecycle
from telcolens.faults.models import Incident
from telcolens.store.models import AuditEntry

T0 = pd.Timestamp("2026-11-20 08:00:00")  # China Standard Time, as in the alarm records
UTC0 = dt.datetime(2026, 11, 20, 0, 0, tzinfo=dt.UTC)


def _incidents() -> tuple[pd.DataFrame, pd.DataFrame]:
    incidents = pd.DataFrame(
        {
            "incident_id": ["F1", "F2", "F3"],
            "root_ne_id": ["AGG-3701-01", "PWR-370102", "OLT-1"],
            "root_alarm_type": ["LINK_DOWN", "MAINS_FAILURE", None],
            "opened_at": [T0, T0 + pd.Timedelta(hours=1), T0 + pd.Timedelta(days=1)],
            "last_alarm_at": [T0 + pd.Timedelta(minutes=5)] * 3,
            "cleared_at": [None, None, None],
            "alarm_count": [120, 14, 2],
            "device_count": [40, 6, 1],
            "severity": ["major", "critical", "minor"],
        }
    )
    alarms = pd.DataFrame({"alarm_id": ["a1", "a2", "a3"], "incident_id": ["F1", "F1", "F3"]})
    return incidents, alarms


@pytest.fixture
def session(store_session: Session) -> Session:
    return store_session


def test_load_is_idempotent_and_keeps_peoples_work(session: Session) -> None:
    incidents, alarms = _incidents()
    first = lifecycle.load_incidents(session, incidents, alarms, "loader")
    assert (first.opened, first.updated) == (3, 0)
    f1 = session.scalars(sa.select(Incident).where(Incident.key == "F1")).one()
    assert f1.alarms == ["a1", "a2"] and f1.major  # 40 devices down
    assert f1.opened_at == UTC0  # 08:00 China Standard Time
    lifecycle.acknowledge(session, f1, "eng")
    again = lifecycle.load_incidents(session, incidents, alarms, "loader")
    assert (again.opened, again.updated) == (0, 0)
    assert session.scalar(sa.select(sa.func.count()).select_from(Incident)) == 3
    grown = incidents.assign(alarm_count=[130, 14, 2])
    assert lifecycle.load_incidents(session, grown, alarms, "loader").updated == 1
    assert (f1.status, f1.owner, f1.alarm_count) == ("acknowledged", "eng", 130)


def test_lifecycle_and_clocks(session: Session) -> None:
    lifecycle.load_incidents(session, *_incidents(), "loader")
    by_key = {i.key: i for i in session.scalars(sa.select(Incident))}
    f1, f2, f3 = by_key["F1"], by_key["F2"], by_key["F3"]
    lifecycle.acknowledge(session, f1, "eng", at=UTC0 + dt.timedelta(minutes=10))
    lifecycle.resolve(session, f1, "eng", "spliced the fibre", at=UTC0 + dt.timedelta(hours=2))
    lifecycle.acknowledge(session, f2, "eng", at=UTC0 + dt.timedelta(hours=1, minutes=20))
    lifecycle.resolve(session, f2, "eng", "generator on site", at=UTC0 + dt.timedelta(hours=5))
    with pytest.raises(lifecycle.LifecycleError, match="not open"):
        lifecycle.acknowledge(session, f1, "eng")
    with pytest.raises(lifecycle.LifecycleError, match="needs a resolution"):
        lifecycle.resolve(session, f3, "eng", " ")
    clocks = lifecycle.clocks([f1, f2, f3])
    assert clocks["mean_minutes_to_acknowledge"] == 15.0  # (10 + 20) / 2
    assert clocks["mttr_minutes"] == 180.0  # (120 + 240) / 2
    assert (clocks["open"], clocks["major"]) == (1, 2)
    assert lifecycle.major_per_day([f1, f2, f3]) == [{"day": dt.date(2026, 11, 20), "major": 2}]
    actions = session.scalars(
        sa.select(AuditEntry.action).where(AuditEntry.object_type == "incident")
    ).all()
    assert actions == [
        "incident.acknowledge",
        "incident.resolve",
        "incident.acknowledge",
        "incident.resolve",
    ]


def _topology_inputs():
    incidents, alarm_incidents = _incidents()
    alarms = pd.DataFrame({"alarm_id": ["a1", "a2", "a3"], "ne_id": ["ACC-1", "ACC-2", "OLT-1"]})
    links = pd.DataFrame(
        {
            "a_ne_id": ["CR-1", "AGG-3701-01", "AGG-3701-01", "ACC-2", "CR-1"],
            "b_ne_id": ["AGG-3701-01", "ACC-1", "ACC-2", "OLT-9", "AGG-9"],
            "link_type": ["fibre", "fibre", "fibre", "fibre", "fibre"],
        }
    )
    return incidents, alarm_incidents, alarms, links


def test_neighbourhoods_hold_the_alarmed_devices_the_root_and_its_upstream() -> None:
    around = lifecycle.neighbourhoods(*_topology_inputs())
    f1 = around["F1"]
    nodes = {n["id"]: (n["root"], n["alarmed"]) for n in f1["nodes"]}
    assert nodes == {
        "AGG-3701-01": (True, False),  # the root, silent: its children's alarms reveal it
        "ACC-1": (False, True),
        "ACC-2": (False, True),
        "CR-1": (False, False),  # upstream of the root
    }
    assert {(lk["source"], lk["target"]) for lk in f1["links"]} == {
        ("CR-1", "AGG-3701-01"),
        ("AGG-3701-01", "ACC-1"),
        ("AGG-3701-01", "ACC-2"),
    }  # OLT-9 and AGG-9 are not part of it
    assert [n["id"] for n in around["F3"]["nodes"]] == ["OLT-1"]


def test_the_topology_is_stored_with_the_incident(session: Session) -> None:
    incidents, alarm_incidents, alarms, links = _topology_inputs()
    around = lifecycle.neighbourhoods(incidents, alarm_incidents, alarms, links)
    lifecycle.load_incidents(session, incidents, alarm_incidents, "loader", topology=around)
    f1 = session.scalars(sa.select(Incident).where(Incident.key == "F1")).one()
    assert len(f1.topology["nodes"]) == 4 and len(f1.topology["links"]) == 3
    f2 = session.scalars(sa.select(Incident).where(Incident.key == "F2")).one()
    assert f2.topology["links"] == []  # a root with no alarmed neighbours or known upstream
