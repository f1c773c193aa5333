"""UDP for the receivers: a batch-draining socket on the asyncio loop, and its kernel drops."""

from __future__ import annotations

import asyncio
import os
import socket
from pathlib import Path

from telcolens.faults.receivers._base import Receiver

_PROC_NET = Path("/proc/net")


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

    def refresh_counters(self) -> None:
        """Set the receiver's ``kernel_dropped`` from /proc (left as it was once closed)."""
        if self.sock.fileno() >= 0:
            self.receiver.counters.kernel_dropped = kernel_drops(self.sock)

    def close(self) -> None:
        if self.sock.fileno() >= 0:
            self.refresh_counters()  # the last count; /proc forgets the socket when it closes
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


def kernel_drops(sock: socket.socket) -> int | None:
    """Datagrams the kernel dropped for ``sock`` since it was opened, mostly for a full
    receive buffer; they never reached the receiver. None where Linux's /proc/net/udp
    is not there to say (another OS, a sandbox without /proc).

    The ``drops`` column (the last) of the socket's row, found by its inode.
    """
    inode = str(os.fstat(sock.fileno()).st_ino)
    name = "udp6" if sock.family == socket.AF_INET6 else "udp"
    try:
        lines = (_PROC_NET / name).read_text().splitlines()[1:]
    except OSError:
        return None
    for line in lines:
        # sl local rem st tx:rx tr:when retrnsmt uid timeout inode ref pointer drops
        fields = line.split()
        if len(fields) >= 13 and fields[9] == inode:
            return int(fields[-1])
    return None
