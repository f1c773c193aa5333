"""The fault-management API: incidents, their lifecycle and clocks, and VES alarm events."""

from __future__ import annotations

import datetime as dt
import logging
from typing import Annotated, Any, Literal

from fastapi import APIRouter, HTTPException, Query, Request, status
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow, get_or_404
from telcolens.api.paging import Paged, paginate
from telcolens.api.params import NO_NUL, Id, Page, PageSize
from telcolens.api.schemas import HistoryItem, history
from telcolens.faults import _ves_model as _ves
from telcolens.faults import lifecycle
from telcolens.faults.models import INCIDENT_STATUSES, Incident
from telcolens.faults.receivers import ParquetSink, ParseError, parse_ves
from telcolens.settings import get_settings

ENGINEERS = ("network_engineer",)
log = logging.getLogger(__name__)
router = APIRouter(
    prefix="/api/faults",
    tags=["faults"],
    dependencies=[allow(*ENGINEERS)],
    route_class=StoreRoute,
)


class IncidentRow(BaseModel):
    id: int
    status: str
    severity: str
    major: bool
    root_ne_id: str
    root_alarm_type: str | None
    alarm_count: int
    device_count: int
    opened_at: dt.datetime
    last_alarm_at: dt.datetime
    cleared_at: dt.datetime | None
    owner: str | None
    acknowledged_at: dt.datetime | None
    resolved_at: dt.datetime | None

    @classmethod
    def of(cls, i: Incident) -> IncidentRow:
        return cls(**{k: getattr(i, k) for k in cls.model_fields})


class IncidentPage(Paged[IncidentRow]):
    """A page of incidents."""


class IncidentDetail(IncidentRow):
    alarms: list[str]
    topology: dict[str, Any] = Field(description="The devices involved and their links.")
    resolution: str | None
    history: list[HistoryItem]


class MajorDay(BaseModel):
    day: dt.date
    major: int


class FaultSummary(BaseModel):
    days: int
    incidents: int = Field(description="Opened in the last `days` days.")
    open: int
    major: int
    mean_minutes_to_acknowledge: float | None
    mttr_minutes: float | None = Field(description="Mean minutes to resolve.")
    major_per_day: list[MajorDay]
    open_now: int = Field(description="Not resolved, whenever opened.")


class VesAccepted(BaseModel):
    accepted: int = Field(description="Alarms in the request.")
    written: int = Field(description="Alarms written to the alarm store by this flush.")


class Resolution(BaseModel):
    resolution: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


@router.post(
    "/ves", status_code=status.HTTP_202_ACCEPTED, openapi_extra={"requestBody": _ves.request_body()}
)
async def ves_events(request: Request, user: CurrentUser) -> VesAccepted:
    """ONAP VES 7.x fault events (one ``event`` or an ``eventList``), stored as alarms.

    The alarms are on disk when this answers 202. A batch with one bad event is refused
    whole with 400, so the sender can retry it without any half being stored twice.
    """
    sink = request.app.state.ves_sink
    if sink is None:
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE,
            "no alarm store configured: set TELCOLENS_ALARM_DATA_DIR",
        )
    body = await request.body()
    client = request.client.host if request.client else None
    if (wrong := _ves.check(body)) is not None:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a VES fault event: {wrong}")
    try:
        alarms = parse_ves(body, address=client)
    except ParseError as exc:
        raise HTTPException(status.HTTP_400_BAD_REQUEST, f"not a VES fault event: {exc}") from None
    for alarm in alarms:
        sink(alarm)
    written = await run_in_threadpool(sink.flush)
    if sink.pending >= len(alarms) > 0:  # the write failed; the rows wait for a retry
        raise HTTPException(
            status.HTTP_503_SERVICE_UNAVAILABLE, "the alarms could not be written yet; retry"
        )
    log.info("VES: %d alarm(s) from %s (%s)", len(alarms), user.name, client)
    return VesAccepted(accepted=len(alarms), written=written)


@router.get("/summary", response_model=FaultSummary)
def summary(session: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 30) -> dict[str, Any]:
    """Open incidents, major faults per day, mean time to acknowledge and to resolve."""
    since = dt.datetime.now(dt.UTC) - dt.timedelta(days=days)
    recent = list(session.scalars(select(Incident).where(Incident.opened_at >= since)))
    return {
        "days": days,
        **lifecycle.clocks(recent),
        "major_per_day": lifecycle.major_per_day(recent),
        "open_now": session.scalar(select(func.count()).where(Incident.status != "resolved")),
    }


@router.get("/incidents", response_model=IncidentPage)
def incidents(
    session: SessionDep,
    status_: Annotated[
        Literal[INCIDENT_STATUSES] | None,  # type: ignore[valid-type]
        Query(alias="status"),
    ] = None,
    major: bool | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Incidents, newest first."""
    q = select(Incident)
    if status_:
        q = q.where(Incident.status == status_)
    if major is not None:
        q = q.where(Incident.major == major)
    total, rows = paginate(
        session, q.order_by(Incident.opened_at.desc(), Incident.id.desc()), page, page_size
    )
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [IncidentRow.of(i) for i in rows.scalars()],
    }


def _incident(session, incident_id: int) -> Incident:
    return get_or_404(session, Incident, incident_id, "incident")


def _detail(session, i: Incident) -> IncidentDetail:
    return IncidentDetail(
        **IncidentRow.of(i).model_dump(),
        alarms=i.alarms,
        topology=i.topology,
        resolution=i.resolution,
        history=history(session, "incident", i.id),
    )


@router.get("/incidents/{incident_id}")
def get_incident(incident_id: Id, session: SessionDep) -> IncidentDetail:
    return _detail(session, _incident(session, incident_id))


@router.post("/incidents/{incident_id}/acknowledge")
def acknowledge(incident_id: Id, session: SessionDep, user: CurrentUser) -> IncidentDetail:
    """Take the incident: the clock on time to acknowledge stops."""
    incident = _incident(session, incident_id)
    lifecycle.acknowledge(session, incident, user.name)
    session.flush()  # the row's version check: a concurrent change is a 409 here
    return _detail(session, incident)


@router.post("/incidents/{incident_id}/resolve")
def resolve(
    incident_id: Id, body: Resolution, session: SessionDep, user: CurrentUser
) -> IncidentDetail:
    """The fault is repaired: the clock on time to resolve stops."""
    incident = _incident(session, incident_id)
    lifecycle.resolve(session, incident, user.name, body.resolution)
    session.flush()
    return _detail(session, incident)


def install(app) -> None:
    """The app hook: the VES endpoint's sink, when ``TELCOLENS_ALARM_DATA_DIR`` is set."""
    alarm_dir = get_settings().alarm_data_dir
    app.state.ves_sink = ParquetSink(alarm_dir) if alarm_dir else None
