"""Incidents in the operational store: loading them, their lifecycle, and the clock on them.

::

    open ──acknowledge──▶ acknowledged ──resolve──▶ resolved
     └────────────────────resolve─────────────────────┘

Time to acknowledge (TTA) runs from the first alarm to the acknowledgement; time to
resolve (MTTR, its mean) from the first alarm to the resolution. A *major* fault is a
critical incident or one that took down ``MAJOR_DEVICES`` devices or more.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.errors import Conflict
from telcolens.faults.models import Incident
from telcolens.store.audit import record
from telcolens.store.models import utcnow

RECORD_TZ = ZoneInfo("Asia/Shanghai")  # alarm times are China Standard Time, like all records
MAJOR_DEVICES = 10
MAX_ALARM_IDS = 500  # alarm ids kept on an incident; the count keeps the rest
MAX_TOPOLOGY_NODES = 300  # devices drawn around an incident


class LifecycleError(Conflict):
    """An action that does not apply to the incident in its current state."""


@dataclass
class IncidentLoad:
    opened: int = 0
    updated: int = 0


def neighbourhoods(
    incidents: pd.DataFrame,
    alarm_incidents: pd.DataFrame,
    alarms: pd.DataFrame,
    links: pd.DataFrame,
) -> dict[str, dict[str, list]]:
    """Per incident: its alarmed devices, its root and the root's upstream, and their links."""
    devices = alarm_incidents.merge(alarms[["alarm_id", "ne_id"]], on="alarm_id")
    devices = devices[["incident_id", "ne_id"]].assign(alarmed=True)
    roots = incidents[["incident_id", "root_ne_id"]].rename(columns={"root_ne_id": "ne_id"})
    upstream = links.merge(roots, left_on="b_ne_id", right_on="ne_id")[["incident_id", "a_ne_id"]]
    nodes = pd.concat(
        [
            devices,
            roots.assign(alarmed=False),
            upstream.rename(columns={"a_ne_id": "ne_id"}).assign(alarmed=False),
        ]
    )
    nodes = nodes.groupby(["incident_id", "ne_id"], as_index=False)["alarmed"].max()
    ends = nodes[["incident_id", "ne_id"]]
    edges = links.merge(ends, left_on="a_ne_id", right_on="ne_id").merge(
        ends, left_on=["incident_id", "b_ne_id"], right_on=["incident_id", "ne_id"]
    )
    root_of = dict(zip(roots["incident_id"], roots["ne_id"], strict=True))
    out: dict[str, dict[str, list]] = {}
    for incident_id, group in nodes.groupby("incident_id"):
        root = root_of.get(incident_id)
        out[str(incident_id)] = {
            "nodes": [
                {"id": str(n), "root": n == root, "alarmed": bool(a)}
                for n, a in zip(group["ne_id"], group["alarmed"], strict=True)
            ][:MAX_TOPOLOGY_NODES],
            "links": [],
        }
    for incident_id, group in edges.groupby("incident_id"):
        entry = out[str(incident_id)]
        kept = {n["id"] for n in entry["nodes"]}
        entry["links"] = [
            {"source": str(a), "target": str(b), "type": str(k)}
            for a, b, k in zip(group["a_ne_id"], group["b_ne_id"], group["link_type"], strict=True)
            if str(a) in kept and str(b) in kept
        ]
    return out


def load_incidents(
    session: Session,
    incidents: pd.DataFrame,
    alarm_incidents: pd.DataFrame,
    actor: str,
    topology: dict[str, dict[str, list]] | None = None,
) -> IncidentLoad:
    """Upsert correlated incidents by their id; loading the same ones again changes nothing new.

    ``incidents`` has incident_id, root_ne_id, root_alarm_type, opened_at, last_alarm_at,
    cleared_at, alarm_count, device_count, severity; ``alarm_incidents`` maps alarm_id to
    incident_id. A person's work on an incident (owner, acknowledgement, resolution) is kept.
    ``topology`` (from :func:`neighbourhoods`) gives each incident the devices around it.
    """
    ids = alarm_incidents.groupby("incident_id")["alarm_id"].agg(list).to_dict()
    keys = [str(k) for k in incidents["incident_id"]]
    existing = {
        i.key: i
        for start in range(0, len(keys), 5000)
        for i in session.scalars(
            select(Incident).where(Incident.key.in_(keys[start : start + 5000]))
        )
    }
    report = IncidentLoad()
    for row in incidents.to_dict("records"):
        key = str(row["incident_id"])
        fields = {
            "severity": str(row["severity"]),
            "major": row["severity"] == "critical" or int(row["device_count"]) >= MAJOR_DEVICES,
            "root_ne_id": str(row["root_ne_id"]),
            "root_alarm_type": _text(row.get("root_alarm_type")),
            "alarm_count": int(row["alarm_count"]),
            "device_count": int(row["device_count"]),
            "alarms": [str(a) for a in ids.get(row["incident_id"], [])][:MAX_ALARM_IDS],
            "topology": (topology or {}).get(key, {"nodes": [], "links": []}),
            "opened_at": _time(row["opened_at"]),
            "last_alarm_at": _time(row["last_alarm_at"]),
            "cleared_at": _time(row.get("cleared_at")),
        }
        incident = existing.get(key)
        if incident is None:
            session.add(Incident(key=key, status="open", **fields))
            report.opened += 1
        elif any(getattr(incident, k) != v for k, v in fields.items()):
            for k, v in fields.items():
                setattr(incident, k, v)
            report.updated += 1
    record(session, actor, "incidents.load", "incidents", "", **report.__dict__)
    return report


def acknowledge(session: Session, incident: Incident, actor: str, at: dt.datetime | None = None):
    """An engineer takes the incident: it is theirs from now."""
    if incident.status != "open":
        raise LifecycleError(f"incident {incident.id} is {incident.status}, not open")
    incident.status, incident.owner = "acknowledged", actor
    incident.acknowledged_at = at or utcnow()
    record(session, actor, "incident.acknowledge", "incident", incident.id)


def resolve(
    session: Session, incident: Incident, actor: str, resolution: str, at: dt.datetime | None = None
):
    """The fault is repaired; the resolution says what was done."""
    if not resolution.strip():
        raise LifecycleError("resolving an incident needs a resolution")
    if incident.status == "resolved":
        raise LifecycleError(f"incident {incident.id} is already resolved")
    incident.status, incident.resolution = "resolved", resolution
    incident.owner = incident.owner or actor
    incident.resolved_at = at or utcnow()
    record(session, actor, "incident.resolve", "incident", incident.id, resolution=resolution)


def clocks(incidents: list[Incident]) -> dict[str, float | int | None]:
    """Mean time to acknowledge and to resolve, in minutes, over the incidents given."""
    tta = [_minutes(i.opened_at, i.acknowledged_at) for i in incidents if i.acknowledged_at]
    ttr = [_minutes(i.opened_at, i.resolved_at) for i in incidents if i.resolved_at]
    return {
        "incidents": len(incidents),
        "open": sum(i.status != "resolved" for i in incidents),
        "major": sum(i.major for i in incidents),
        "mean_minutes_to_acknowledge": _mean(tta),
        "mttr_minutes": _mean(ttr),
    }


def major_per_day(incidents: list[Incident]) -> list[dict[str, object]]:
    """Major faults opened per day (China Standard Time)."""
    days: dict[dt.date, int] = {}
    for i in incidents:
        if i.major:
            day = i.opened_at.astimezone(RECORD_TZ).date()
            days[day] = days.get(day, 0) + 1
    return [{"day": d, "major": n} for d, n in sorted(days.items())]


def _minutes(start: dt.datetime, end: dt.datetime) -> float:
    return (end - start).total_seconds() / 60


def _mean(values: list[float]) -> float | None:
    return round(sum(values) / len(values), 1) if values else None


def _time(value) -> dt.datetime | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    t = pd.Timestamp(value).to_pydatetime()
    return t.replace(tzinfo=RECORD_TZ) if t.tzinfo is None else t


def _text(value) -> str | None:
    return None if value is None or (isinstance(value, float) and pd.isna(value)) else str(value)
