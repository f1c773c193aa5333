"""SNMPv2c traps: decoding and mapping, and the UDP receiver fed by net-snmp's ``snmptrap``."""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest

from telcolens.faults.receivers import ParseError, ReceiverConfig
from telcolens.faults.receivers._ber import inform_response
from telcolens.faults.receivers.snmp import (
    TELCOLENS_ENTERPRISE,
    decode_message,
    encode_trap,
    trap_to_alarm,
)
from tests.faults._receiving import LOCAL, Running, messages, send_udp

LINK_DOWN, LINK_UP = "1.3.6.1.6.3.1.1.5.3", "1.3.6.1.6.3.1.1.5.4"
IF_INDEX, IF_DESCR = "1.3.6.1.2.1.2.2.1.1.3", "1.3.6.1.2.1.2.2.1.2.3"
RAISE, CLEAR = f"{TELCOLENS_ENTERPRISE}.0.1", f"{TELCOLENS_ENTERPRISE}.0.2"
NE_ID, TYPE, SEVERITY, TEXT = (f"{TELCOLENS_ENTERPRISE}.1.{i}.0" for i in (1, 2, 3, 4))
PEER = ("192.0.2.5", 40000)


def alarm_of(data: bytes):
    return trap_to_alarm(decode_message(data), PEER)


def test_link_down_and_up():
    down = alarm_of(encode_trap(LINK_DOWN, [(IF_INDEX, 3), (IF_DESCR, "ge-0/0/3")]))
    assert (down.ne_id, down.alarm_type, down.severity, down.is_clear) == (
        "192.0.2.5",
        "LINK_DOWN",
        "major",
        False,
    )
    assert down.text == "linkDown ifIndex.3=3 ifDescr.3=ge-0/0/3"
    assert down.address == "192.0.2.5:40000" and down.source == "snmp"
    up = alarm_of(encode_trap(LINK_UP, [(IF_INDEX, 3)]))
    assert (up.alarm_type, up.is_clear) == ("LINK_DOWN", True)


def test_enterprise_alarm_varbinds():
    varbinds = [(NE_ID, "olt-12"), (TYPE, "LOS"), (SEVERITY, "critical"), (TEXT, "PON 1/2 LOS")]
    alarm = alarm_of(encode_trap(RAISE, varbinds))
    assert (alarm.ne_id, alarm.alarm_type, alarm.severity, alarm.text) == (
        "olt-12",
        "LOS",
        "critical",
        "PON 1/2 LOS",
    )
    # ITU-ALARM-TC numbers: 1 is cleared, whatever the trap OID says.
    clear = alarm_of(encode_trap(RAISE, [(NE_ID, "olt-12"), (TYPE, "LOS"), (SEVERITY, 1)]))
    assert clear.is_clear and clear.alarm_type == "LOS"
    assert alarm_of(encode_trap(CLEAR, [(NE_ID, "olt-12"), (TYPE, "LOS")])).is_clear
    with pytest.raises(ParseError, match="alarmType"):
        alarm_of(encode_trap(RAISE, [(NE_ID, "olt-12")]))


def test_unknown_trap_is_recorded_with_its_oid():
    alarm = alarm_of(
        encode_trap("1.3.6.1.4.1.9.9.41.2.0.1", [("1.3.6.1.4.1.9.9.41.1.2.3.1.2.1", "x")])
    )
    assert (alarm.alarm_type, alarm.severity) == ("UNKNOWN_TRAP", "indeterminate")
    assert alarm.text.startswith("trap 1.3.6.1.4.1.9.9.41.2.0.1 ")


@pytest.mark.parametrize("data", [b"", b"\x30\x03\x02\x01\x01", b"\x30\x82\xff\xff", b"\x04\x00"])
def test_garbage_raises_parse_error(data):
    with pytest.raises(ParseError):
        decode_message(data)


def test_wrong_community_and_garbage_between_good_traps():
    good = encode_trap(LINK_DOWN, [(IF_INDEX, 1)])
    other = encode_trap(LINK_DOWN, [(IF_INDEX, 2)], community=b"private")
    with Running(ReceiverConfig(snmp=LOCAL)) as running:
        port = running.port("snmp")
        send_udp(port, good, b"\x30\x05garbage", other, good[:-3], good, b"", good)
        counters = running.wait_received("snmp", 7)
    assert messages(counters) == {
        "received": 7,
        "parsed": 3,
        "malformed": 3,
        "dropped": 1,
        "ignored": 0,
    }
    assert [a.text for a in running.alarms] == ["linkDown ifIndex.3=1"] * 3


def _snmptrap(
    port: int, *args: str, version: str = "2c", community: str = "public", options=()
) -> None:
    if shutil.which("snmptrap") is None:
        pytest.skip("net-snmp's snmptrap is not installed (Debian package 'snmp')")
    # No MIBs: numeric OIDs only, and no warnings about MIB files that are not there.
    env = {**os.environ, "MIBS": "", "MIBDIRS": ""}
    cmd = ["snmptrap", "-v", version, "-c", community, *options, f"127.0.0.1:{port}", *args]
    subprocess.run(cmd, check=True, timeout=10, env=env, capture_output=True)


def test_snmptrap_sends_v2c_traps():
    with Running(ReceiverConfig(snmp=LOCAL)) as running:
        port = running.port("snmp")
        _snmptrap(port, "", LINK_DOWN, IF_INDEX, "i", "3", IF_DESCR, "s", "ge-0/0/3")
        _snmptrap(
            port,
            "",
            RAISE,
            NE_ID,
            "s",
            "enb-3301",
            TYPE,
            "s",
            "POWER_FAIL",
            SEVERITY,
            "i",
            "3",
            TEXT,
            "s",
            "mains lost",
        )
        _snmptrap(port, "", LINK_UP, IF_INDEX, "i", "3")
        _snmptrap(port, "", LINK_DOWN, IF_INDEX, "i", "4", community="wrong")
        counters = running.wait_received("snmp", 4)
    assert messages(counters) == {
        "received": 4,
        "parsed": 3,
        "malformed": 0,
        "dropped": 1,
        "ignored": 0,
    }
    down, power, up = running.alarms
    assert (down.ne_id, down.alarm_type, down.text) == (
        "127.0.0.1",
        "LINK_DOWN",
        "linkDown ifIndex.3=3 ifDescr.3=ge-0/0/3",
    )
    assert (power.ne_id, power.alarm_type, power.severity, power.text) == (
        "enb-3301",
        "POWER_FAIL",
        "critical",
        "mains lost",
    )
    assert up.is_clear and up.alarm_type == "LINK_DOWN"


def test_snmpv1_trap_is_dropped_not_malformed():
    with Running(ReceiverConfig(snmp=LOCAL)) as running:
        # v1: enterprise, agent address, generic trap 2 (linkDown), specific 0, uptime
        _snmptrap(running.port("snmp"), "1.3.6.1.4.1.32473", "127.0.0.1", "2", "0", "", version="1")
        counters = running.wait_received("snmp", 1)
    assert counters["dropped"] == 1 and not running.alarms


def test_snmptrap_inform_is_acknowledged():
    with Running(ReceiverConfig(snmp=LOCAL)) as running:
        # -Ci: an InformRequest; with no response snmptrap retries, then fails (check=True).
        inform = ("-Ci", "-r", "0", "-t", "3")
        _snmptrap(running.port("snmp"), "", LINK_DOWN, IF_INDEX, "i", "5", options=inform)
        counters = running.wait_received("snmp", 1)
    assert counters["parsed"] == 1 and running.alarms[0].text == "linkDown ifIndex.3=5"


def test_inform_response_only_for_informs():
    trap = encode_trap(LINK_DOWN, [(IF_INDEX, 1)])
    assert inform_response(trap) is None
    inform = trap.replace(b"\xa7", b"\xa6", 1)  # the PDU tag is the first 0xa7 byte
    assert decode_message(inform).pdu == "inform"
    response = inform_response(inform)
    assert response == trap.replace(b"\xa7", b"\xa2", 1)
    assert decode_message(response).pdu == "response"
