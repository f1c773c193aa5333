"""The police liaison's view: confirmed cases handed to the anti-fraud centre, and exports.

An export carries what the centre needs to act on a number: the pseudonym (the
operator resolves it to the number on its own key-holding system; telcolens
never holds raw numbers), first and last call seen, reasons, evidence counts,
the case id, the analyst who confirmed it and when it was handed over.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.encoders import jsonable_encoder
from fastapi.responses import Response
from sqlalchemy import select

from telcolens.api.deps import CurrentUser, SessionDep, allow
from telcolens.store.audit import record
from telcolens.store.models import FraudCase, PoliceExport

router = APIRouter(
    prefix="/api/antifraud/police", tags=["police"], dependencies=[allow("police_liaison")]
)
EXPORT_FIELDS = (
    "case_id",
    "number_pseudonym",
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


def _export_row(c: FraudCase) -> dict[str, Any]:
    ev = c.evidence or {}
    measures = ev.get("evidence", {})
    reach = ev.get("subscribers_reached", {})
    return {
        "case_id": c.id,
        "number_pseudonym": str(c.subscriber_id),
        "first_seen": c.first_seen,
        "last_seen": c.last_seen,
        "score": round(c.score, 4),
        "reasons": c.reasons,
        "calls_out": measures.get("calls_out"),
        "distinct_callees": measures.get("distinct_callees"),
        "subscribers_reached": reach.get("reached"),
        "subscribers_answered": reach.get("answered"),
        "victims_warned": reach.get("warned"),
        "analyst": c.analyst,
        "confirmed_at": c.decided_at,
        "handed_over_by": c.handed_over_by,
        "handed_over_at": c.handed_over_at,
    }


def _handed_over(session, since: dt.date | None):
    q = select(FraudCase).where(FraudCase.handed_over_at.is_not(None))
    if since is not None:
        start = dt.datetime.combine(since, dt.time(), dt.UTC)
        q = q.where(FraudCase.handed_over_at >= start)
    return list(session.scalars(q.order_by(FraudCase.handed_over_at.desc(), FraudCase.id)))


@router.get("/cases")
def handed_over_cases(
    session: SessionDep,
    since: Annotated[dt.date | None, Query(description="Handed over on or after (UTC).")] = None,
) -> list[dict[str, Any]]:
    """Cases handed to the police (the only cases this role sees)."""
    return [_export_row(c) for c in _handed_over(session, since)]


@router.get("/export")
def export(
    session: SessionDep,
    user: CurrentUser,
    format: Literal["csv", "json"] = "csv",
    since: Annotated[dt.date | None, Query(description="Handed over on or after (UTC).")] = None,
) -> Response:
    """Download the handed-over cases as CSV or JSON; each export is recorded."""
    cases = _handed_over(session, since)
    rows = [_export_row(c) for c in cases]
    session.add(PoliceExport(created_by=user.name, format=format, case_ids=[c.id for c in cases]))
    record(session, user.name, "police.export", "police_export", format, cases=len(rows))
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    name = f"telcolens-police-export-{stamp}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{name}"'}
    if format == "json":
        body = json.dumps(jsonable_encoder(rows), ensure_ascii=False, indent=1)
        return Response(body, media_type="application/json", headers=headers)
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=EXPORT_FIELDS)
    writer.writeheader()
    for r in rows:
        writer.writerow({k: _csv(v) for k, v in r.items()})
    # A byte-order mark, so spreadsheet programs read the Chinese reasons as UTF-8.
    return Response(
        "\ufeff" + buf.getvalue(), media_type="text/csv; charset=utf-8", headers=headers
    )


def _csv(v: Any) -> Any:
    return v.isoformat() if isinstance(v, dt.datetime) else v
