"""``telcolens faults receive --to-stream``: real syslog and SNMP traps, through a real
NATS JetStream, into the data directory by ``telcolens stream consume``."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import threading
import time
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from telcolens.dataset import part_files, read_table
from telcolens.faults.cli_receive import register
from telcolens.streams import consume

app = typer.Typer()


@app.callback()
def _group() -> None:
    """Keep 'receive' a sub-command, as under ``telcolens faults``."""


register(app)
LINK_DOWN, IF_INDEX = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.2.1.2.2.1.1.3"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _send(tcp: int, udp: int) -> None:
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline:  # the receivers are up once TCP accepts
        try:
            socket.create_connection(("127.0.0.1", tcp), timeout=1).close()
            break
        except ConnectionRefusedError:
            time.sleep(0.05)
    logger = ["logger", "--server", "127.0.0.1", "--port", str(tcp), "--tcp", "-t", "ifmgr"]
    subprocess.run([*logger, "-p", "local0.crit", "port 7 LOS detected"], check=True, timeout=10)
    subprocess.run([*logger, "-p", "local0.notice", "port 7 LOS cleared"], check=True, timeout=10)
    trap = ["snmptrap", "-v", "2c", "-c", "public", f"127.0.0.1:{udp}", "", LINK_DOWN]
    env = {**os.environ, "MIBS": "", "MIBDIRS": ""}
    subprocess.run([*trap, IF_INDEX, "i", "3"], check=True, timeout=10, env=env)


def test_received_alarms_travel_the_stream_into_the_alarms_table(names, tmp_path: Path):
    if shutil.which("logger") is None or shutil.which("snmptrap") is None:
        pytest.skip("util-linux logger and net-snmp snmptrap are needed (make test-deps)")
    tcp, udp = _free_port(), _free_port()
    sender = threading.Thread(target=_send, args=(tcp, udp))
    sender.start()
    args = ["receive", "--to-stream"]  # no data directory: the stream consumer writes
    args += ["--syslog-tcp", f"127.0.0.1:{tcp}", "--snmp", f"127.0.0.1:{udp}"]
    result = CliRunner().invoke(app, [*args, "--duration", "4", "--every", "0"])
    sender.join()
    assert result.exit_code == 0, result.output
    assert f"stream {names.stream}" in result.output and "written 3 alarms" in result.output

    report = consume(tmp_path / "data", names=names, once=True, max_wait=0.5)
    assert report.rows == 3
    rows = read_table(tmp_path / "data", "alarms").sort_by("cleared_at").to_pylist()
    kinds = sorted((r["source"], r["alarm_type"], r["cleared_at"] is None) for r in rows)
    assert kinds == [("snmp", "LINK_DOWN", True), ("syslog", "LOS", False), ("syslog", "LOS", True)]
    los = [r for r in rows if r["alarm_type"] == "LOS"]
    assert los[0]["alarm_id"] == los[1]["alarm_id"]  # the clear pairs with its raise
    assert [p.name.split(".")[0] for p in part_files(tmp_path / "data", "alarms")] == [
        f"day-{rows[0]['raised_at'].date()}"
    ]


def test_receive_to_stream_without_nats_says_so(monkeypatch: pytest.MonkeyPatch, tmp_path: Path):
    from telcolens.settings import get_settings

    monkeypatch.setenv("TELCOLENS_NATS_URL", f"nats://127.0.0.1:{_free_port()}")
    monkeypatch.setattr("telcolens.streams.jetstream.CONNECT_DEADLINE_S", 1.0)
    get_settings.cache_clear()
    try:
        result = CliRunner().invoke(
            app, ["receive", "--data", str(tmp_path), "--to-stream", "--duration", "0"]
        )
    finally:
        get_settings.cache_clear()
    assert result.exit_code != 0
    assert "cannot reach NATS" in str(result.exception) + result.output


def test_receive_needs_a_data_directory_or_the_stream():
    from telcolens.cli import app as telcolens

    result = CliRunner().invoke(telcolens, ["faults", "receive", "--duration", "0"])
    assert result.exit_code == 2  # bad input: one line, no traceback
    assert "--data DIR for the alarms, or --to-stream" in result.output
