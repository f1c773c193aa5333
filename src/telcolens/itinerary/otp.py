"""One-time codes: who may ask for one, how often, and what a code proves.

A subscriber proves they hold a number by the code texted to it:

- a code is 6 digits from :mod:`secrets`, valid ``Rules.ttl`` (5 minutes), good once;
- only a number's newest code counts; after ``Rules.max_wrong`` (5) wrong tries it is dead;
- a number gets at most ``Rules.codes_per_number`` (3) codes per 15 minutes, a client
  address at most ``Rules.codes_per_address`` (10) per minute, and an address may try at
  most ``Rules.queries_per_address`` (30) codes per minute (429 with ``Retry-After``);
- the store keeps a keyed hash of each code (HMAC-SHA256 under the pseudonym key, with a
  salt of its own), compared in constant time.

Every change is one conditional statement, so racing requests cannot both win: of two
queries with the same right code, one's ``UPDATE ... WHERE used_at IS NULL`` marks it
used and :data:`Verdict.OK` comes back; the other's finds it used: :data:`Verdict.USED`,
a 409 in the API. A wrong try is counted by ``attempts = attempts + 1 ... WHERE attempts
< max`` (none is lost, none counted past the limit). The rate counters are one upsert
each (``INSERT ... ON CONFLICT DO UPDATE ... RETURNING``), as ``store/throttle.py`` counts
failed logins.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import hashlib
import hmac
import math
import secrets
from dataclasses import dataclass

from sqlalchemy import Integer, bindparam, delete, select, text, update
from sqlalchemy.orm import Session

from telcolens.errors import TooManyAttempts
from telcolens.itinerary.models import OneTimeCode, RateLimit
from telcolens.itinerary.outbox import queue_sms
from telcolens.privacy import pseudonymise
from telcolens.settings import get_settings
from telcolens.store.models import UTCDateTime, utcnow

DIGITS = 6
# Mainland mobile numbers, optionally with +86: what the API admits.
NUMBER_PATTERN = r"^(\+86)?1[0-9]{10}$"
CODE_PATTERN = r"^[0-9]{6}$"
SMS_TEXT = "【行程查询】验证码 {code}，{minutes} 分钟内有效，仅用于查询本机号码行程，请勿告诉他人。"


@dataclass(frozen=True)
class Rules:
    """The limits; the defaults are the service's (tests and benchmarks pass their own)."""

    ttl: dt.timedelta = dt.timedelta(minutes=5)
    max_wrong: int = 5
    codes_per_number: int = 3
    number_window: dt.timedelta = dt.timedelta(minutes=15)
    codes_per_address: int = 10
    queries_per_address: int = 30
    address_window: dt.timedelta = dt.timedelta(minutes=1)


RULES = Rules()


class Verdict(enum.Enum):
    """What checking a code found."""

    OK = "ok"  # right, and now used
    WRONG = "wrong"  # not the number's newest code (or no code at all)
    EXPIRED = "expired"
    EXHAUSTED = "exhausted"  # tried wrongly too often
    USED = "used"  # right, but used already (by this or a racing request)


def new_code() -> str:
    return f"{secrets.randbelow(10**DIGITS):0{DIGITS}d}"


def code_hash(salt: str, code: str) -> str:
    """The keyed hash a code is stored as."""
    key = get_settings().pseudonym_key.encode()
    return hmac.new(
        key, b"itinerary-otp:" + salt.encode() + code.encode(), hashlib.sha256
    ).hexdigest()


def issue(
    session: Session,
    number: str,
    *,
    address: str | None,
    rules: Rules = RULES,
    now: dt.datetime | None = None,
) -> str:
    """Make a code for ``number`` and queue its text; returns the code (never to the asker).

    Raises :class:`TooManyAttempts` while the address or the number has had its share.
    The caller's transaction holds both the code and its text: neither exists without
    the other.
    """
    now = now or utcnow()
    subscriber = pseudonymise(number)
    if address:
        count(
            session,
            f"codes:addr:{address[:64]}",
            rules.codes_per_address,
            rules.address_window,
            now,
        )
    count(session, f"codes:number:{subscriber}", rules.codes_per_number, rules.number_window, now)
    code, salt = new_code(), secrets.token_hex(16)
    expires = now + rules.ttl
    session.add(
        OneTimeCode(
            subscriber_id=subscriber,
            code_hash=code_hash(salt, code),
            salt=salt,
            created_at=now,
            expires_at=expires,
            attempts=0,
        )
    )
    minutes = max(1, round(rules.ttl.total_seconds() / 60))
    queue_sms(
        session, number, SMS_TEXT.format(code=code, minutes=minutes), expires_at=expires, now=now
    )
    return code


def verify(
    session: Session,
    number: str,
    code: str,
    *,
    rules: Rules = RULES,
    now: dt.datetime | None = None,
) -> Verdict:
    """Check ``code`` against the number's newest code, and use it up if it is right.

    A wrong try counts against the code; the caller commits that even though it refuses
    the query.
    """
    now = now or utcnow()
    newest, wrong, use, used_at = _code_statements()
    row = session.execute(newest, {"subscriber": pseudonymise(number)}).first()
    if row is None:
        code_hash("0" * 32, code)  # the same work as for a known number
        return Verdict.WRONG
    right = hmac.compare_digest(row.code_hash, code_hash(row.salt, code))
    if row.used_at is not None:
        return Verdict.USED if right else Verdict.WRONG
    if row.expires_at <= now:
        return Verdict.EXPIRED
    if row.attempts >= rules.max_wrong:
        return Verdict.EXHAUSTED
    live = {"code_id": row.id, "max_wrong": rules.max_wrong}
    if not right:
        session.execute(wrong, live)
        return Verdict.WRONG
    if session.execute(use, {**live, "now": now}).rowcount == 1:
        return Verdict.OK
    # Another request changed the code between the read and the update: see what it did.
    if session.scalar(used_at, {"code_id": row.id}) is not None:
        return Verdict.USED
    return Verdict.EXHAUSTED


@functools.cache
def _code_statements():
    """verify()'s statements, built once: a request then only binds its values."""
    t = OneTimeCode.__table__
    newest = (
        select(t.c.id, t.c.code_hash, t.c.salt, t.c.expires_at, t.c.attempts, t.c.used_at)
        .where(t.c.subscriber_id == bindparam("subscriber"))
        .order_by(t.c.id.desc())
        .limit(1)
    )
    live = (
        t.c.id == bindparam("code_id"),
        t.c.used_at.is_(None),
        t.c.attempts < bindparam("max_wrong"),
    )
    wrong = update(t).where(*live).values(attempts=t.c.attempts + 1)
    now = bindparam("now", type_=UTCDateTime())
    use = update(t).where(*live, t.c.expires_at > now).values(used_at=now)
    used_at = select(t.c.used_at).where(t.c.id == bindparam("code_id"))
    return newest, wrong, use, used_at


def count_query(
    session: Session, address: str | None, *, rules: Rules = RULES, now: dt.datetime | None = None
) -> None:
    """Count one code check from ``address``; :class:`TooManyAttempts` past its share."""
    if address:
        count(
            session,
            f"query:addr:{address[:64]}",
            rules.queries_per_address,
            rules.address_window,
            now,
        )


def count(
    session: Session, key: str, limit: int, window: dt.timedelta, now: dt.datetime | None = None
) -> None:
    """Count one request against ``key``; :class:`TooManyAttempts` once ``limit`` is passed.

    A fixed window from the key's first request: the ``limit + 1``-th request in it is
    refused until the window ends. The refusal rolls back with the caller's transaction,
    so refused requests do not lengthen the wait.
    """
    now = now or utcnow()
    params = {"key": key, "now": now, "stale": now - window}
    seen, start = session.execute(_COUNT, params).one()
    if seen > limit:
        wait = max(1, math.ceil((start + window - now).total_seconds()))
        raise TooManyAttempts(f"too many requests; try again in {wait} s", wait)


# One upsert, the same text on SQLite and PostgreSQL. Written out rather than built with the
# dialects' insert().on_conflict_do_update(), which SQLAlchemy compiles again on every call
# (those constructs are not cacheable): some 40% of a code check's time in a profile.
_COUNT = (
    text(
        "INSERT INTO itinerary_rate_limits (key, window_start, count) VALUES (:key, :now, 1) "
        "ON CONFLICT (key) DO UPDATE SET "
        "count = CASE WHEN itinerary_rate_limits.window_start <= :stale THEN 1 "
        "ELSE itinerary_rate_limits.count + 1 END, "
        "window_start = CASE WHEN itinerary_rate_limits.window_start <= :stale THEN :now "
        "ELSE itinerary_rate_limits.window_start END "
        "RETURNING count, window_start"
    )
    .bindparams(bindparam("now", type_=UTCDateTime()), bindparam("stale", type_=UTCDateTime()))
    .columns(count=Integer(), window_start=UTCDateTime())
)


def prune(session: Session, *, rules: Rules = RULES, now: dt.datetime | None = None) -> int:
    """Drop counters whose window has ended and codes expired a day ago; returns how many."""
    now = now or utcnow()
    longest = max(rules.number_window, rules.address_window)
    done = session.execute(delete(RateLimit).where(RateLimit.window_start <= now - longest))
    old = session.execute(
        delete(OneTimeCode).where(OneTimeCode.expires_at <= now - dt.timedelta(days=1))
    )
    return (done.rowcount or 0) + (old.rowcount or 0)
