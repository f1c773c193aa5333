"""Login throttling: exponential back-off per user name and per client address.

Each failed login counts against two keys, the name tried and the address it came from.
A key may fail ``free`` times within ``WINDOW`` without delay (a few typos); each failure
after that blocks the key for ``BASE_DELAY`` doubled per further failure, up to
``MAX_DELAY``. While a key is blocked a login is refused with 429 *before* the password
is checked, so a guesser costs the server one small read instead of an Argon2 hash. A
quiet ``WINDOW`` forgets the key; a successful login forgets the name's key.

The counters live in the store (``login_throttle``), so they hold across API processes
and restarts. The failure count is one atomic ``INSERT ... ON CONFLICT DO UPDATE``, so
concurrent guesses cannot lose counts.

Only failures that get through are audited, and the back-off keeps them few: a name
fails at most ``free`` times plus once per block in a window (about ``free + 10``),
however fast it is guessed; the refused attempts leave no row.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass

from sqlalchemy import case, delete, literal, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from telcolens.store.models import LoginThrottle, UTCDateTime, utcnow

WINDOW = dt.timedelta(minutes=15)
BASE_DELAY = 1.0  # seconds
MAX_DELAY = 15 * 60.0
# Free failures before back-off: a person mistypes a few times; one address may be a
# whole office behind NAT, so it gets more.
FREE = {"name": 5, "addr": 20}


@dataclass(frozen=True)
class Failure:
    """What one failed login did to a key."""

    key: str
    failures: int
    blocked_for: float  # seconds; 0 while under the free failures


def kind_of(key: str) -> str:
    """``"name"`` or ``"addr"``: what a throttle key counts against."""
    return key.split(":", 1)[0]


def keys(name: str, address: str | None) -> list[str]:
    """The throttle keys of a login attempt: its (case-folded) name and its address."""
    out = [f"name:{name.strip().casefold()[:64]}"]
    if address:
        out.append(f"addr:{address[:64]}")
    return out


def retry_after(session: Session, keys: list[str], now: dt.datetime | None = None) -> int:
    """Seconds until every key may try again; 0 when none is blocked."""
    now = now or utcnow()
    until = session.scalar(
        select(LoginThrottle.blocked_until)
        .where(LoginThrottle.key.in_(keys), LoginThrottle.blocked_until > now)
        .order_by(LoginThrottle.blocked_until.desc())
        .limit(1)
    )
    return 0 if until is None else max(1, math.ceil((until - now).total_seconds()))


def delay(kind: str, failures: int) -> float:
    """How long ``failures`` failures in a window block a key of ``kind`` (seconds)."""
    over = failures - FREE[kind]
    return 0.0 if over <= 0 else min(MAX_DELAY, BASE_DELAY * 2 ** (over - 1))


def fail(session: Session, keys: list[str], now: dt.datetime | None = None) -> list[Failure]:
    """Count one failed login against each key; returns what it did to each."""
    now = now or utcnow()
    stale = now - WINDOW
    table = LoginThrottle.__table__
    insert = (postgresql if session.get_bind().dialect.name == "postgresql" else sqlite).insert
    out = []
    for key in keys:
        stmt = insert(table).values(
            key=key, failures=1, first_failed_at=now, last_failed_at=now, blocked_until=None
        )
        fresh = table.c.last_failed_at < stale
        stmt = stmt.on_conflict_do_update(
            index_elements=[table.c.key],
            set_={
                "failures": case((fresh, 1), else_=table.c.failures + 1),
                "first_failed_at": case(
                    (fresh, literal(now, UTCDateTime())), else_=table.c.first_failed_at
                ),
                "last_failed_at": now,
            },
        ).returning(table.c.failures)
        failures = session.execute(stmt).scalar_one()
        seconds = delay(kind_of(key), failures)
        if seconds:
            session.execute(
                table.update()
                .where(table.c.key == key)
                .values(blocked_until=now + dt.timedelta(seconds=seconds))
            )
        out.append(Failure(key, failures, seconds))
    return out


def forget(session: Session, keys: list[str]) -> None:
    """Clear the keys: after a successful login, or when an admin re-enables a user."""
    session.execute(delete(LoginThrottle).where(LoginThrottle.key.in_(keys)))


def prune(session: Session, now: dt.datetime | None = None) -> int:
    """Drop keys quiet for a whole window and no longer blocked; returns how many."""
    now = now or utcnow()
    result = session.execute(
        delete(LoginThrottle).where(
            LoginThrottle.last_failed_at < now - WINDOW,
            (LoginThrottle.blocked_until.is_(None)) | (LoginThrottle.blocked_until < now),
        )
    )
    return result.rowcount or 0
