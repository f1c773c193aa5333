"""Administration: users and their logins, and the audit log (admin only)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.api.deps import CurrentUser, SessionDep, StoreRoute, allow
from telcolens.api.paging import Paged, paginate
from telcolens.api.params import Page
from telcolens.api.schemas import UserPublic
from telcolens.capabilities import role_names
from telcolens.store import users as accounts
from telcolens.store.models import AuditEntry, User

router = APIRouter(
    prefix="/api/admin", tags=["admin"], dependencies=[allow()], route_class=StoreRoute
)
UserName = Annotated[str, Path(min_length=1, max_length=64, description="Login name.")]
# The roles of the capabilities registered when the API is imported (the built-in ones).
ROLES = role_names()


Password = Annotated[str, Field(min_length=accounts.MIN_PASSWORD, max_length=256)]


class UserCreate(BaseModel):
    name: str = Field(pattern=accounts.NAME_PATTERN, description="Letters, digits, '-' or '_'.")
    role: Literal[ROLES]  # type: ignore[valid-type]
    password: Password


class NewPassword(BaseModel):
    password: Password


class UserAccount(UserPublic):
    """A user as the administrators see it."""

    active: bool
    created_at: dt.datetime
    sessions: int = Field(0, description="Live logins.")


class SessionsEnded(BaseModel):
    ended: int


class AuditRow(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    object_type: str
    object_id: str
    detail: dict[str, Any]


class AuditPage(Paged[AuditRow]):
    """A page of the audit log."""


def _public(u: User, sessions: int = 0) -> UserAccount:
    return UserAccount(
        name=u.name, role=u.role, active=u.active, created_at=u.created_at, sessions=sessions
    )


@router.get("/users")
def users(session: SessionDep) -> list[UserAccount]:
    live = accounts.live_sessions(session)
    return [
        _public(u, live.get(u.id, 0)) for u in session.scalars(select(User).order_by(User.name))
    ]


@router.post("/users", status_code=status.HTTP_201_CREATED)
def add_user(body: UserCreate, session: SessionDep, user: CurrentUser) -> UserAccount:
    u = accounts.create_user(session, body.name, body.role, body.password, actor=user.name)
    return _public(u)


def _after(session: Session, u: User) -> UserAccount:
    session.flush()  # the row's version check: a concurrent change is a 409 here
    return _public(u, accounts.live_sessions(session).get(u.id, 0))


@router.post("/users/{name}/disable")
def disable_user(name: UserName, session: SessionDep, user: CurrentUser) -> UserAccount:
    """Disable a user: their logins end at once and they cannot log in again."""
    return _after(session, accounts.disable_user(session, name, actor=user.name))


@router.post("/users/{name}/enable")
def enable_user(name: UserName, session: SessionDep, user: CurrentUser) -> UserAccount:
    """Let a disabled user log in again."""
    return _after(session, accounts.enable_user(session, name, actor=user.name))


@router.post("/users/{name}/password", status_code=status.HTTP_204_NO_CONTENT)
def set_password(name: UserName, body: NewPassword, session: SessionDep, user: CurrentUser) -> None:
    """Set a new password for a user; their logins end."""
    accounts.set_password(session, name, body.password, actor=user.name)


@router.delete("/users/{name}/sessions")
def end_sessions(name: UserName, session: SessionDep, user: CurrentUser) -> SessionsEnded:
    """End every login of a user (a lost laptop, a shared password)."""
    return SessionsEnded(ended=accounts.end_sessions(session, name, actor=user.name))


@router.get("/audit", response_model=AuditPage)
def audit(
    session: SessionDep,
    actor: str | None = None,
    object_type: str | None = None,
    object_id: str | None = None,
    page: Page = 1,
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
    total, rows = paginate(session, q.order_by(AuditEntry.id.desc()), page, page_size)
    return {
        "total": total,
        "page": page,
        "page_size": page_size,
        "items": [
            {
                "at": e.at,
                "actor": e.actor,
                "action": e.action,
                "object_type": e.object_type,
                "object_id": e.object_id,
                "detail": e.detail,
            }
            for e in rows.scalars()
        ],
    }
