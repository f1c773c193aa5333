"""Random input to every parser: a ParseError or a result, never another exception."""

from __future__ import annotations

import contextlib
import json

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from telcolens.faults.receivers import ParseError, SyslogRules, parse_ves
from telcolens.faults.receivers.snmp import decode_message, encode_trap, trap_to_alarm
from telcolens.faults.receivers.syslog import parse_syslog, syslog_to_alarm
from tests.faults.test_receivers_ves import fault_event

FUZZ = settings(max_examples=500, deadline=None, suppress_health_check=[HealthCheck.too_slow])
LINK_DOWN = encode_trap("1.3.6.1.6.3.1.1.5.3", [("1.3.6.1.2.1.2.2.1.1.3", 3)])


def _mutations() -> st.SearchStrategy[bytes]:
    """A valid message with a few bytes changed, cut or appended: nearer the parser's edges."""

    def mutate(data: bytes, edits: list[tuple[int, int]], cut: int, tail: bytes) -> bytes:
        buf = bytearray(data)
        for pos, value in edits:
            buf[pos % len(buf)] = value
        return bytes(buf[: max(cut, 1)]) + tail

    return st.builds(
        mutate,
        st.sampled_from([LINK_DOWN, b'<11>1 2026-11-24T15:04:05Z h a - - [x y="1"] link down']),
        st.lists(st.tuples(st.integers(0, 10_000), st.integers(0, 255)), max_size=4),
        st.integers(0, 200),
        st.binary(max_size=8),
    )


@FUZZ
@given(st.one_of(st.binary(max_size=512), _mutations()))
def test_snmp_decoder(data: bytes):
    try:
        trap = decode_message(data)
        trap_to_alarm(trap, ("127.0.0.1", 1))
    except ParseError:
        pass


@FUZZ
@given(st.one_of(st.binary(max_size=512), _mutations(), st.binary().map(lambda b: b"<13>1 " + b)))
def test_syslog_parsers(data: bytes):
    with contextlib.suppress(ParseError):
        syslog_to_alarm(parse_syslog(data), SyslogRules(), ("127.0.0.1", 1))


_json = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=20), inner, max_size=4)
    ),
    max_leaves=20,
)


def _ves_mutations() -> st.SearchStrategy[dict]:
    """A valid fault event with one field of the header or fault fields replaced by junk."""

    def mutate(part: str, key: str, value: object) -> dict:
        event = fault_event()
        event[part][key] = value
        return {"event": event}

    keys = st.sampled_from(
        [
            "domain",
            "sourceName",
            "startEpochMicrosec",
            "lastEpochMicrosec",
            "eventSeverity",
            "alarmCondition",
            "specificProblem",
        ]
    )
    return st.builds(mutate, st.sampled_from(["commonEventHeader", "faultFields"]), keys, _json)


@FUZZ
@given(st.one_of(st.binary(max_size=256), _json, _ves_mutations()))
def test_ves_parser(payload):
    with contextlib.suppress(ParseError):
        parse_ves(payload if isinstance(payload, bytes | dict) else json.dumps(payload).encode())


_arcs = st.lists(st.integers(0, 2**32 - 1), min_size=1, max_size=12)
_oids = st.builds(
    lambda first, second, rest: ".".join(map(str, [first, second, *rest])),
    st.integers(0, 1),
    st.integers(0, 39),
    _arcs,
) | st.builds(
    lambda second, rest: ".".join(map(str, [2, second, *rest])), st.integers(0, 10**6), _arcs
)
_values = st.integers(-(2**31), 2**31 - 1) | st.text(max_size=40) | st.binary(max_size=40)


@FUZZ
@given(_oids, st.lists(st.tuples(_oids, _values), max_size=8), st.binary(max_size=20))
def test_ber_reader_agrees_with_pysnmp_encoder(trap_oid, varbinds, community):
    """What pysnmp encodes, our reader decodes to the same OIDs and values."""
    trap = decode_message(encode_trap(trap_oid, varbinds, community=community))
    assert (trap.version, trap.community, trap.pdu, trap.trap_oid) == (
        1,
        community,
        "trap",
        trap_oid,
    )

    def expected(value):
        if isinstance(value, bytes):
            try:
                return value.decode("utf-8")
            except UnicodeDecodeError:
                return value
        return value

    assert list(trap.varbinds[2:]) == [(oid, expected(v)) for oid, v in varbinds]
