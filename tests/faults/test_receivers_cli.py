"""``telcolens faults receive``: listens, writes alarms to the data directory, prints counters."""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from pathlib import Path

import typer
from typer.testing import CliRunner

from telcolens.dataset import read_table
from telcolens.faults.cli_receive import register

app = typer.Typer()


@app.callback()
def _group() -> None:
    """Keep 'receive' a sub-command, as under ``telcolens faults``."""


register(app)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _send_when_listening(port: int, data: bytes) -> None:
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as sock:
                sock.sendall(data)
                return
        except ConnectionRefusedError:
            time.sleep(0.05)


def test_receive_writes_alarms_and_prints_counters(tmp_path: Path):
    port = _free_port()
    lines = b"<11>1 - olt-1 app - - - LOS detected\n<11>1 - olt-1 app - - - LOS cleared\njunk\n"
    sender = threading.Thread(target=_send_when_listening, args=(port, lines))
    sender.start()
    args = ["receive", "--data", str(tmp_path), "--syslog-tcp", f"127.0.0.1:{port}"]
    result = CliRunner().invoke(app, [*args, "--duration", "2", "--every", "0"])
    sender.join()
    assert result.exit_code == 0, result.output
    assert "syslog-tcp" in result.output and "written 2 alarms" in result.output
    rows = read_table(tmp_path, "alarms").to_pylist()
    assert [(r["ne_id"], r["alarm_type"], r["cleared_at"] is None) for r in rows] == [
        ("olt-1", "LOS", True),
        ("olt-1", "LOS", False),
    ]
    assert rows[0]["alarm_id"] == rows[1]["alarm_id"]


def _idle_and_refused(port: int) -> None:
    """Hold one connection open silently and try a second one from the same address."""
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        try:
            held = socket.create_connection(("127.0.0.1", port), timeout=3)
            break
        except ConnectionRefusedError:
            time.sleep(0.05)
    with held:
        # Refused: reset at once, possibly before connect() returns.
        with contextlib.suppress(ConnectionResetError):
            socket.create_connection(("127.0.0.1", port), timeout=3).recv(1)
        with contextlib.suppress(ConnectionResetError):
            held.recv(1)  # until the idle timeout closes it


def test_receive_limits_options_and_connection_counters(tmp_path: Path):
    port = _free_port()
    client = threading.Thread(target=_idle_and_refused, args=(port,))
    client.start()
    args = ["receive", "--data", str(tmp_path), "--syslog-tcp", f"127.0.0.1:{port}"]
    limits = ["--max-per-peer", "1", "--idle-timeout", "0.5"]
    result = CliRunner().invoke(app, [*args, *limits, "--duration", "2", "--every", "0"])
    client.join()
    assert result.exit_code == 0, result.output
    connections = result.output.split("TCP connections")[1]
    row = re.search(r"syslog-tcp\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)\D+(\d+)", connections)
    # accepted, open, refused, timed out, accept errors
    assert row is not None and row.groups() == ("1", "0", "1", "1", "0"), result.output


def test_receive_rejects_a_bad_endpoint(tmp_path: Path):
    result = CliRunner().invoke(app, ["receive", "--data", str(tmp_path), "--snmp", "localhost"])
    assert result.exit_code == 2 and "HOST:PORT" in result.output
