"""SNMPv2c traps: decoded (see _ber.py), and mapped to alarms by trap OID.

Mapping (see docs/faults.md):

* ``snmpTrapOID.0`` selects a :class:`TrapType` in :data:`STANDARD_TRAPS`
  (IF-MIB linkDown/linkUp are LINK_DOWN raise/clear, and so on).
* Traps under :data:`TELCOLENS_ENTERPRISE` carry the alarm in varbinds: neId,
  alarmType, severity (X.733 name, or ITU-ALARM-TC ItuPerceivedSeverity number
  as in RFC 3877: 1 cleared ... 6 warning) and text; trap ``.0.2`` or severity
  cleared is a clear.
* Any other trap is recorded as UNKNOWN_TRAP, its OID and varbinds in the text.

ne_id is the telcolens neId varbind, else ``snmpTrapAddress.0`` (set by proxies),
else the sender's IP address. Traps carry no wall-clock time, so an event's time
is when it was received.
"""

from __future__ import annotations

from dataclasses import dataclass

from telcolens.faults.receivers._alarm import Alarm, ParseError, format_address, host_of, now_cst
from telcolens.faults.receivers._base import Refused
from telcolens.faults.receivers._ber import Value, decode_snmp

SNMP_TRAP_OID = "1.3.6.1.6.3.1.1.4.1.0"
SYS_UPTIME = "1.3.6.1.2.1.1.3.0"
SNMP_TRAP_ADDRESS = "1.3.6.1.6.3.18.1.3.0"
# RFC 5612's Private Enterprise Number for documentation: a placeholder until the
# operator's own PEN is configured (SnmpMapping.enterprise).
TELCOLENS_ENTERPRISE = "1.3.6.1.4.1.32473.1"
_ITU_SEVERITY = {
    1: "cleared",
    2: "indeterminate",
    3: "critical",
    4: "major",
    5: "minor",
    6: "warning",
}
_MAX_TEXT = 1000
_V1, _V2C, _V3 = 0, 1, 3  # msgVersion on the wire


@dataclass(frozen=True)
class TrapType:
    """What a trap OID means: the alarm type it raises, or clears."""

    name: str  # the MIB's name for the notification, shown in the alarm's text
    alarm_type: str
    severity: str = "major"
    clear: bool = False


STANDARD_TRAPS = {
    "1.3.6.1.6.3.1.1.5.1": TrapType("coldStart", "COLD_START", "warning"),  # SNMPv2-MIB
    "1.3.6.1.6.3.1.1.5.2": TrapType("warmStart", "WARM_START", "warning"),
    "1.3.6.1.6.3.1.1.5.3": TrapType("linkDown", "LINK_DOWN", "major"),  # IF-MIB
    "1.3.6.1.6.3.1.1.5.4": TrapType("linkUp", "LINK_DOWN", "major", clear=True),
    "1.3.6.1.6.3.1.1.5.5": TrapType("authenticationFailure", "AUTHENTICATION_FAILURE", "minor"),
}
# Short names for the varbinds shown in an alarm's text.
VARBIND_NAMES = {
    "1.3.6.1.2.1.2.2.1.1": "ifIndex",
    "1.3.6.1.2.1.2.2.1.2": "ifDescr",
    "1.3.6.1.2.1.2.2.1.7": "ifAdminStatus",
    "1.3.6.1.2.1.2.2.1.8": "ifOperStatus",
    "1.3.6.1.2.1.31.1.1.1.1": "ifName",
}


@dataclass(frozen=True)
class TrapMessage:
    """A decoded SNMP message: version, community, PDU kind and varbinds as Python values."""

    version: int
    community: bytes
    pdu: str
    varbinds: tuple[tuple[str, Value], ...]

    @property
    def trap_oid(self) -> str | None:
        return next((str(v) for oid, v in self.varbinds if oid == SNMP_TRAP_OID), None)


def decode_message(data: bytes) -> TrapMessage:
    """Decode one SNMP message (BER). Raises ParseError on anything undecodable.

    Only SNMPv2c messages are decoded in full; v1 and v3 come back with their
    version and PDU kind 'unsupported', for the receiver to count as dropped.
    """
    version, community, kind, varbinds = decode_snmp(data)
    if version in (_V1, _V3):
        return TrapMessage(version, b"", "unsupported", ())
    if version != _V2C:
        raise ParseError(f"unknown SNMP version {version}")
    return TrapMessage(version, community, kind, varbinds)


def encode_trap(
    trap_oid: str,
    varbinds: list[tuple[str, str | int | bytes]] | tuple = (),
    *,
    community: bytes = b"public",
    uptime: int = 0,
) -> bytes:
    """A BER-encoded SNMPv2c trap: sysUpTime.0, snmpTrapOID.0, then ``varbinds``.

    For tests, benchmarks and simulators that need traps without an SNMP agent.
    """
    # pysnmp (pyasn1) is the reference encoder; receiving does not need it.
    from pyasn1.codec.ber import encoder
    from pysnmp.proto import api, rfc1902

    module = api.PROTOCOL_MODULES[_V2C]
    pdu = module.SNMPv2TrapPDU()
    module.apiTrapPDU.set_defaults(pdu)
    module.apiPDU.set_varbinds(
        pdu,
        [
            (SYS_UPTIME, rfc1902.TimeTicks(uptime)),
            (SNMP_TRAP_OID, rfc1902.ObjectIdentifier(trap_oid)),
            *((oid, _asn1(value)) for oid, value in varbinds),
        ],
    )
    message = module.Message()
    module.apiMessage.set_defaults(message)
    module.apiMessage.set_community(message, community)
    module.apiMessage.set_pdu(message, pdu)
    return encoder.encode(message)


def _asn1(value: str | int | bytes) -> object:
    from pysnmp.proto import rfc1902

    if isinstance(value, int):
        return rfc1902.Integer32(value)
    return rfc1902.OctetString(value.encode() if isinstance(value, str) else value)


@dataclass(frozen=True)
class SnmpMapping:
    """How traps become alarms: the standard trap table and the enterprise subtree."""

    traps: dict[str, TrapType] | None = None
    enterprise: str = TELCOLENS_ENTERPRISE

    def trap_type(self, oid: str) -> TrapType | None:
        return (self.traps if self.traps is not None else STANDARD_TRAPS).get(oid)


def trap_to_alarm(
    trap: TrapMessage, address: object = None, mapping: SnmpMapping | None = None
) -> Alarm:
    """The alarm one decoded v2c trap stands for."""
    mapping = mapping or SnmpMapping()
    oid = trap.trap_oid
    if oid is None:
        raise ParseError("trap without snmpTrapOID.0")
    values = dict(trap.varbinds)
    ne_id = str(values.get(SNMP_TRAP_ADDRESS) or host_of(address))
    at = now_cst()
    if oid.startswith(mapping.enterprise + ".0."):
        return _enterprise_alarm(trap, oid, mapping.enterprise, ne_id, at, address)
    known = mapping.trap_type(oid)
    if known is None:
        alarm_type, severity, clear = "UNKNOWN_TRAP", "indeterminate", False
        text = f"trap {oid} {_describe(trap)}"
    else:
        alarm_type, severity, clear = known.alarm_type, known.severity, known.clear
        text = f"{known.name} {_describe(trap)}"
    return Alarm(
        ne_id=ne_id,
        alarm_type=alarm_type,
        severity=severity,
        source="snmp",
        raised_at=None if clear else at,
        cleared_at=at if clear else None,
        text=text.strip()[:_MAX_TEXT],
        address=format_address(address),
    )


def _enterprise_alarm(
    trap: TrapMessage, oid: str, enterprise: str, ne_id: str, at: object, address: object
) -> Alarm:
    fields: dict[str, object] = {}
    names = {"1": "ne_id", "2": "alarm_type", "3": "severity", "4": "text"}
    for vb_oid, value in trap.varbinds:
        if vb_oid.startswith(enterprise + ".1."):
            column = vb_oid[len(enterprise) + 3 :].split(".")[0]
            if column in names:
                fields[names[column]] = (
                    value.decode("latin-1") if isinstance(value, bytes) else value
                )
    severity = fields.get("severity", "indeterminate")
    if isinstance(severity, int):
        severity = _ITU_SEVERITY.get(severity, "indeterminate")
    severity = str(severity).lower()
    clear = oid == enterprise + ".0.2" or severity == "cleared"
    if severity == "cleared":
        severity = "indeterminate"
    if severity not in _ITU_SEVERITY.values():
        raise ParseError(f"severity {severity!r} is not X.733")
    alarm_type = str(fields.get("alarm_type") or "").strip()
    if not alarm_type:
        raise ParseError("telcolens alarm trap without alarmType")
    return Alarm(
        ne_id=str(fields.get("ne_id") or ne_id),
        alarm_type=alarm_type,
        severity=severity,
        source="snmp",
        raised_at=None if clear else at,  # type: ignore[arg-type]
        cleared_at=at if clear else None,  # type: ignore[arg-type]
        text=str(fields["text"])[:_MAX_TEXT] if "text" in fields else None,
        address=format_address(address),
    )


def _describe(trap: TrapMessage) -> str:
    parts = []
    for oid, value in trap.varbinds:
        if oid in (SYS_UPTIME, SNMP_TRAP_OID):
            continue
        base, _, index = oid.rpartition(".")
        name = f"{VARBIND_NAMES[base]}.{index}" if base in VARBIND_NAMES else oid
        shown = value.hex() if isinstance(value, bytes) else value
        parts.append(f"{name}={shown}")
    return " ".join(parts)


def snmp_parser(community: bytes | None = b"public", mapping: SnmpMapping | None = None):
    """A Receiver parse function: v2c traps with ``community`` (None: any) to alarms."""

    def parse(data: bytes, address: object) -> Alarm:
        trap = decode_message(data)
        if trap.version != _V2C:
            shown = {_V1: "v1", _V3: "v3"}[trap.version]
            raise Refused(f"SNMP{shown} message; only v2c is received")
        if community is not None and trap.community != community:
            raise Refused("wrong community")
        if trap.pdu not in ("trap", "inform"):
            raise Refused(f"{trap.pdu} PDU; only SNMPv2-Trap and InformRequest are received")
        return trap_to_alarm(trap, address, mapping)

    return parse
