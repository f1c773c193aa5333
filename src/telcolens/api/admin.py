"""Administration: users and the audit log (admin only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import func, select

from telcolens.api.deps import CurrentUser, SessionDep, allow
from telcolens.store.models import ROLES, AuditEntry, User
from telcolens.store.users import UserError, create_user

router = APIRouter(prefix="/api/admin", tags=["admin"], dependencies=[allow()])


class UserCreate(BaseModel):
    name: str = Field(min_length=1, max_length=64)
    role: str = Field(description=f"One of {', '.join(ROLES)}.")
    password: str = Field(min_length=1, max_length=256)


class UserPublic(BaseModel):
    name: str
    role: str
    active: bool
    created_at: dt.datetime


@router.get("/users")
def users(session: SessionDep) -> list[UserPublic]:
    return [
        UserPublic(name=u.name, role=u.role, active=u.active, created_at=u.created_at)
        for u in session.scalars(select(User).order_by(User.name))
    ]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, session: SessionDep, user: CurrentUser) -> UserPublic:
    try:
        u = create_user(session, body.name, body.role, body.password, actor=user.name)
    except UserError as exc:
        raise HTTPException(status.HTTP_422_UNPROCESSABLE_ENTITY, str(exc)) from None
    return UserPublic(name=u.name, role=u.role, active=u.active, created_at=u.created_at)


@router.get("/audit")
def audit(
    session: SessionDep,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    page: Annotated[int, Query(ge=1)] = 1,
    page_size: Annotated[int, Query(ge=1, le=500)] = 100,
) -> dict[str, Any]:
    """The audit log, newest first."""
    q = select(AuditEntry)
    for col, value in (
        (AuditEntry.actor, actor),
        (AuditEntry.object_type, object_type),
        (AuditEntry.object_id, object_id),
    ):
        if value is not None:
            q = q.where(col == value)
    total = session.scalar(select(func.count()).select_from(q.subquery()))
    rows = session.scalars(
        q.order_by(AuditEntry.id.desc()).offset((page - 1) * page_size).limit(page_size)
    )
    return {
        "total": total or 0,
        "items": [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "detail": e.detail,
            }
            for e in rows
        ],
    }
