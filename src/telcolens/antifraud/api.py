"""The anti-fraud API: the day's figures, the case queue and its actions, the lists.

Pseudonyms are 64-bit integers, beyond what JavaScript numbers hold exactly, so
they travel as strings (``Pseudonym`` in the answers' models).
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import orjson
from fastapi import APIRouter, Query, Response
from pydantic import BaseModel, Field
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from telcolens.antifraud import workflow
from telcolens.antifraud.lists import CATEGORIES
from telcolens.antifraud.models import (
    CASE_STATUSES,
    CardBroker,
    CaseActivity,
    FraudCase,
    Run,
    VictimWarning,
    WhitelistEntry,
)
from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow, get_or_404
from telcolens.api.paging import Paged, paginate
from telcolens.api.params import NO_NUL, Id, IsoDate, Page, PageSize, PseudonymQuery
from telcolens.api.schemas import HistoryItem, Pseudonym, history
from telcolens.errors import Conflict
from telcolens.privacy import pseudonymise
from telcolens.store.audit import record
from telcolens.store.db import is_duplicate

ANALYSTS = ("fraud_analyst",)
CASES = FraudCase.__table__
# Every route here is the analysts'; the warning list, shared with service agents, has its
# own router (``warnings_api``).
router = APIRouter(
    prefix="/api/antifraud",
    tags=["antifraud"],
    dependencies=[allow(*ANALYSTS)],
    route_class=StoreRoute,
)


class CaseRow(BaseModel):
    id: int
    subscriber_id: Pseudonym
    status: str
    score: float
    flagged_by: str
    rules: list[str]
    reasons: str
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    first_flagged: dt.date
    last_flagged: dt.date
    times_flagged: int
    analyst: str | None
    handed_over_at: dt.datetime | None

    @classmethod
    def fields_of(cls, c: FraudCase) -> dict[str, Any]:
        """The model's fields as the case holds them (a pseudonym still an integer)."""
        return {k: getattr(c, k) for k in cls.model_fields}


class CasePage(Paged[CaseRow]):
    """A page of the case queue."""


class CaseDetail(CaseRow):
    evidence: dict[str, Any]
    decision_note: str | None
    decided_at: dt.datetime | None
    handed_over_by: str | None
    history: list[HistoryItem] = Field(default_factory=list)


class Note(BaseModel):
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class Reason(BaseModel):
    reason: str = Field(min_length=1, max_length=2000, pattern=NO_NUL)


class WhitelistCase(BaseModel):
    category: Literal[CATEGORIES]  # type: ignore[valid-type]
    note: str = Field("", max_length=2000, pattern=NO_NUL)


class Summary(BaseModel):
    as_of: dt.date | None = Field(description="The latest run's day.")
    cases: dict[str, int] = Field(description="Cases by status.")
    handed_over: int
    # The latest run's figures; absent before the first run.
    flagged_today: int | None = None
    new_today: int | None = None
    victim_warnings: int | None = None
    card_brokers: dict[str, int] | None = Field(None, description="Brokers by kind.")


class TrendDay(BaseModel):
    day: dt.date
    flagged: int
    new_cases: int
    victim_warnings: int


class CityActivity(BaseModel):
    city: str | None
    numbers: int
    calls: int


class CellActivity(CityActivity):
    cell_id: Pseudonym
    lat: float
    lon: float | None


class ActivityMap(BaseModel):
    day: dt.date | None
    cities: list[CityActivity]
    cells: list[CellActivity]


class BrokerRow(BaseModel):
    kind: str
    entity: str
    score: float
    sims: int | None = None
    flagged_sims: int | None = None
    reasons: str | None = None


class BrokerList(BaseModel):
    day: dt.date | None
    items: list[BrokerRow]


class WhitelistRow(BaseModel):
    subscriber_id: Pseudonym
    category: str
    note: str
    added_by: str
    added_at: dt.datetime


class Whitelisted(BaseModel):
    subscriber_id: Pseudonym


class WhitelistAdd(WhitelistCase):
    number: str = Field(
        min_length=5,
        max_length=32,
        # At least 5 digits once spaces, dashes, brackets and '+' are dropped (normalise).
        pattern=r"^[ ()+-]*(?:[0-9][ ()+-]*){5,}$",
        description="As dialled (digits, spaces, '+', '-', brackets); stored pseudonymised.",
    )


@router.get("/summary", response_model=Summary)
def summary(session: SessionDep) -> dict[str, Any]:
    """The latest run's figures and the case queue by status."""
    run = session.scalar(select(Run).order_by(Run.as_of.desc()).limit(1))
    by_status = dict(
        session.execute(select(FraudCase.status, func.count()).group_by(FraudCase.status)).all()
    )
    out: dict[str, Any] = {
        "as_of": run.as_of if run else None,
        "cases": {s: by_status.get(s, 0) for s in CASE_STATUSES},
        "handed_over": session.scalar(
            select(func.count()).where(FraudCase.handed_over_at.is_not(None))
        ),
    }
    if run is not None:
        day = run.as_of
        out["flagged_today"] = session.scalar(
            select(func.count()).where(FraudCase.last_flagged == day)
        )
        out["new_today"] = session.scalar(
            select(func.count()).where(FraudCase.first_flagged == day)
        )
        out["victim_warnings"] = session.scalar(
            select(func.count()).where(VictimWarning.as_of == day)
        )
        out["card_brokers"] = dict(
            session.execute(
                select(CardBroker.kind, func.count())
                .where(CardBroker.as_of == day)
                .group_by(CardBroker.kind)
            ).all()
        )
    return out


@router.get("/trend", response_model=list[TrendDay])
def trend(
    session: SessionDep, days: Annotated[int, Query(ge=1, le=366)] = 30
) -> list[dict[str, Any]]:
    """Per run day: numbers flagged, new cases, victims to warn, cases confirmed and cleared."""
    runs = list(session.scalars(select(Run).order_by(Run.as_of.desc()).limit(days)))[::-1]
    if not runs:
        return []
    since = runs[0].as_of
    new = dict(
        session.execute(
            select(FraudCase.first_flagged, func.count())
            .where(FraudCase.first_flagged >= since)
            .group_by(FraudCase.first_flagged)
        ).all()
    )
    return [
        {
            "day": r.as_of,
            "flagged": r.summary.get("fraud_numbers", 0),
            "new_cases": new.get(r.as_of, 0),
            "victim_warnings": r.summary.get("victim_warnings", 0),
        }
        for r in runs
    ]


@router.get("/map", response_model=ActivityMap)
def activity_map(
    session: SessionDep,
    day: IsoDate | None = None,
    cells: Annotated[int, Query(ge=0, le=5000, description="Busiest cells to return.")] = 500,
) -> dict[str, Any]:
    """Where flagged numbers were active on ``day`` (default: the latest run)."""
    day = day or session.scalar(select(func.max(CaseActivity.as_of)))
    if day is None:
        return {"day": None, "cities": [], "cells": []}
    where = CaseActivity.as_of == day
    by_city = session.execute(
        select(
            CaseActivity.city,
            func.count(func.distinct(CaseActivity.subscriber_id)).label("numbers"),
            func.sum(CaseActivity.calls).label("calls"),
        )
        .where(where)
        .group_by(CaseActivity.city)
        .order_by(func.sum(CaseActivity.calls).desc())
    ).all()
    by_cell = session.execute(
        select(
            CaseActivity.cell_id,
            CaseActivity.city,
            CaseActivity.lat,
            CaseActivity.lon,
            func.count(func.distinct(CaseActivity.subscriber_id)).label("numbers"),
            func.sum(CaseActivity.calls).label("calls"),
        )
        .where(where & CaseActivity.lat.is_not(None))
        .group_by(CaseActivity.cell_id, CaseActivity.city, CaseActivity.lat, CaseActivity.lon)
        .order_by(func.sum(CaseActivity.calls).desc(), CaseActivity.cell_id)
        .limit(cells)
    ).all()
    return {
        "day": day,
        "cities": [dict(r._mapping) for r in by_city],
        "cells": [dict(r._mapping) for r in by_cell],
    }


@router.get("/cases", response_model=CasePage)
def list_cases(
    session: SessionDep,
    status_: Annotated[
        Literal[CASE_STATUSES] | None,  # type: ignore[valid-type]
        Query(alias="status", description="Only cases in this status."),
    ] = None,
    subscriber_id: PseudonymQuery = None,
    min_score: Annotated[float | None, Query(ge=0, le=1)] = None,
    flagged_on: Annotated[IsoDate | None, Query(description="Flagged by this day's run.")] = None,
    handed_over: bool | None = None,
    sort: Literal["score", "last_flagged", "first_flagged", "id"] = "score",
    page: Page = 1,
    page_size: PageSize = 50,
) -> Response:
    """The case queue, filtered and paged; highest score (or latest) first."""
    # Core statements over the table, not ORM objects: this is the hottest endpoint, and
    # leaving out the evidence keeps the sort small (docs/benchmarks.md).
    c = CASES.c
    where = []
    if status_:
        where.append(c.status == status_)
    if subscriber_id is not None:
        where.append(c.subscriber_id == subscriber_id)
    if min_score is not None:
        where.append(c.score >= min_score)
    if flagged_on is not None:
        where.append(c.last_flagged == flagged_on)
    if handed_over is not None:
        where.append(c.handed_over_at.is_not(None) if handed_over else c.handed_over_at.is_(None))
    total, rows = paginate(
        session,
        select(*(c[f] for f in CaseRow.model_fields))
        .where(*where)
        .order_by(c[sort].desc(), c.id.desc()),
        page,
        page_size,
    )
    # CasePage's wire form written by orjson rather than pydantic (a fifth of the time):
    # by hand, then, the one thing the model does, ``Pseudonym`` as a string.
    items = [{**r, "subscriber_id": str(r["subscriber_id"])} for r in rows.mappings()]
    body = {"total": total, "page": page, "page_size": page_size, "items": items}
    return Response(orjson.dumps(body, option=orjson.OPT_UTC_Z), media_type="application/json")


def _case(session, case_id: int) -> FraudCase:
    return get_or_404(session, FraudCase, case_id, "case")


JS_SAFE = 2**53 - 1  # the largest integer a JavaScript number holds exactly


def js_safe(value: Any) -> Any:
    """``value`` with every integer JavaScript would round (pseudonyms) as a string."""
    if isinstance(value, dict):
        return {k: js_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [js_safe(v) for v in value]
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > JS_SAFE:
        return str(value)
    return value


def _detail(session, case: FraudCase) -> CaseDetail:
    return CaseDetail(
        **CaseRow.fields_of(case),
        evidence=js_safe(case.evidence),
        decision_note=case.decision_note,
        decided_at=case.decided_at,
        handed_over_by=case.handed_over_by,
        history=history(session, "fraud_case", case.id),
    )


@router.get("/cases/{case_id}")
def get_case(case_id: Id, session: SessionDep) -> CaseDetail:
    """One case with its evidence, reasons and history."""
    return _detail(session, _case(session, case_id))


def _act(session, case_id: int, user, action: str, **kwargs) -> CaseDetail:
    case = _case(session, case_id)
    workflow.ACTIONS[action](session, case, user.name, **kwargs)
    session.flush()  # the row's version check: a concurrent change of the case is a 409 here
    return _detail(session, case)


@router.post("/cases/{case_id}/review")
def review_case(case_id: Id, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """Take a new case for review."""
    return _act(session, case_id, user, "review")


@router.post("/cases/{case_id}/confirm")
def confirm_case(case_id: Id, body: Note, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """Confirm the number is used for fraud."""
    return _act(session, case_id, user, "confirm", note=body.note)


@router.post("/cases/{case_id}/clear")
def clear_case(case_id: Id, body: Reason, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """Clear the case (not fraud), with a reason."""
    return _act(session, case_id, user, "clear", reason=body.reason)


@router.post("/cases/{case_id}/whitelist")
def whitelist_case(
    case_id: Id, body: WhitelistCase, session: SessionDep, user: CurrentUser
) -> CaseDetail:
    """Clear the case and whitelist the number (a registered business line)."""
    return _act(session, case_id, user, "whitelist", category=body.category, note=body.note)


@router.post("/cases/{case_id}/reinstate")
def reinstate_case(case_id: Id, body: Reason, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """Restore a confirmed number's service after appeal (the case is cleared)."""
    return _act(session, case_id, user, "reinstate", reason=body.reason)


@router.post("/cases/{case_id}/hand-over")
def hand_over_case(case_id: Id, session: SessionDep, user: CurrentUser) -> CaseDetail:
    """Hand a confirmed case to the police anti-fraud centre."""
    return _act(session, case_id, user, "hand_over")


@router.get("/brokers", response_model=BrokerList)
def card_brokers(
    session: SessionDep,
    day: IsoDate | None = None,
    kind: Literal["id_card", "device", "outlet"] | None = None,
) -> dict[str, Any]:
    """ID cards, devices and outlets ranked as card brokers (断卡), for the day."""
    day = day or session.scalar(select(func.max(CardBroker.as_of)))
    q = select(CardBroker).where(CardBroker.as_of == day)
    if kind:
        q = q.where(CardBroker.kind == kind)
    rows = session.scalars(q.order_by(CardBroker.score.desc(), CardBroker.id))
    return {
        "day": day,
        "items": [{"kind": b.kind, "entity": b.entity, "score": b.score, **b.detail} for b in rows],
    }


@router.get("/whitelist", response_model=list[WhitelistRow])
def get_whitelist(session: SessionDep) -> list[dict[str, Any]]:
    rows = session.scalars(select(WhitelistEntry).order_by(WhitelistEntry.added_at.desc()))
    return [
        {
            "subscriber_id": w.subscriber_id,
            "category": w.category,
            "note": w.note,
            "added_by": w.added_by,
            "added_at": w.added_at,
        }
        for w in rows
    ]


@router.post("/whitelist", status_code=201, response_model=Whitelisted)
def add_whitelist(body: WhitelistAdd, session: SessionDep, user: CurrentUser) -> dict[str, int]:
    """Whitelist a number as dialled; only its pseudonym is kept."""
    sid = pseudonymise(body.number)
    if session.get(WhitelistEntry, sid) is not None:
        raise Conflict("that number is already on the whitelist")
    session.add(
        WhitelistEntry(
            subscriber_id=sid, category=body.category, note=body.note, added_by=user.name
        )
    )
    record(session, user.name, "whitelist.add", "whitelist", sid, category=body.category)
    try:
        session.flush()
    except IntegrityError as exc:  # added by a concurrent request after the check above
        if not is_duplicate(exc):
            raise
        raise Conflict("that number is already on the whitelist") from None
    return {"subscriber_id": sid}
