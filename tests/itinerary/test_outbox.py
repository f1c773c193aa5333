"""The SMS outbox on SQLite and PostgreSQL: queue, claim, mark sent (the number blanked),
leases, expiry, and racing senders that never claim the same text."""

from __future__ import annotations

import datetime as dt
import threading
from concurrent.futures import ThreadPoolExecutor

import sqlalchemy as sa

from telcolens.itinerary import outbox
from telcolens.itinerary.models import OutboxSms
from telcolens.privacy import pseudonymise
from telcolens.store.db import transaction

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _queue(sessions, n: int, **kw) -> None:
    with transaction(sessions) as s:
        for i in range(n):
            outbox.queue_sms(s, f"+86 1380000{i:04d}", f"text {i}", now=NOW, **kw)


def _claim(sessions, n: int, now: dt.datetime = NOW) -> list[outbox.ClaimedSms]:
    with transaction(sessions) as s:
        return outbox.claim_batch(s, n, now=now)


def test_queue_claim_and_send(sessions) -> None:
    _queue(sessions, 3)
    batch = _claim(sessions, 2)
    assert [(c.number, c.text) for c in batch] == [
        ("13800000000", "text 0"),
        ("13800000001", "text 1"),
    ]
    assert [c.number for c in _claim(sessions, 5)] == ["13800000002"]
    assert _claim(sessions, 5) == []  # all claimed
    with transaction(sessions) as s:
        assert outbox.mark_sent(s, [c.id for c in batch], now=NOW) == 2
        assert outbox.mark_sent(s, [batch[0].id]) == 0  # once
    with sessions() as s:
        rows = s.scalars(sa.select(OutboxSms).order_by(OutboxSms.id)).all()
    assert [r.number for r in rows] == [None, None, "13800000002"]
    assert [r.text for r in rows] == [None, None, "text 2"]
    assert rows[0].subscriber_id == pseudonymise("13800000000") and rows[0].sent_at == NOW


def test_a_lapsed_or_released_claim_is_claimed_again(sessions) -> None:
    _queue(sessions, 2)
    first, second = _claim(sessions, 2)
    assert _claim(sessions, 2, now=NOW + outbox.LEASE - dt.timedelta(seconds=1)) == []
    with transaction(sessions) as s:
        outbox.release(s, [second.id])
    half = NOW + outbox.LEASE / 2
    assert [c.id for c in _claim(sessions, 2, now=half)] == [second.id]
    later = NOW + outbox.LEASE + dt.timedelta(seconds=1)
    assert [c.id for c in _claim(sessions, 2, now=later)] == [first.id]


def test_expired_and_given_up_texts_are_not_sent_and_purged(sessions) -> None:
    _queue(sessions, 1, expires_at=NOW + dt.timedelta(minutes=5))
    _queue(sessions, 1)
    assert len(_claim(sessions, 5, now=NOW + dt.timedelta(minutes=5))) == 1  # the other expired
    now = NOW + dt.timedelta(minutes=5)
    for i in range(outbox.MAX_ATTEMPTS):
        now += outbox.LEASE + dt.timedelta(seconds=1)
        assert len(_claim(sessions, 5, now=now)) == (1 if i < outbox.MAX_ATTEMPTS - 1 else 0)
    with transaction(sessions) as s:
        assert outbox.purge(s, now=now + outbox.LEASE + dt.timedelta(seconds=1)) == 2
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxSms)) == 0


def test_racing_senders_never_claim_the_same_text(sessions) -> None:
    total, senders = 200, 6
    _queue(sessions, total)
    barrier = threading.Barrier(senders)

    def drain(_: int) -> list[int]:
        barrier.wait()
        got: list[int] = []
        while batch := _claim(sessions, 7):
            got += [c.id for c in batch]
        return got

    with ThreadPoolExecutor(senders) as pool:
        claimed = [i for ids in pool.map(drain, range(senders)) for i in ids]
    assert len(claimed) == total and len(set(claimed)) == total
