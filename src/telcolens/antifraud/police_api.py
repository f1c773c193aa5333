"""The police liaison's view: confirmed cases handed to the anti-fraud centre, and exports.

An export carries what the centre needs to act on a number: the pseudonym (the
operator resolves it to the number on its own key-holding system; telcolens
never holds raw numbers), first and last call seen, reasons, evidence counts,
the case id, the analyst who confirmed it and when it was handed over.

A handed-over case stays in the export for good, with its current ``status``: one that
was reinstated afterwards (cleared) is marked ``withdrawn``, so the centre knows to
withdraw its copy rather than finding the case silently gone.
"""

from __future__ import annotations

import datetime as dt
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from pydantic import BaseModel
from sqlalchemy import select

from telcolens import csvsafe
from telcolens.antifraud.models import FraudCase, PoliceExport
from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow
from telcolens.api.params import IsoDate
from telcolens.api.schemas import Pseudonym
from telcolens.store.audit import record
from telcolens.store.models import AuditEntry

router = APIRouter(
    prefix="/api/antifraud/police",
    tags=["police"],
    dependencies=[allow("police_liaison")],
    route_class=StoreRoute,
)
EXPORT_FIELDS = (
    "case_id",
    "number_pseudonym",
    "status",
    "withdrawn",
    "withdrawn_at",
    "first_seen",
    "last_seen",
    "score",
    "reasons",
    "calls_out",
    "distinct_callees",
    "subscribers_reached",
    "subscribers_answered",
    "victims_warned",
    "analyst",
    "confirmed_at",
    "handed_over_by",
    "handed_over_at",
)


class ExportRow(BaseModel):
    """One handed-over case as the centre gets it (the fields of ``EXPORT_FIELDS``)."""

    case_id: int
    number_pseudonym: Pseudonym
    status: str
    withdrawn: bool
    withdrawn_at: dt.datetime | None
    first_seen: dt.datetime | None
    last_seen: dt.datetime | None
    score: float
    reasons: str
    calls_out: int | float | None
    distinct_callees: int | float | None
    subscribers_reached: int | None
    subscribers_answered: int | None
    victims_warned: int | None
    analyst: str | None
    confirmed_at: dt.datetime | None
    handed_over_by: str | None
    handed_over_at: dt.datetime | None


EXPORT_RESPONSES: dict[int | str, dict[str, Any]] = {
    200: {
        "description": "The export: CSV (UTF-8 with a byte-order mark) or JSON.",
        "content": {
            "text/csv": {"schema": {"type": "string"}},
            "application/json": {
                "schema": {"type": "array", "items": {"$ref": "#/components/schemas/ExportRow"}}
            },
        },
    }
}


def _export_row(c: FraudCase, confirmed: tuple[str, dt.datetime] | None) -> dict[str, Any]:
    ev = c.evidence or {}
    measures = ev.get("evidence", {})
    reach = ev.get("subscribers_reached", {})
    # Only a confirmed case can be handed over; any other status now means the
    # confirmation the centre holds was taken back (reinstated, maybe since reopened).
    withdrawn = c.status != "confirmed"
    analyst, confirmed_at = confirmed or (c.analyst, c.decided_at)
    return {
        "case_id": c.id,
        "number_pseudonym": c.subscriber_id,
        "status": c.status,
        "withdrawn": withdrawn,
        "withdrawn_at": c.decided_at if withdrawn else None,
        "first_seen": c.first_seen,
        "last_seen": c.last_seen,
        "score": round(c.score, 4),
        "reasons": c.reasons,
        "calls_out": measures.get("calls_out"),
        "distinct_callees": measures.get("distinct_callees"),
        "subscribers_reached": reach.get("reached"),
        "subscribers_answered": reach.get("answered"),
        "victims_warned": reach.get("warned"),
        "analyst": analyst,
        "confirmed_at": confirmed_at,
        "handed_over_by": c.handed_over_by,
        "handed_over_at": c.handed_over_at,
    }


def _handed_over(session, since: dt.date | None):
    q = select(FraudCase).where(FraudCase.handed_over_at.is_not(None))
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), dt.UTC)
        q = q.where(FraudCase.handed_over_at >= start)
    return list(session.scalars(q.order_by(FraudCase.handed_over_at.desc(), FraudCase.id)))


def _rows(session, cases: list[FraudCase]) -> list[dict[str, Any]]:
    """The export rows, each with who confirmed the case and when, as handed over.

    A reinstatement overwrites the case's analyst and decision time, so they come from
    the audit log: the last confirmation before the hand-over.
    """
    ids = [str(c.id) for c in cases]
    confirmations: dict[str, list[AuditEntry]] = {}
    for start in range(0, len(ids), 5000):
        q = select(AuditEntry).where(
            AuditEntry.object_type == "fraud_case",
            AuditEntry.action == "case.confirm",
            AuditEntry.object_id.in_(ids[start : start + 5000]),
        )
        for entry in session.scalars(q.order_by(AuditEntry.at, AuditEntry.id)):
            confirmations.setdefault(entry.object_id, []).append(entry)
    rows = []
    for c in cases:
        before = [e for e in confirmations.get(str(c.id), []) if e.at <= c.handed_over_at]
        rows.append(_export_row(c, (before[-1].actor, before[-1].at) if before else None))
    return rows


@router.get("/cases")
def handed_over_cases(
    session: SessionDep,
    since: Annotated[IsoDate | None, Query(description="Handed over on or after (UTC).")] = None,
) -> list[ExportRow]:
    """Cases handed to the police (the only cases this role sees)."""
    return _rows(session, _handed_over(session, since))


@router.get("/export", responses=EXPORT_RESPONSES)
def export(
    session: SessionDep,
    user: CurrentUser,
    format: Literal["csv", "json"] = "csv",
    since: Annotated[IsoDate | None, Query(description="Handed over on or after (UTC).")] = None,
) -> Response:
    """Download the handed-over cases as CSV or JSON; each export is recorded."""
    cases = _handed_over(session, since)
    rows = _rows(session, cases)
    session.add(PoliceExport(created_by=user.name, format=format, case_ids=[c.id for c in cases]))
    record(session, user.name, "police.export", "police_export", format, cases=len(rows))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"telcolens-police-export-{stamp}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        # The model's python form (the pseudonym a string), with datetimes as isoformat() has them.
        typed = [ExportRow.model_validate(r).model_dump() for r in rows]
        body = json.dumps(jsonable_encoder(typed), ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json", headers=headers)
    buf = io.StringIO()
    writer = csvsafe.dict_writer(buf, EXPORT_FIELDS)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv(v) for k, v in r.items()})
    # A byte-order mark, so spreadsheet programs read the Chinese reasons as UTF-8.
    return Response(
        "\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )


def _csv(v: Any) -> Any:
    if isinstance(v, bool):
        return "true" if v else "false"
    return v.isoformat() if isinstance(v, dt.datetime) else v
