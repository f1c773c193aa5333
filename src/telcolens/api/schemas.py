"""Response shapes every router shares: one of each, so the OpenAPI document has no twins."""

from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.store.models import AuditEntry


class UserPublic(BaseModel):
    """Who a user is, as every other user may see it."""

    name: str
    role: str


class HistoryItem(BaseModel):
    """One audited action on an object: when, who, what, with its detail."""

    at: dt.datetime
    actor: str
    action: str
    detail: dict[str, Any]


def history(session: Session, object_type: str, object_id: object) -> list[HistoryItem]:
    """The audit log of one object, oldest first."""
    rows = session.scalars(
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == str(object_id))
        .order_by(AuditEntry.id)
    )
    return [HistoryItem(at=h.at, actor=h.actor, action=h.action, detail=h.detail) for h in rows]
