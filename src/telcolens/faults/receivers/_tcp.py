"""Syslog over TCP (RFC 6587): accepting connections within limits, and reading frames."""

from __future__ import annotations

import asyncio
import contextlib
import errno
import socket
import struct
from collections import Counter
from dataclasses import dataclass

from telcolens.faults.receivers._base import RateLimitedLog, Receiver

MAX_FRAME = 64 * 1024  # RFC 6587 leaves it open; rsyslog's default maximum is 8 KiB
_MAX_LENGTH_DIGITS = 7
# accept() failures that mean "no descriptor or memory now", not "this connection is bad".
_OUT_OF_RESOURCES = (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM)
_ACCEPT_BATCH = 64
_BACKLOG = 100  # asyncio.start_server's default


@dataclass(frozen=True)
class TcpLimits:
    """What one syslog TCP listener allows.

    ``idle_timeout``: seconds a connection may go without a complete frame before it
    is closed (None: never). ``max_per_peer`` / ``max_connections``: open connections
    from one peer address / in all; one over either is closed at once.
    ``accept_backoff``: seconds to stop accepting after accept() ran out of
    descriptors or memory.
    """

    idle_timeout: float | None = 60.0
    max_per_peer: int = 64
    max_connections: int = 1024
    accept_backoff: float = 1.0


class SyslogTcpServer:
    """A listening syslog TCP socket and its open connections.

    It accepts connections itself rather than through asyncio.start_server: at the
    descriptor limit asyncio's accept loop logs a traceback for every pending
    connection, every second, and it admits any number of connections from anyone.
    """

    def __init__(self, receiver: Receiver, limits: TcpLimits | None = None) -> None:
        self.receiver = receiver
        self.limits = limits or TcpLimits()
        self.sock: socket.socket | None = None
        self._loop = asyncio.get_running_loop()
        self._per_peer: Counter[str] = Counter()
        self._tasks: set[asyncio.Task] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._resume: asyncio.TimerHandle | None = None
        # Its own log, one line per 10 s: a resource problem must be seen even while
        # bad input fills the receiver's log, and must not fill it itself.
        self._resource_log = RateLimitedLog(receiver.name, burst=1, period=10.0)
        counters = receiver.counters
        counters.connections = counters.open_connections = counters.refused = 0
        counters.timed_out = counters.accept_errors = 0

    @property
    def address(self) -> tuple[str, int]:
        assert self.sock is not None
        return self.sock.getsockname()[:2]

    async def start(self, host: str, port: int) -> None:
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.create_server((host, port), family=family, backlog=_BACKLOG)
        self.sock.setblocking(False)
        self._loop.add_reader(self.sock.fileno(), self._accept)

    async def close(self) -> None:
        """Stop listening and close every connection."""
        if self._resume is not None:
            self._resume.cancel()
        if self.sock is not None and self.sock.fileno() >= 0:
            self._loop.remove_reader(self.sock.fileno())
            self.sock.close()
        for writer in list(self._writers):
            writer.close()
        for task in list(self._tasks):
            task.cancel()  # one still opening its streams has no writer to close yet
        await asyncio.gather(*self._tasks, return_exceptions=True)

    def _accept(self) -> None:
        assert self.sock is not None
        for _ in range(_ACCEPT_BATCH):
            try:
                conn, peer = self.sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                self._accept_failed(exc)
                return
            self._admit(conn, peer)

    def _accept_failed(self, exc: OSError) -> None:
        self.receiver.counters.accept_errors += 1
        if exc.errno not in _OUT_OF_RESOURCES:
            self._resource_log.warning(f"accept() failed: {exc!r}")
            return
        # The pending connection stays queued and the socket stays readable: without a
        # pause the loop would spin on it. It is accepted once descriptors free up.
        self._resource_log.warning(
            f"accept() failed: {exc.strerror} with {self._per_peer.total()} connections open;"
            f" not accepting for {self.limits.accept_backoff:g} s"
        )
        assert self.sock is not None
        self._loop.remove_reader(self.sock.fileno())
        self._resume = self._loop.call_later(self.limits.accept_backoff, self._resume_accepting)

    def _resume_accepting(self) -> None:
        self._resume = None
        if self.sock is not None and self.sock.fileno() >= 0:
            self._loop.add_reader(self.sock.fileno(), self._accept)

    def _admit(self, conn: socket.socket, peer: tuple) -> None:
        """Start reading ``conn``, or close it at once when it is over a cap."""
        counters, limits, host = self.receiver.counters, self.limits, peer[0]
        if self._per_peer[host] >= limits.max_per_peer:
            self._refuse(conn, f"{host} already has {limits.max_per_peer} connections open")
        elif self._per_peer.total() >= limits.max_connections:
            self._refuse(conn, f"{limits.max_connections} connections already open")
        else:
            counters.connections += 1
            counters.open_connections += 1
            self._per_peer[host] += 1
            task = self._loop.create_task(self._serve(conn, peer))
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    def _refuse(self, conn: socket.socket, why: str) -> None:
        self.receiver.counters.refused += 1
        self.receiver.log.warning(f"connection refused: {why}")
        # A reset rather than FIN: no TIME_WAIT left here for every refused connection.
        with contextlib.suppress(OSError):
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        conn.close()

    async def _serve(self, conn: socket.socket, peer: tuple) -> None:
        writer = None
        try:
            reader, writer = await asyncio.open_connection(sock=conn, limit=MAX_FRAME)
            self._writers.add(writer)
            await read_frames(reader, self.receiver, peer, self.limits.idle_timeout)
        except TimeoutError:
            self.receiver.counters.timed_out += 1
            self.receiver.log.warning(
                f"no complete frame from {peer} in {self.limits.idle_timeout:g} s; closed"
            )
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the peer went away mid-frame; what came before was handled
        finally:
            self.receiver.counters.open_connections -= 1
            self._per_peer[peer[0]] -= 1
            if self._per_peer[peer[0]] <= 0:
                del self._per_peer[peer[0]]
            if writer is None:
                conn.close()
            else:
                self._writers.discard(writer)
                writer.close()
                with contextlib.suppress(ConnectionError, OSError, asyncio.CancelledError):
                    await writer.wait_closed()


async def read_frames(
    reader: asyncio.StreamReader,
    receiver: Receiver,
    peer: object,
    idle_timeout: float | None = None,
) -> None:
    """Hand every frame on one connection to ``receiver`` until EOF.

    A frame starting with a digit is octet-counted (``LEN SP MSG``), anything else
    runs to the next LF (non-transparent framing). A frame that cannot be delimited
    (a bad length, a line over MAX_FRAME) is counted as malformed and ends the
    connection, since nothing after it can be trusted to start a frame. Raises
    TimeoutError when ``idle_timeout`` seconds pass without a complete, non-blank
    frame: a peer trickling a byte at a time, or blank lines, holds nothing open.
    """
    loop = asyncio.get_running_loop()
    async with asyncio.timeout(idle_timeout) as idle:
        while True:
            first = await reader.read(1)
            if not first:
                return
            if first in b"\r\n ":  # a stray LF after an octet-counted frame, an empty line
                continue
            if first.isdigit():
                frame = await _octet_counted(reader, first)
            else:
                frame = await _line(reader, first)
            if frame is None:
                receiver.counters.received += 1
                receiver.counters.malformed += 1
                receiver.log.warning(f"unframeable syslog data from {peer}; connection closed")
                return
            if frame.strip():
                receiver.handle(frame, peer)
                if idle_timeout is not None:
                    idle.reschedule(loop.time() + idle_timeout)


async def _octet_counted(reader: asyncio.StreamReader, first: bytes) -> bytes | None:
    digits = first
    while True:
        ch = await reader.readexactly(1)
        if ch == b" ":
            break
        if not ch.isdigit() or len(digits) >= _MAX_LENGTH_DIGITS:
            return None
        digits += ch
    length = int(digits)
    if length == 0 or length > MAX_FRAME:
        return None
    return await reader.readexactly(length)


async def _line(reader: asyncio.StreamReader, first: bytes) -> bytes | None:
    try:
        rest = await reader.readuntil(b"\n")
    except asyncio.LimitOverrunError:
        return None
    except asyncio.IncompleteReadError as exc:  # the last line before EOF has no LF
        rest = exc.partial
    return (first + rest).rstrip(b"\r\n")
