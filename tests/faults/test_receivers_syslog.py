"""Syslog parsing, alarm rules, and the UDP/TCP receivers fed by util-linux ``logger``."""

from __future__ import annotations

import shutil
import socket
import subprocess
from datetime import datetime
from pathlib import Path

import pytest

from telcolens.faults.receivers import ParseError, ReceiverConfig, Rule, SyslogRules
from telcolens.faults.receivers.syslog import parse_syslog, syslog_to_alarm
from tests.faults._receiving import LOCAL, Running, messages, send_tcp, send_udp

HOST = socket.gethostname()
RFC5424 = (
    b'<187>1 2026-11-24T15:04:05.123Z olt-07 ifmgr 412 LINK [exampleSDID@32473 port="3"'
    b' note="a \\] in \\"quotes\\""] Interface gpon-0/3 link down'
)


def test_rfc5424_header_structured_data_and_time_zone():
    msg = parse_syslog(RFC5424)
    assert (msg.facility, msg.severity) == (23, 3)
    assert msg.hostname == "olt-07" and msg.app_name == "ifmgr"
    assert msg.timestamp == datetime(2026, 11, 24, 23, 4, 5, 123000)  # UTC 15:04 is CST 23:04
    assert msg.message == "Interface gpon-0/3 link down"


def test_rfc5424_nil_fields_and_bom():
    msg = parse_syslog(b"<14>1 - - - - - - \xef\xbb\xbfLOS on port 1")
    assert msg.hostname is None and msg.timestamp is None
    assert msg.message == "LOS on port 1"


def test_rfc3164_with_and_without_hostname():
    msg = parse_syslog(b"<34>Oct 11 22:14:15 core-r1 su[77]: power supply failure PSU2")
    assert (msg.severity, msg.hostname, msg.app_name) == (2, "core-r1", "su")
    assert msg.timestamp is not None and (msg.timestamp.month, msg.timestamp.hour) == (10, 22)
    assert msg.message == "power supply failure PSU2"
    bare = parse_syslog(b"<13>kernel: fan tray failure")
    assert bare.hostname is None and bare.message == "fan tray failure"


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"no pri",
        b"<192>too big",
        b"<01>leading zero",
        b"<13>1 2026-11-24T15:04:05Z host",
        b"<13>1 yesterday host app - - - msg",
        b"<13>1 - h a - - [unterminated sd",
    ],
)
def test_malformed_messages_raise_parse_error(data):
    with pytest.raises(ParseError):
        parse_syslog(data)


@pytest.mark.parametrize(
    ("message", "alarm_type", "clear"),
    [
        ("Interface ge-0/0/1 link down", "LINK_DOWN", False),
        ("Interface ge-0/0/1 link up", "LINK_DOWN", True),
        ("LOS detected on PON 3", "LOS", False),
        ("LOS cleared on PON 3", "LOS", True),
        ("Power supply failure on PSU1", "POWER_FAIL", False),
        ("power supply failure restored", "POWER_FAIL", True),
        ("user admin logged in", None, None),
    ],
)
def test_default_rules(message, alarm_type, clear):
    msg = parse_syslog(f"<11>1 - ne-1 app - - - {message}".encode())
    alarm = syslog_to_alarm(msg, SyslogRules(), ("192.0.2.1", 514))
    if alarm_type is None:
        assert alarm is None
        return
    assert (alarm.alarm_type, alarm.is_clear, alarm.ne_id) == (alarm_type, clear, "ne-1")
    assert alarm.severity == "major" and alarm.address == "192.0.2.1:514"


def test_rules_from_yaml(tmp_path: Path):
    path = tmp_path / "rules.yaml"
    path.write_text("- {alarm_type: DYING_GASP, pattern: dying gasp, severity: critical}\n")
    rules = SyslogRules.from_yaml(path)
    assert rules.rules == (Rule("DYING_GASP", "dying gasp", severity="critical"),)
    alarm = syslog_to_alarm(parse_syslog(b"<14>ont-1 Dying Gasp received"), rules)
    assert alarm is not None and (alarm.alarm_type, alarm.severity) == ("DYING_GASP", "critical")
    path.write_text("- {alarm_type: X, pattern: x, severity: fatal}\n")
    with pytest.raises(ValueError, match="rules"):
        SyslogRules.from_yaml(path)


def _logger(port: int, *args: str) -> None:
    if shutil.which("logger") is None:
        pytest.skip("util-linux logger is not installed")
    cmd = ["logger", "--server", "127.0.0.1", "--port", str(port), "-t", "ifmgr", *args]
    subprocess.run(cmd, check=True, timeout=10)


@pytest.mark.parametrize("transport", ["udp", "tcp"])
@pytest.mark.parametrize("protocol", ["--rfc5424", "--rfc3164"])
def test_logger_sends_alarms(transport, protocol):
    name = f"syslog-{transport}"
    config = ReceiverConfig(**{name.replace("-", "_"): LOCAL})
    with Running(config) as running:
        port = running.port(name)
        _logger(port, f"--{transport}", protocol, "-p", "local0.crit", "port 7 LOS detected")
        _logger(port, f"--{transport}", protocol, "-p", "local0.notice", "port 7 LOS cleared")
        counters = running.wait_received(name, 2)
    assert messages(counters) == {
        "received": 2,
        "parsed": 2,
        "malformed": 0,
        "dropped": 0,
        "ignored": 0,
    }
    if transport == "tcp":
        assert (counters["connections"], counters["refused"], counters["timed_out"]) == (2, 0, 0)
    else:
        assert counters["kernel_dropped"] == 0 and counters["connections"] is None
    raised, cleared = running.alarms
    assert (raised.ne_id, raised.alarm_type, raised.severity) == (HOST, "LOS", "critical")
    assert raised.text == "port 7 LOS detected" and raised.source == "syslog"
    assert cleared.is_clear and cleared.alarm_type == "LOS"


def test_logger_octet_counted_tcp_several_lines(tmp_path: Path):
    lines = tmp_path / "lines.txt"
    lines.write_text("ge-0/0/1 link down\nnothing to see\nge-0/0/1 link up\n")
    with Running(ReceiverConfig(syslog_tcp=LOCAL)) as running:
        _logger(running.port("syslog-tcp"), "--tcp", "--octet-count", "-f", str(lines))
        counters = running.wait_received("syslog-tcp", 3)
    assert counters["parsed"] == 2 and counters["ignored"] == 1
    assert [a.is_clear for a in running.alarms] == [False, True]


def test_malformed_udp_datagrams_between_good_ones():
    good = b"<11>1 - ne-%d app - - - link down"
    bad = [b"", b"\xff\xfe garbage", b"<999>x", b"<13>1 2026-13-45T99:99:99Z h a - - - x"]
    with Running(ReceiverConfig(syslog_udp=LOCAL)) as running:
        port = running.port("syslog-udp")
        for i, junk in enumerate(bad):
            send_udp(port, good % i, junk)
        send_udp(port, good % 99)
        counters = running.wait_received("syslog-udp", 2 * len(bad) + 1)
    assert counters["malformed"] == len(bad) and counters["parsed"] == len(bad) + 1
    assert [a.ne_id for a in running.alarms] == [f"ne-{i}" for i in [*range(len(bad)), 99]]


def test_tcp_mixed_framing_and_garbage_lines():
    stream = (
        b"<11>1 - ne-1 app - - - link down\n"
        b"this line has no PRI\n"
        + b"%d <11>1 - ne-2 app - - - LOS detected" % len(b"<11>1 - ne-2 app - - - LOS detected")
        + b"<11>Nov 24 23:00:00 ne-3 app: link up\r\n"
    )
    with Running(ReceiverConfig(syslog_tcp=LOCAL)) as running:
        send_tcp(running.port("syslog-tcp"), stream)
        counters = running.wait_received("syslog-tcp", 4)
    assert counters["malformed"] == 1 and counters["parsed"] == 3
    assert [(a.ne_id, a.alarm_type, a.is_clear) for a in running.alarms] == [
        ("ne-1", "LINK_DOWN", False),
        ("ne-2", "LOS", False),
        ("ne-3", "LINK_DOWN", True),
    ]


def test_tcp_bad_octet_count_closes_only_that_connection():
    with Running(ReceiverConfig(syslog_tcp=LOCAL)) as running:
        port = running.port("syslog-tcp")
        send_tcp(port, b"12x <11>garbage after a bad length\n")
        send_tcp(port, b"<11>1 - ne-1 app - - - link down\n")
        counters = running.wait_received("syslog-tcp", 2)
    assert counters["malformed"] == 1 and counters["parsed"] == 1
