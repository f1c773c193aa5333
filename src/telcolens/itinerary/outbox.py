"""The SMS outbox: texts the API queues in its own transaction, for an SMS sender to drain.

A request that issues a one-time code queues its text with :func:`queue_sms` in the same
unit of work as the code, so a code exists exactly when its text is queued. A sender
(the SMPP client) loops::

    with transaction(sessions) as s:
        batch = claim_batch(s, 50)
    for sms in batch:
        submit(sms.number, sms.text)
    with transaction(sessions) as s:
        mark_sent(s, [sms.id for sms in sent])
        release(s, [sms.id for sms in failed])  # to be claimed again at once

Claiming is one ``UPDATE ... WHERE id IN (SELECT ... FOR UPDATE SKIP LOCKED)`` on
PostgreSQL, and the same statement without the lock clause on SQLite, whose writers take
turns: two senders never claim the same row. A claim is a lease: a sender that dies
leaves its rows to be claimed again after ``LEASE``. A row is tried at most
``MAX_ATTEMPTS`` times and never after its ``expires_at`` (a code past its validity is
not worth a text). The raw number is blanked, with the text, when the row is sent;
:func:`purge` deletes what is sent or expired.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import and_, delete, or_, select, update
from sqlalchemy.orm import Session

from telcolens.itinerary.models import OutboxSms
from telcolens.privacy import normalise, pseudonymise
from telcolens.store.models import utcnow

LEASE = dt.timedelta(seconds=60)
MAX_ATTEMPTS = 5
DEFAULT_TTL = dt.timedelta(hours=1)


@dataclass(frozen=True)
class ClaimedSms:
    """A text a sender has claimed: send ``text`` to ``number``, then mark ``id`` sent."""

    id: int
    number: str
    text: str


def queue_sms(
    session: Session,
    number: str,
    text: str,
    *,
    expires_at: dt.datetime | None = None,
    now: dt.datetime | None = None,
) -> OutboxSms:
    """Queue ``text`` for ``number`` in the caller's transaction; sent after it commits."""
    now = now or utcnow()
    row = OutboxSms(
        subscriber_id=pseudonymise(number),
        number=normalise(number),
        text=text,
        created_at=now,
        expires_at=expires_at or now + DEFAULT_TTL,
        attempts=0,
    )
    session.add(row)
    return row


def claim_batch(
    session: Session, n: int, *, lease: dt.timedelta = LEASE, now: dt.datetime | None = None
) -> list[ClaimedSms]:
    """Claim up to ``n`` unsent texts, oldest first; no other sender gets them meanwhile."""
    now = now or utcnow()
    t = OutboxSms.__table__
    claimable = (
        t.c.sent_at.is_(None),
        t.c.number.is_not(None),
        t.c.expires_at > now,
        t.c.attempts < MAX_ATTEMPTS,
        or_(t.c.claimed_at.is_(None), t.c.claimed_at < now - lease),
    )
    # SKIP LOCKED: a second sender passes over the rows the first is claiming instead of
    # waiting for them (SQLite renders no lock clause; its writers run one at a time). A
    # CTE, which PostgreSQL runs once: as an IN (subquery) the planner may run the LIMIT
    # again and claim more than n rows.
    chosen = (
        select(t.c.id)
        .where(*claimable)
        .order_by(t.c.id)
        .limit(n)
        .with_for_update(skip_locked=True)
        .cte("chosen")
    )
    stmt = (
        update(t)
        .where(t.c.id.in_(select(chosen.c.id)), *claimable)
        .values(claimed_at=now, attempts=t.c.attempts + 1)
        .returning(t.c.id, t.c.number, t.c.text)
    )
    rows = session.execute(stmt).all()
    return sorted((ClaimedSms(i, number, text) for i, number, text in rows), key=lambda s: s.id)


def mark_sent(session: Session, ids: list[int], *, now: dt.datetime | None = None) -> int:
    """Mark texts sent and blank their number and text; returns how many were marked."""
    if not ids:
        return 0
    t = OutboxSms.__table__
    result = session.execute(
        update(t)
        .where(t.c.id.in_(ids), t.c.sent_at.is_(None))
        .values(sent_at=now or utcnow(), number=None, text=None)
    )
    return result.rowcount or 0


def release(session: Session, ids: list[int]) -> int:
    """Give claimed texts back unsent (the SMSC refused them): claimable again at once."""
    if not ids:
        return 0
    t = OutboxSms.__table__
    result = session.execute(
        update(t).where(t.c.id.in_(ids), t.c.sent_at.is_(None)).values(claimed_at=None)
    )
    return result.rowcount or 0


def purge(session: Session, now: dt.datetime | None = None) -> int:
    """Delete texts sent, expired or given up on (with their numbers); returns how many."""
    now = now or utcnow()
    result = session.execute(
        delete(OutboxSms).where(
            or_(
                OutboxSms.sent_at.is_not(None),
                OutboxSms.expires_at <= now,
                # Given up on, and no sender still holds its last claim.
                and_(OutboxSms.attempts >= MAX_ATTEMPTS, OutboxSms.claimed_at < now - LEASE),
            )
        )
    )
    return result.rowcount or 0
