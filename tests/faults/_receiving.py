"""Receivers running on an event loop in a background thread, for tests that send to them."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from collections.abc import Callable

from telcolens.faults.receivers import Alarm, ReceiverConfig, Receivers, Sink

LOCAL = ("127.0.0.1", 0)  # port 0: the kernel picks a free port
MESSAGE_COUNTS = ("received", "parsed", "malformed", "dropped", "ignored")


def messages(counters: dict[str, int | None]) -> dict[str, int | None]:
    """The message counts of a receiver's counters (without its transport's own)."""
    return {name: counters[name] for name in MESSAGE_COUNTS}


class Running:
    """``Receivers(config)`` started on a private loop; alarms collected in ``alarms``."""

    def __init__(self, config: ReceiverConfig, sink: Sink | None = None) -> None:
        self.alarms: list[Alarm] = []
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.receivers = Receivers(config, sink or self.alarms.append)
        self._call(self.receivers.start())

    def port(self, name: str) -> int:
        return self.receivers.addresses[name][1]

    def counters(self, name: str) -> dict[str, int | None]:
        return self.receivers.counters[name].as_dict()

    def wait_received(self, name: str, count: int, timeout: float = 10.0) -> dict[str, int | None]:
        """Wait until ``name`` has handled ``count`` messages; its counters."""
        return self.wait_for(name, lambda counters: counters["received"] >= count, timeout)

    def wait_for(
        self, name: str, done: Callable[[dict[str, int | None]], bool], timeout: float = 10.0
    ) -> dict[str, int | None]:
        """Wait until ``done(counters)`` holds for ``name``; its counters."""
        deadline = time.monotonic() + timeout
        while not done(counters := self.counters(name)):
            if time.monotonic() > deadline:
                raise AssertionError(f"{name}: {counters} after {timeout} s")
            time.sleep(0.01)
        return counters

    def close(self) -> None:
        self._call(self.receivers.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)
        self.loop.close()

    def __enter__(self) -> Running:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _call(self, coro) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)


def send_udp(port: int, *datagrams: bytes) -> None:
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        for datagram in datagrams:
            sock.sendto(datagram, ("127.0.0.1", port))


def send_tcp(port: int, data: bytes) -> None:
    with socket.create_connection(("127.0.0.1", port), timeout=5) as sock:
        sock.sendall(data)
