"""A NATS JetStream server on 127.0.0.1:4222 (make test-deps starts one) and a stream of
each test's own, deleted afterwards, so tests never see each other's messages."""

from __future__ import annotations

import asyncio
import socket
import uuid
from collections.abc import Iterator

import pytest

from telcolens.streams import StreamNames, connect, delete_stream

NATS = ("127.0.0.1", 4222)


def _reachable() -> bool:
    try:
        socket.create_connection(NATS, timeout=1).close()
    except OSError:
        return False
    return True


@pytest.fixture
def names(monkeypatch: pytest.MonkeyPatch) -> Iterator[StreamNames]:
    """A fresh stream ``TL_TEST_<hex>``, subjects ``tl_test_<hex>.<table>``; also the
    process's settings (``TELCOLENS_STREAM_*``), for code that reads them."""
    if not _reachable():
        pytest.skip("no NATS server on 127.0.0.1:4222 (`make test-deps` starts one)")
    tag = uuid.uuid4().hex[:12]
    chosen = StreamNames(f"TL_TEST_{tag}", f"tl_test_{tag}", "intake")
    monkeypatch.setenv("TELCOLENS_STREAM_NAME", chosen.stream)
    monkeypatch.setenv("TELCOLENS_STREAM_SUBJECT_PREFIX", chosen.prefix)
    monkeypatch.setenv("TELCOLENS_STREAM_CONSUMER", chosen.consumer)
    from telcolens.settings import get_settings

    get_settings.cache_clear()
    yield chosen
    get_settings.cache_clear()

    async def drop() -> None:
        nc = await connect()
        try:
            await delete_stream(nc.jetstream(), chosen)
        finally:
            await nc.close()

    asyncio.run(drop())
