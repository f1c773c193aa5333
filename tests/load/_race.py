"""Firing N requests at the same instant and reading the store afterwards."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor

import httpx
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from telcolens.store.db import make_engine
from telcolens.store.models import AuditEntry


def race(n: int, request: Callable[[int], httpx.Response]) -> list[tuple[int, float]]:
    """``request(i)`` from ``n`` threads released together: (status, seconds) each."""
    barrier = threading.Barrier(n)

    def one(i: int) -> tuple[int, float]:
        barrier.wait()
        start = time.monotonic()
        status = request(i).status_code
        return status, time.monotonic() - start

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def statuses(results: list[tuple[int, float]]) -> list[int]:
    return sorted(s for s, _ in results)


def audit_count(database_url: str, action: str, object_id: object | None = None) -> int:
    engine = make_engine(database_url)
    q = select(func.count()).select_from(AuditEntry).where(AuditEntry.action == action)
    if object_id is not None:
        q = q.where(AuditEntry.object_id == str(object_id))
    with sessionmaker(engine)() as session:
        n = session.scalar(q)
    engine.dispose()
    return n or 0
