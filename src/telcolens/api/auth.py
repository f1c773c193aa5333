"""Logging in and out; who am I.

A login is four short steps, none of which holds a lock while waiting: the throttle
check and the user's hash (one unit of work), the Argon2 check on a thread pool of its
own (so guessers queue there, not in front of everyone's requests), then the failure
count or the new session (one unit of work). See docs/service.md, "Logins".
"""

from __future__ import annotations

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.api.deps import COOKIE, CurrentUser, SessionDep, StoreRoute, in_unit, request_token
from telcolens.errors import TooManyAttempts
from telcolens.settings import get_settings
from telcolens.store import throttle
from telcolens.store.audit import record
from telcolens.store.models import User
from telcolens.store.users import (
    end_session,
    password_hash_of,
    rehash,
    start_session,
    verify_password,
)

router = APIRouter(prefix="/api/auth", tags=["auth"], route_class=StoreRoute)
# One thread hashes at a time: a flood of logins costs one core, never the request pool.
_HASHING = anyio.CapacityLimiter(1)


class Login(BaseModel):
    name: str = Field(max_length=64)
    password: str = Field(max_length=256)


class UserPublic(BaseModel):
    name: str
    role: str


class LoginPublic(BaseModel):
    token: str = Field(description="Send as `Authorization: Bearer <token>` (or use the cookie).")
    user: UserPublic


@router.post("/login")
async def login(body: Login, request: Request, response: Response) -> LoginPublic:
    """Log in with name and password: returns a token and sets the console's cookie.

    Repeated failures for one name or from one address are answered 429 with
    ``Retry-After`` for a while that doubles with each further failure.
    """
    settings = get_settings()
    sessions = request.app.state.sessions
    keys = throttle.keys(body.name, request.client.host if request.client else None)
    wait, stored = await in_unit(sessions, _before, keys, body.name, settings.login_throttle)
    if wait:
        raise TooManyAttempts(f"too many failed logins; try again in {wait} s", wait)
    ok = await anyio.to_thread.run_sync(verify_password, stored, body.password, limiter=_HASHING)
    if not ok:
        await in_unit(sessions, _failed, keys, body.name, settings.login_throttle)
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
    user, token = await in_unit(sessions, _succeeded, keys, body.name, body.password)
    if user is None:  # disabled between the two steps
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
    response.set_cookie(
        COOKIE,
        token,
        max_age=int(settings.session_hours * 3600),
        httponly=True,  # scripts cannot read it
        samesite="strict",  # other sites cannot send it (no cross-site request forgery)
        secure=settings.secure_cookies,
    )
    return LoginPublic(token=token, user=UserPublic(name=user.name, role=user.role))


def _before(session: Session, keys: list[str], name: str, throttled: bool):
    wait = throttle.retry_after(session, keys) if throttled else 0
    return wait, (None if wait else password_hash_of(session, name))


def _failed(session: Session, keys: list[str], name: str, throttled: bool) -> None:
    failures = throttle.fail(session, keys) if throttled else []
    if not throttled or any(f.audit for f in failures):
        detail = {f.key.split(":", 1)[0]: f.failures for f in failures}
        blocked = max((f.blocked_for for f in failures), default=0)
        record(session, name, "auth.login_failed", "user", name, failures=detail, blocked_s=blocked)


def _succeeded(session: Session, keys: list[str], name: str, password: str):
    user = session.scalar(select(User).where(User.name == name, User.active))
    if user is None:
        return None, None
    rehash(user, password)
    throttle.forget(session, keys[:1])  # the name's failures; the address keeps its own
    token = start_session(session, user, get_settings().session_hours)
    record(session, user.name, "auth.login", "user", user.name)
    return user, token


@router.post("/logout", status_code=status.HTTP_204_NO_CONTENT)
def logout(request: Request, response: Response, user: CurrentUser, session: SessionDep) -> None:
    token = request_token(request)
    if token:
        end_session(session, token)
    record(session, user.name, "auth.logout", "user", user.name)
    response.delete_cookie(COOKIE)


@router.get("/me")
def me(user: CurrentUser) -> UserPublic:
    return UserPublic(name=user.name, role=user.role)
