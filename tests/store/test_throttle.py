"""Login throttling in the store: back-off schedule, window, concurrency (both stores)."""

from __future__ import annotations

import datetime as dt
from concurrent.futures import ThreadPoolExecutor

from sqlalchemy.orm import Session, sessionmaker

from telcolens.store import throttle
from telcolens.store.models import utcnow

KEYS = throttle.keys("Ana ", "10.0.0.7")


def test_keys_fold_the_name() -> None:
    assert KEYS == ["name:ana", "addr:10.0.0.7"]
    assert throttle.keys("ANA", None) == ["name:ana"]


def test_free_failures_then_doubling_blocks(store_session: Session) -> None:
    now = utcnow()
    blocked = []
    for i in range(9):
        failures = throttle.fail(store_session, KEYS, now + dt.timedelta(seconds=i))
        blocked.append(failures[0].blocked_for)
        assert [f.failures for f in failures] == [i + 1, i + 1]
    assert blocked == [0, 0, 0, 0, 0, 1, 2, 4, 8]
    at = now + dt.timedelta(seconds=8)
    assert throttle.retry_after(store_session, KEYS, at) == 8
    assert throttle.retry_after(store_session, KEYS, at + dt.timedelta(seconds=9)) == 0
    # The address alone is not blocked yet (it gets 20 free failures): another name passes.
    assert throttle.retry_after(store_session, throttle.keys("bo", "10.0.0.7"), at) == 0


def test_the_delay_is_capped() -> None:
    assert throttle.delay("name", 1000) == throttle.MAX_DELAY
    assert throttle.delay("addr", 20) == 0 and throttle.delay("addr", 21) == 1


def test_a_quiet_window_forgets_and_a_success_forgets_the_name(store_session: Session) -> None:
    now = utcnow()
    for _ in range(6):
        throttle.fail(store_session, KEYS, now)
    later = now + throttle.WINDOW + dt.timedelta(seconds=1)
    assert throttle.fail(store_session, KEYS, later)[0].failures == 1
    throttle.forget(store_session, KEYS[:1])
    assert throttle.fail(store_session, KEYS, later)[0].failures == 1
    assert throttle.prune(store_session, later + throttle.WINDOW * 2) == 2


def test_concurrent_failures_are_all_counted(store_url: str, store_session: Session) -> None:
    """16 failures at once from 8 threads: the upsert loses none."""
    factory = sessionmaker(store_session.get_bind())

    def fail(_: int) -> None:
        with factory() as s, s.begin():
            throttle.fail(s, ["name:race"])

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(fail, range(16)))
    with factory() as s:
        assert throttle.fail(s, ["name:race"])[0].failures == 17
