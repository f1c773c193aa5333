"""A server killed (SIGKILL) in the middle of writes loses nothing and halves nothing.

Every write a client was told succeeded is in the store after a restart; every change in
the store has its audit entry and no audit entry lacks its change; a retry of what got
no answer either succeeds or finds it done (409), never a lock left behind.
"""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from telcolens.antifraud.models import WhitelistEntry
from telcolens.privacy import pseudonymise
from telcolens.store.db import make_engine
from telcolens.store.models import AuditEntry
from tests.load.conftest import Server

pytestmark = pytest.mark.load
NUMBERS = [f"1380000{i:04d}" for i in range(600)]
KILL_AFTER = 150  # answers


def _add(client: httpx.Client, number: str) -> int | None:
    """The status, or None when the connection died before an answer."""
    try:
        r = client.post(
            "/api/antifraud/whitelist",
            json={"number": number, "category": "courier", "note": "crash test"},
        )
    except httpx.TransportError:
        return None
    return r.status_code


def _store(url: str) -> tuple[set[int], list[str]]:
    engine = make_engine(url)
    with sessionmaker(engine)() as s:
        listed = set(s.scalars(select(WhitelistEntry.subscriber_id)))
        audited = list(
            s.scalars(select(AuditEntry.object_id).where(AuditEntry.action == "whitelist.add"))
        )
    engine.dispose()
    return listed, audited


def test_a_killed_server_loses_nothing(server: Server) -> None:
    client = server.login("fraud_analyst")
    client.timeout = httpx.Timeout(10)
    answers: dict[str, int | None] = {}
    enough = threading.Event()

    def add(number: str) -> int | None:
        status = _add(client, number)
        if sum(s is not None for s in answers.values()) >= KILL_AFTER:
            enough.set()
        answers[number] = status
        return status

    killer = threading.Thread(target=lambda: enough.wait(60) and server.kill())
    killer.start()
    with ThreadPoolExecutor(12) as pool:
        list(pool.map(add, NUMBERS))
    killer.join()
    client.close()
    told_ok = {n for n, s in answers.items() if s == 201}
    cut_off = {n for n, s in answers.items() if s is None}
    assert told_ok and cut_off, "the kill must land mid-run for this test to mean anything"
    assert {s for s in answers.values()} <= {201, None}

    listed, audited = _store(server.database_url)
    assert {pseudonymise(n) for n in told_ok} <= listed  # nothing acknowledged was lost
    assert sorted(audited) == sorted(str(sid) for sid in listed)  # nothing half-done

    server.start()  # the same store, a fresh process
    client = server.login("fraud_analyst")
    start = time.monotonic()
    retried = {n: _add(client, n) for n in sorted(cut_off)}
    client.close()
    assert set(retried.values()) <= {201, 409}
    assert time.monotonic() - start < 60  # no lock outlived the killed process
    listed, audited = _store(server.database_url)
    assert listed == {pseudonymise(n) for n in NUMBERS}
    assert sorted(audited) == sorted(str(sid) for sid in listed)
