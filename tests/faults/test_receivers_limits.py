"""The receivers under abuse: idle and oversized TCP connections, connection caps, running
out of file descriptors, and datagrams the kernel drops for a full receive buffer."""

from __future__ import annotations

import contextlib
import json
import socket
import subprocess
import sys
import threading
import time

import pytest

from telcolens.faults.receivers import ReceiverConfig, TcpLimits, _transport
from telcolens.faults.receivers._tcp import MAX_FRAME
from telcolens.faults.receivers.snmp import encode_trap
from tests.faults._receiving import LOCAL, Running, send_tcp, send_udp

LINE = b"<11>1 - ne-1 app - - - link down\n"


def tcp_running(**limits) -> Running:
    return Running(ReceiverConfig(syslog_tcp=LOCAL, tcp_limits=TcpLimits(**limits)))


def connect(port: int, source: str = "127.0.0.1") -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=5, source_address=(source, 0))


def refused(port: int, source: str = "127.0.0.1") -> bool:
    """Whether a new connection is closed by the server at once (it may be reset even
    before connect() returns, when this thread is slow to run)."""
    try:
        sock = connect(port, source)
    except ConnectionResetError:
        return True
    with sock:
        return closed_by_server(sock)


def closed_by_server(sock: socket.socket) -> bool:
    """Whether the server has closed ``sock`` (EOF or reset), waiting up to its timeout."""
    try:
        return sock.recv(1) == b""
    except ConnectionResetError:
        return True
    except TimeoutError:
        return False


def test_idle_timeout_closes_a_trickling_connection_but_not_a_talking_one():
    with tcp_running(idle_timeout=0.5) as running:
        port = running.port("syslog-tcp")
        with connect(port) as trickle, connect(port) as talker:
            trickle.settimeout(0.1)
            started, closed_after = time.monotonic(), None
            # For 1.5 s: a byte every 0.1 s on one (never a whole frame), a frame on the other.
            for byte in b"<11>1 - ne-2 app - - - link down"[:15]:
                talker.sendall(LINE)
                if closed_after is None:
                    trickle.send(bytes([byte]))
                    if closed_by_server(trickle):
                        closed_after = time.monotonic() - started
                else:
                    time.sleep(0.1)
            talker.settimeout(0.1)
            assert not closed_by_server(talker)
            counters = running.wait_received("syslog-tcp", 15)
    assert closed_after is not None and 0.4 < closed_after < 1.2
    assert counters["timed_out"] == 1 and counters["connections"] == 2
    assert counters["received"] == counters["parsed"] == 15


def test_a_line_longer_than_max_frame_is_malformed_and_closes_the_connection():
    with tcp_running() as running:
        port = running.port("syslog-tcp")
        with connect(port) as sock:
            with contextlib.suppress(ConnectionError):  # closed while this still sends
                sock.sendall(b"<11>" + b"x" * (MAX_FRAME + 10))  # no LF, ever
            assert closed_by_server(sock)
        send_tcp(port, LINE)
        counters = running.wait_received("syslog-tcp", 2)
    assert counters["malformed"] == 1 and counters["parsed"] == 1


def test_per_peer_and_total_caps_refuse_connections_at_once():
    # 127.0.0.2 is loopback too on Linux: a second peer address.
    with tcp_running(max_per_peer=2, max_connections=3) as running:
        port = running.port("syslog-tcp")
        first = [connect(port), connect(port)]
        running.wait_for("syslog-tcp", lambda c: c["connections"] == 2)
        assert refused(port)  # a third from 127.0.0.1
        other = connect(port, "127.0.0.2")
        running.wait_for("syslog-tcp", lambda c: c["connections"] == 3)
        assert refused(port, "127.0.0.2")  # only the second from 127.0.0.2, but the fourth
        counters = running.counters("syslog-tcp")
        assert (counters["connections"], counters["refused"]) == (3, 2)
        for sock in [*first, other]:
            sock.close()
        # Refused connections never reached the read loop; once the others are closed
        # there is room again.
        running.wait_for("syslog-tcp", lambda c: c["open_connections"] == 0)
        send_tcp(port, LINE)
        counters = running.wait_received("syslog-tcp", 1)
    assert (counters["parsed"], counters["connections"], counters["refused"]) == (1, 4, 2)


# The receiver in a child process with a low descriptor limit: it answers "counters"
# on stdin with its counters as JSON, and stops on EOF.
CHILD = """
import asyncio, json, logging, resource, sys
from telcolens.faults.receivers import ReceiverConfig, Receivers, TcpLimits

logging.basicConfig(stream=sys.stderr, level=logging.WARNING)
resource.setrlimit(resource.RLIMIT_NOFILE, (64, 64))
limits = TcpLimits(max_per_peer=1000, max_connections=1000, accept_backoff=0.2)

async def main():
    config = ReceiverConfig(syslog_tcp=("127.0.0.1", 0), tcp_limits=limits)
    async with Receivers(config, lambda alarm: None) as running:
        print(running.addresses["syslog-tcp"][1], flush=True)
        loop = asyncio.get_running_loop()
        while await loop.run_in_executor(None, sys.stdin.readline):
            print(json.dumps(running.counters["syslog-tcp"].as_dict()), flush=True)

asyncio.run(main())
"""


def test_out_of_descriptors_logs_little_backs_off_and_recovers():
    child = subprocess.Popen(
        [sys.executable, "-c", CHILD],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )

    def counters() -> dict:
        child.stdin.write("counters\n")
        child.stdin.flush()
        return json.loads(child.stdout.readline())

    try:
        port = int(child.stdout.readline())
        # 64 descriptors, about 15 of them the interpreter's and the loop's: the rest of
        # these 100 wait in the listen backlog while accept() fails with EMFILE.
        held = [connect(port) for _ in range(100)]
        time.sleep(2.0)
        during = counters()
        for sock in held:
            sock.close()
        deadline = time.monotonic() + 10
        while counters()["connections"] < 100 and time.monotonic() < deadline:
            time.sleep(0.1)
        send_tcp(port, LINE)
        while counters()["received"] < 1 and time.monotonic() < deadline:
            time.sleep(0.1)
        after = counters()
    finally:
        _, stderr = child.communicate(timeout=10)
    assert child.returncode == 0, stderr[-2000:]
    assert during["accept_errors"] > 0 and 30 < during["connections"] < 64
    assert "Too many open files" in stderr and len(stderr.splitlines()) < 50
    assert after["connections"] == 101 and after["parsed"] == 1 and after["refused"] == 0


@pytest.mark.parametrize("name", ["snmp", "syslog-udp"])
def test_kernel_receive_buffer_drops_are_counted(name):
    datagram = {"snmp": encode_trap("1.3.6.1.6.3.1.1.5.3", []), "syslog-udp": LINE}[name]
    # The smallest buffer the kernel allows (it doubles and floors the request), so a
    # few datagrams fill it while the receiver's loop is held up.
    config = ReceiverConfig(**{name.replace("-", "_"): LOCAL}, rcvbuf=1)
    with Running(config) as running:
        held, release = threading.Event(), threading.Event()
        running.loop.call_soon_threadsafe(lambda: (held.set(), release.wait(10)))
        assert held.wait(5)
        sent = 300
        send_udp(running.port(name), *[datagram] * sent)
        release.set()
        counters = running.wait_for(
            name, lambda c: c["received"] + (c["kernel_dropped"] or 0) >= sent
        )
    assert counters["received"] > 0 and counters["kernel_dropped"] > 0
    assert counters["received"] + counters["kernel_dropped"] == sent


def test_kernel_drops_unknown_without_proc(monkeypatch, tmp_path):
    monkeypatch.setattr(_transport, "_PROC_NET", tmp_path)  # no udp file there
    with Running(ReceiverConfig(syslog_udp=LOCAL)) as running:
        send_udp(running.port("syslog-udp"), LINE)
        counters = running.wait_received("syslog-udp", 1)
    assert counters["kernel_dropped"] is None and counters["parsed"] == 1
