"""asyncio transports for the receivers: UDP datagrams, and syslog over TCP (RFC 6587)."""

from __future__ import annotations

import asyncio
import contextlib
import socket

from telcolens.faults.receivers._base import Receiver

MAX_FRAME = 64 * 1024  # RFC 6587 leaves it open; rsyslog's default maximum is 8 KiB
_MAX_LENGTH_DIGITS = 7


class UdpListener:
    """A UDP socket on the running loop; every datagram is handed to a :class:`Receiver`.

    It drains up to ``batch`` datagrams per wake-up instead of one, as
    asyncio.DatagramProtocol does: in a storm the loop's per-wake-up overhead
    would otherwise cost as much as decoding the datagram.
    """

    def __init__(self, receiver: Receiver, sock: socket.socket, *, batch: int = 256) -> None:
        self.receiver = receiver
        self.sock = sock
        self.batch = batch
        self._loop = asyncio.get_running_loop()
        sock.setblocking(False)
        self._loop.add_reader(sock.fileno(), self._drain)

    @property
    def address(self) -> tuple[str, int]:
        return self.sock.getsockname()[:2]

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self._loop.remove_reader(self.sock.fileno())
            self.sock.close()

    def _drain(self) -> None:
        for _ in range(self.batch):
            try:
                data, addr = self.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:  # an ICMP error reported on the socket; it stays usable
                self.receiver.log.warning(f"socket error: {exc!r}")
                return
            reply = self.receiver.handle(data, addr)
            if reply is not None:
                self._reply(reply, addr)

    def _reply(self, reply: bytes, addr: object) -> None:
        try:
            self.sock.sendto(reply, addr)
        except OSError as exc:  # a full send buffer: the sender will retry its inform
            self.receiver.log.warning(f"could not reply to {addr}: {exc!r}")


async def serve_udp(
    receiver: Receiver, host: str, port: int, *, rcvbuf: int | None = None
) -> UdpListener:
    """Listen for ``receiver``'s datagrams on ``host:port`` (0: any free port)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_DGRAM)
    try:
        if rcvbuf:
            # Bursts of traps arrive faster than one Python thread can decode them for a
            # moment; a larger kernel buffer (up to net.core.rmem_max) absorbs the burst.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, rcvbuf)
        sock.bind((host, port))
        return UdpListener(receiver, sock)
    except BaseException:
        sock.close()
        raise


class SyslogTcpServer:
    """A listening syslog TCP server and its open connections."""

    def __init__(self, receiver: Receiver) -> None:
        self.receiver = receiver
        self.server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()

    @property
    def address(self) -> tuple[str, int]:
        assert self.server is not None
        return self.server.sockets[0].getsockname()[:2]

    async def start(self, host: str, port: int) -> None:
        self.server = await asyncio.start_server(self._serve, host, port, limit=MAX_FRAME)

    async def close(self) -> None:
        """Stop listening and close every connection (Python 3.11 has no close_clients)."""
        if self.server is not None:
            self.server.close()
        for writer in list(self._writers):
            writer.close()
        if self.server is not None:
            await self.server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        peer = writer.get_extra_info("peername")
        self._writers.add(writer)
        try:
            await read_frames(reader, self.receiver, peer)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the peer went away mid-frame; what came before was handled
        finally:
            self._writers.discard(writer)
            writer.close()
            with contextlib.suppress(ConnectionError, OSError):
                await writer.wait_closed()


async def read_frames(reader: asyncio.StreamReader, receiver: Receiver, peer: object) -> None:
    """Hand every frame on one connection to ``receiver`` until EOF.

    A frame starting with a digit is octet-counted (``LEN SP MSG``), anything else
    runs to the next LF (non-transparent framing). A frame that cannot be delimited
    (a bad length, a line over MAX_FRAME) is counted as malformed and ends the
    connection, since nothing after it can be trusted to start a frame.
    """
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
