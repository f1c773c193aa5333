"""The early-warning list (预警劝阻): subscribers to call or text, and what came of it.

Analysts and the service agents who make the calls share it, so it has a router of its
own with that role check declared once.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from fastapi import APIRouter
from pydantic import BaseModel
from sqlalchemy import func, select

from telcolens.antifraud.api import ANALYSTS
from telcolens.antifraud.models import VictimWarning
from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow, get_or_404
from telcolens.api.paging import Paged, paginate
from telcolens.api.params import Id, IsoDate, Page, PageSize
from telcolens.api.schemas import Pseudonym
from telcolens.errors import Conflict
from telcolens.store.audit import record
from telcolens.store.models import utcnow

router = APIRouter(
    prefix="/api/antifraud",
    tags=["antifraud"],
    dependencies=[allow(*ANALYSTS, "service_agent")],
    route_class=StoreRoute,
)


class WarningRow(BaseModel):
    id: int
    subscriber_id: Pseudonym
    fraud_number: Pseudonym
    points: int
    reasons: str | None
    age: float | None
    longest_call_s: int | None
    contacts: int | None
    contacted_at: dt.datetime | None
    contacted_by: str | None
    outcome: str | None


class WarningPage(Paged[WarningRow]):
    """A page of the day's warning list."""

    day: dt.date | None


class Contacted(BaseModel):
    id: int
    outcome: str
    contacted_at: dt.datetime


@router.get("/warnings", response_model=WarningPage)
def warnings(
    session: SessionDep,
    day: IsoDate | None = None,
    contacted: bool | None = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """Subscribers to warn (预警劝阻), riskiest first, for the day (default: latest run)."""
    day = day or session.scalar(select(func.max(VictimWarning.as_of)))
    q = select(VictimWarning).where(VictimWarning.as_of == day)
    if contacted is not None:
        done = VictimWarning.contacted_at.is_not(None)
        q = q.where(done if contacted else ~done)
    total, rows = paginate(
        session, q.order_by(VictimWarning.points.desc(), VictimWarning.id), page, page_size
    )
    return {
        "day": day,
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [
            {
                "id": w.id,
                "subscriber_id": w.subscriber_id,
                "fraud_number": w.fraud_number,
                "points": w.points,
                "reasons": w.detail.get("reasons"),
                "age": w.detail.get("age"),
                "longest_call_s": w.detail.get("longest_call_s"),
                "contacts": w.detail.get("contacts"),
                "contacted_at": w.contacted_at,
                "contacted_by": w.contacted_by,
                "outcome": w.outcome,
            }
            for w in rows.scalars()
        ],
    }


class Contact(BaseModel):
    outcome: Literal["warned_by_call", "warned_by_sms", "unreachable", "already_lost_money"]


@router.post("/warnings/{warning_id}/contacted", response_model=Contacted)
def warning_contacted(
    warning_id: Id, body: Contact, session: SessionDep, user: CurrentUser
) -> dict[str, Any]:
    """Record that a subscriber on the warning list was called or texted, and how it went."""
    w = get_or_404(session, VictimWarning, warning_id, "warning")
    if w.contacted_at is not None:
        raise Conflict(
            f"warning {w.id} was recorded as contacted by {w.contacted_by} at "
            f"{w.contacted_at:%Y-%m-%d %H:%M} UTC ({w.outcome})"
        )
    w.contacted_at, w.contacted_by, w.outcome = utcnow(), user.name, body.outcome
    record(session, user.name, "warning.contacted", "victim_warning", w.id, outcome=body.outcome)
    return {"id": w.id, "outcome": w.outcome, "contacted_at": w.contacted_at}
