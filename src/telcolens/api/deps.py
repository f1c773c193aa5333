"""What endpoints depend on: a database session, the logged-in user, a role check.

Use the ``Annotated`` aliases in signatures (``session: SessionDep``) and
``dependencies=[allow("admin", ...)]`` on a route or router for its roles.
"""

from __future__ import annotations

import functools
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Annotated, Any, TypeVar

import anyio
import anyio.to_thread
from fastapi import Depends, HTTPException, Request, status
from fastapi.routing import APIRoute
from sqlalchemy.exc import IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.orm.exc import StaleDataError

from telcolens.errors import Conflict, NotFound, Unavailable
from telcolens.store.db import is_busy, is_duplicate
from telcolens.store.models import User
from telcolens.store.users import session_user

COOKIE = "telcolens_session"
T = TypeVar("T")
STALE = "it was changed by someone else at the same time; reload it and try again"
DUPLICATE = "it already exists (another request created it at the same time)"
BUSY = "the store is busy (a lock or a statement took too long); try again"


async def get_session(request: Request) -> AsyncIterator[Session]:
    """A store session for the request; :class:`StoreRoute` commits it on the endpoint's thread.

    Creating a session does no I/O, so this runs on the event loop; the first query, the
    flush, the commit or rollback and the close all happen on the worker thread that runs
    the endpoint (see :func:`unit_of_work`). A request therefore never waits for a thread
    while it holds a lock or a connection, which is what deadlocked the API under
    concurrent writes before.
    """
    session: Session = request.app.state.sessions()
    try:
        yield session
    finally:
        if session.in_transaction():  # an endpoint outside StoreRoute: never commit blindly
            session.rollback()
            session.close()
            raise RuntimeError("SessionDep used by an endpoint that is not on a StoreRoute")
        session.close()


# scope="function": finished before the response is sent.
SessionDep = Annotated[Session, Depends(get_session, scope="function")]


def unit_of_work(endpoint: Callable[..., T]) -> Callable[..., T]:
    """``endpoint`` with its store session committed (or rolled back) on its own thread.

    Of two requests that change the same row at once, the second finds the row's version
    moved on (``version_id_col`` in the models) and gets :class:`Conflict`, a 409; a lock
    or statement timeout is :class:`Unavailable`, a 503.
    """

    @functools.wraps(endpoint)
    def run(*args: Any, **kwargs: Any) -> T:
        sessions = [v for v in kwargs.values() if isinstance(v, Session)]
        return _unit(sessions, lambda: endpoint(*args, **kwargs))

    return run


def _unit(sessions: list[Session], call: Callable[[], T]) -> T:
    try:
        result = call()
        for session in sessions:
            session.commit()
        return result
    except StaleDataError:
        _rollback(sessions)
        raise Conflict(STALE) from None
    except IntegrityError as exc:
        _rollback(sessions)
        if is_duplicate(exc):
            raise Conflict(DUPLICATE) from None
        raise
    except OperationalError as exc:
        _rollback(sessions)
        if is_busy(exc):
            raise Unavailable(BUSY) from None
        raise
    except BaseException:
        _rollback(sessions)
        raise
    finally:
        for session in sessions:
            session.close()


def _rollback(sessions: list[Session]) -> None:
    for session in sessions:
        session.rollback()


class StoreRoute(APIRoute):
    """The route class of every API router: sync endpoints run as one unit of work."""

    def __init__(self, path: str, endpoint: Callable[..., Any], **kwargs: Any) -> None:
        if not inspect.iscoroutinefunction(endpoint):
            endpoint = unit_of_work(endpoint)
        super().__init__(path, endpoint, **kwargs)


async def in_unit(
    factory: sessionmaker[Session],
    work: Callable[..., T],
    *args: Any,
    limiter: anyio.CapacityLimiter | None = None,
) -> T:
    """``work(session, *args)`` as one unit of work on a worker thread, for async endpoints.

    ``limiter``: the thread pool to run on (default: the request pool).
    """

    def run() -> T:
        session = factory()
        return _unit([session], lambda: work(session, *args))

    return await anyio.to_thread.run_sync(run, limiter=limiter)


def request_token(request: Request) -> str | None:
    """The login token: ``Authorization: Bearer <token>`` or the console's cookie."""
    auth = request.headers.get("authorization", "")
    if auth.lower().startswith("bearer "):
        return auth[7:].strip() or None
    return request.cookies.get(COOKIE)


async def current_user(request: Request) -> User:
    """The logged-in user, looked up in a session of its own that is closed at once."""
    token = request_token(request)
    user = await in_unit(request.app.state.sessions, session_user, token) if token else None
    if user is None:
        raise HTTPException(
            status.HTTP_401_UNAUTHORIZED,
            "log in first",
            headers={"WWW-Authenticate": "Bearer"},
        )
    request.state.user = user.name  # for the access log
    return user


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

    check.__roles__ = tuple(roles)  # type: ignore[attr-defined]  # for the contract test
    return Depends(check)


def get_or_404(session: Session, model: type[T], key: int | str, what: str) -> T:
    """The row of ``model`` with primary key ``key``, or :class:`NotFound` naming ``what``."""
    row = session.get(model, key)
    if row is None:
        raise NotFound(f"no {what} {key}")
    return row
