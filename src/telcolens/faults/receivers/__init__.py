"""Alarm receivers: SNMPv2c traps, syslog (RFC 5424/3164 over UDP and TCP) and VES events,
normalised to :class:`Alarm` events and pushed to a sink (see docs/faults.md).
"""

from telcolens.faults.receivers._alarm import Alarm, ParseError, Sink
from telcolens.faults.receivers._base import Counters
from telcolens.faults.receivers._tcp import TcpLimits
from telcolens.faults.receivers.server import ReceiverConfig, Receivers, parse_endpoint
from telcolens.faults.receivers.sink import ParquetSink
from telcolens.faults.receivers.snmp import SnmpMapping, TrapType, decode_message, trap_to_alarm
from telcolens.faults.receivers.syslog import Rule, SyslogRules, parse_syslog, syslog_to_alarm
from telcolens.faults.receivers.ves import parse_ves

__all__ = [
    "Alarm",
    "Counters",
    "ParquetSink",
    "ParseError",
    "ReceiverConfig",
    "Receivers",
    "Rule",
    "Sink",
    "SnmpMapping",
    "SyslogRules",
    "TcpLimits",
    "TrapType",
    "decode_message",
    "parse_endpoint",
    "parse_syslog",
    "parse_ves",
    "syslog_to_alarm",
    "trap_to_alarm",
]
