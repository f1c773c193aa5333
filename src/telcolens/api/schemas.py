"""Response shapes every router shares: one of each, so the OpenAPI document has no twins."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from pydantic import BaseModel, PlainSerializer, WithJsonSchema
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.store.models import AuditEntry

Pseudonym = Annotated[
    int,
    PlainSerializer(str, return_type=str),
    WithJsonSchema(
        {
            "type": "string",
            "pattern": "^-?[0-9]+$",
            "description": "A 64-bit pseudonym, as a string (JavaScript numbers would round it).",
            "examples": ["-4611686018427387904"],
        }
    ),
]
"""A pseudonym in an answer: held as an integer, always sent as a string."""


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
