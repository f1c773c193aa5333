"""What endpoints depend on: a database session, the logged-in user, a role check.

Use the ``Annotated`` aliases in signatures (``session: SessionDep``) and
``dependencies=[allow("admin", ...)]`` on a route or router for its roles.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Annotated, TypeVar

from fastapi import Depends, HTTPException, Request, status
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.orm import Session

from telcolens.store.models import User
from telcolens.store.users import session_user

COOKIE = "telcolens_session"
T = TypeVar("T")


async def get_session(request: Request) -> AsyncIterator[Session]:
    """One session per request; it commits if the endpoint returns, rolls back if it raises.

    The endpoint runs in a worker thread; the commit runs here, on the event loop, so a
    request never holds a database connection while it waits for a thread. (If it did,
    threads waiting for a connection and requests waiting for a thread could block each
    other until the pool times out.)
    """
    session: Session = request.app.state.sessions()
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


# scope="function": commit before the response is sent. With the default ("request") the
# code after `yield` runs after the client has its answer, so a client could read before
# the write it was told succeeded (a login, then an immediate 401).
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def request_token(request: Request) -> str | None:
    """The login token: ``Authorization: Bearer <token>`` or the console's cookie."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(COOKIE)


async def current_user(request: Request) -> User:
    """The logged-in user, looked up in a session of its own that is closed at once."""
    token = request_token(request)
    user = await run_in_threadpool(_lookup, request.app.state.sessions, token) if token else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "log in first",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user.name  # for the access log
    return user


def _lookup(sessions, token: str) -> User | None:
    with sessions() as session:
        return session_user(session, token)


CurrentUser = Annotated[User, Depends(current_user)]


def allow(*roles: str):
    """A dependency admitting only ``roles`` (admin always): 401 without login, 403 otherwise."""
    admitted = frozenset(roles) | {"admin"}

    # async: a check that does no I/O runs on the event loop, not in a worker thread.
    async def check(user: CurrentUser) -> User:
        if user.role not in admitted:
            raise HTTPException(
                status.HTTP_403_FORBIDDEN, f"the {user.role} role cannot use this endpoint"
            )
        return user

    return Depends(check)


def get_or_404(session: Session, model: type[T], key: int, what: str) -> T:
    """The row of ``model`` with primary key ``key``, or a 404 naming ``what``."""
    row = session.get(model, key)
    if row is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"no {what} {key}")
    return row
