"""Logging in and out; who am I.

A login is four short steps, none of which holds a lock while waiting: the throttle
check and the user's hash (one unit of work), the Argon2 check on a thread pool of its
own (so guessers queue there, not in front of everyone's requests), then the failure
count or the new session (one unit of work). See docs/service.md, "Logins".
"""

from __future__ import annotations

import itertools
import math
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager

import anyio
import anyio.to_thread
from fastapi import APIRouter, HTTPException, Request, Response, status
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.api import console
from telcolens.api.deps import COOKIE, CurrentUser, SessionDep, StoreRoute, in_unit, request_token
from telcolens.api.params import NO_NUL
from telcolens.api.schemas import UserPublic
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
# Logins being checked now, per throttle key. A person logs in once at a time; a guesser
# running many at once would otherwise all pass the throttle before the first one failed.
_IN_FLIGHT: Counter[str] = Counter()
MAX_IN_FLIGHT = {"name": 1, "addr": 4}
MAX_WAITING = 64  # logins queued for the hasher beyond this are shed at once
# The logins' own store work runs on a thread of its own too, off the request pool.
_LOGINS = anyio.CapacityLimiter(1)
# Blocks this process has seen start, by key: checked before the store is asked, so a
# blocked guesser is answered from memory. The store stays the truth across processes.
_BLOCKED: dict[str, float] = {}
_FAILED = itertools.count(1)
PRUNE_EVERY = 500  # failed logins


def _known_blocks(keys: list[str]) -> int:
    now = time.monotonic()
    until = max((_BLOCKED.get(k, 0.0) for k in keys), default=0.0)
    return math.ceil(until - now) if until > now else 0


def _refuse_if_blocked(wait: int) -> None:
    if wait:
        raise TooManyAttempts(f"too many failed logins; try again in {wait} s", wait)


@contextmanager
def _one_at_a_time(keys: list[str], throttled: bool) -> Iterator[None]:
    """Refuse (429) a login whose name or address already has one being checked.

    Runs on the event loop only, so the count needs no lock.
    """
    if throttled:
        if any(_IN_FLIGHT[k] >= MAX_IN_FLIGHT[throttle.kind_of(k)] for k in keys):
            raise TooManyAttempts("a login for this name or address is being checked", 1)
        if _HASHING.statistics().tasks_waiting >= MAX_WAITING:
            raise TooManyAttempts("too many logins at once; try again", 1)
    _IN_FLIGHT.update(keys)
    try:
        yield
    finally:
        _IN_FLIGHT.subtract(keys)
        for k in keys:
            if _IN_FLIGHT[k] <= 0:
                del _IN_FLIGHT[k]


class Login(BaseModel):
    name: str = Field(max_length=64, pattern=NO_NUL)
    password: str = Field(max_length=256)


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
    if settings.login_throttle:
        _refuse_if_blocked(_known_blocks(keys))  # on the event loop: a guesser costs no thread
    wait, stored = await in_unit(
        sessions, _before, keys, body.name, settings.login_throttle, limiter=_LOGINS
    )
    _refuse_if_blocked(wait)
    with _one_at_a_time(keys, settings.login_throttle):  # until the failure is counted
        ok = await anyio.to_thread.run_sync(
            verify_password, stored, body.password, limiter=_HASHING
        )
        if not ok:
            await in_unit(
                sessions, _failed, keys, body.name, settings.login_throttle, limiter=_LOGINS
            )
    if not ok:
        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "wrong name or password")
    user, token = await in_unit(
        sessions, _succeeded, keys, body.name, body.password, limiter=_LOGINS
    )
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
    if throttled and next(_FAILED) % PRUNE_EVERY == 0:
        # Guessing many names or from many addresses leaves a row each: drop the quiet ones.
        throttle.prune(session)
    now = time.monotonic()
    for f in failures:
        if f.blocked_for:
            _BLOCKED[f.key] = now + f.blocked_for
    if len(_BLOCKED) > 100_000:  # forget expired blocks now and then
        for key in [k for k, until in _BLOCKED.items() if until < now]:
            del _BLOCKED[key]
    # Every failure that gets through is audited; the throttle keeps them few (a 429 is
    # answered before any password is checked and leaves no row).
    detail = {throttle.kind_of(f.key): f.failures for f in failures}
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


class Me(UserPublic):
    sections: list[console.SectionPublic] = Field(
        description="The console pages this user may open, by section (built from the registry)."
    )
    known_paths: list[str] = Field(description="Every page path of the console.")


@router.get("/me")
def me(user: CurrentUser) -> Me:
    """Who is logged in, and the console pages their role may open."""
    return Me(
        name=user.name,
        role=user.role,
        sections=console.sections_for(user.role),
        known_paths=console.known_paths(),
    )
