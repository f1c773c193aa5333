"""The audit log: one append-only row per action a person (or a job) took."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from telcolens.store.models import AuditEntry


def record(
    session: Session, actor: str, action: str, object_type: str, object_id: object, **detail: Any
) -> AuditEntry:
    """Append an entry in the caller's transaction: it commits or rolls back with the action."""
    entry = AuditEntry(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        detail=detail,
    )
    session.add(entry)
    return entry
