"""Syslog messages (RFC 5424 and RFC 3164) parsed, and turned into alarms by regex rules."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

import yaml

from telcolens.errors import BadInput
from telcolens.faults.receivers._alarm import (
    Alarm,
    ParseError,
    format_address,
    host_of,
    now_cst,
    to_cst,
)
from telcolens.schema.network import SEVERITIES

# Syslog severity (RFC 5424 table 2) -> ITU-T X.733 perceived severity.
# emerg/alert/crit are service-affecting; err is a fault that needs work; warning
# and notice are conditions to watch; info and debug carry no severity of their own.
SYSLOG_SEVERITY = {
    0: "critical",  # emergency
    1: "critical",  # alert
    2: "critical",  # critical
    3: "major",  # error
    4: "minor",  # warning
    5: "warning",  # notice
    6: "indeterminate",  # informational
    7: "indeterminate",  # debug
}

_PRI = re.compile(rb"<([0-9]{1,3})>")
_RFC5424_TIME = re.compile(
    r"([0-9]{4}-[0-9]{2}-[0-9]{2})T([0-9]{2}:[0-9]{2}:[0-9]{2})(\.[0-9]{1,6})?(Z|[+-][0-9]{2}:[0-9]{2})$"
)
_RFC3164_TIME = re.compile(r"([A-Z][a-z]{2}) ([ 0-9][0-9]) ([0-9]{2}:[0-9]{2}:[0-9]{2}) ")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_BOM = "\ufeff"


@dataclass(frozen=True, slots=True)
class SyslogMessage:
    """The parts of one syslog message the receiver uses."""

    facility: int
    severity: int
    timestamp: datetime | None  # naive CST; None when the message has none
    hostname: str | None
    app_name: str | None
    message: str


def parse_syslog(data: bytes) -> SyslogMessage:
    """One syslog message, RFC 5424 if its header says version 1, else RFC 3164.

    Raises ParseError when there is no valid ``<PRI>`` or an RFC 5424 header is
    broken. RFC 3164 is a description of practice more than a format, so any text
    after ``<PRI>`` is accepted; timestamp and hostname are used where present.
    """
    match = _PRI.match(data)
    if match is None:
        raise ParseError("no <PRI> at the start")
    pri = int(match.group(1))
    if pri > 191 or (len(match.group(1)) > 1 and match.group(1).startswith(b"0")):
        raise ParseError(f"invalid PRI <{match.group(1).decode()}>")
    rest = data[match.end() :].rstrip(b"\r\n\x00")
    if rest.startswith(b"1 "):
        return _parse_5424(pri, rest[2:])
    return _parse_3164(pri, rest)


def _parse_5424(pri: int, rest: bytes) -> SyslogMessage:
    parts = rest.split(b" ", 5)  # TIMESTAMP HOSTNAME APP-NAME PROCID MSGID, then SD and MSG
    if len(parts) < 6:
        raise ParseError("RFC 5424 header cut short")
    try:
        head = [part.decode("ascii") for part in parts[:5]]
    except UnicodeDecodeError:
        raise ParseError("RFC 5424 header is not ASCII") from None
    if not all(part and part.isprintable() for part in head):
        raise ParseError("empty or unprintable RFC 5424 header field")
    timestamp, hostname, app_name = head[:3]
    message = _skip_structured_data(parts[5])
    text = message.decode("utf-8", errors="replace").removeprefix(_BOM)
    return SyslogMessage(
        facility=pri >> 3,
        severity=pri & 7,
        timestamp=None if timestamp == "-" else _rfc5424_time(timestamp),
        hostname=None if hostname == "-" else hostname,
        app_name=None if app_name == "-" else app_name,
        message=text.strip(),
    )


def _rfc5424_time(text: str) -> datetime:
    match = _RFC5424_TIME.match(text)
    if match is None:
        raise ParseError(f"bad RFC 5424 timestamp {text[:40]!r}")
    day, clock, fraction, zone = match.groups()
    iso = f"{day}T{clock}{fraction or ''}{'+00:00' if zone == 'Z' else zone}"
    try:
        return to_cst(datetime.fromisoformat(iso))
    except (ValueError, OverflowError):  # month 13; year 1 shifted before year 1
        raise ParseError(f"bad RFC 5424 timestamp {text[:40]!r}") from None


def _skip_structured_data(data: bytes) -> bytes:
    """The MSG after STRUCTURED-DATA ('-' or one or more [SD-ELEMENT])."""
    if data.startswith(b"-"):
        return data[1:].removeprefix(b" ")
    if not data.startswith(b"["):
        raise ParseError("RFC 5424 STRUCTURED-DATA must be '-' or start with '['")
    i, in_quotes = 0, False
    while i < len(data):
        ch = data[i]
        if in_quotes and ch == 0x5C:  # backslash escapes ", ] and \ inside a value
            i += 2
            continue
        if ch == 0x22:
            in_quotes = not in_quotes
        elif ch == 0x5D and not in_quotes and data[i + 1 : i + 2] != b"[":
            # ']' closing the last element ('][' runs on into the next one)
            return data[i + 1 :].removeprefix(b" ")
        i += 1
    raise ParseError("unterminated RFC 5424 STRUCTURED-DATA")


def _parse_3164(pri: int, rest: bytes) -> SyslogMessage:
    text = rest.decode("utf-8", errors="replace")
    timestamp, hostname = None, None
    match = _RFC3164_TIME.match(text)
    if match is not None and match.group(1) in _MONTHS:
        timestamp = _rfc3164_time(*match.groups())
        text = text[match.end() :]
        host, sep, after = text.partition(" ")
        # 'host tag: msg' has a hostname; 'tag: msg' (no hostname) does not.
        if sep and host and not host.endswith(":") and "[" not in host:
            hostname, text = host, after
    tag = re.match(r"([\w./-]{1,48})(\[[0-9]+\])?: ", text)
    app_name = None
    if tag is not None:
        app_name, text = tag.group(1), text[tag.end() :]
    return SyslogMessage(pri >> 3, pri & 7, timestamp, hostname, app_name, text.strip())


def _rfc3164_time(month: str, day: str, clock: str) -> datetime | None:
    """An RFC 3164 time (no year, no zone), taken as CST in the year that puts it nearest now."""
    now = now_cst()
    try:
        stamp = datetime.strptime(f"{now.year} {month} {day.strip()} {clock}", "%Y %b %d %H:%M:%S")
    except ValueError:  # Feb 29 outside a leap year, 25:00:00, ...
        return None
    if (stamp - now).days > 180:  # December's messages read in January
        stamp = stamp.replace(year=now.year - 1)
    return stamp


@dataclass(frozen=True)
class Rule:
    """Messages matching ``pattern`` are alarms of ``alarm_type``; ``clear`` marks their clears.

    ``severity`` overrides the one the syslog priority gives.
    """

    alarm_type: str
    pattern: str
    clear: str | None = None
    severity: str | None = None
    _raise_re: re.Pattern[str] = field(init=False, repr=False, compare=False)
    _clear_re: re.Pattern[str] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if self.severity is not None and self.severity not in SEVERITIES:
            raise ValueError(f"rule {self.alarm_type}: severity {self.severity!r} not X.733")
        object.__setattr__(self, "_raise_re", re.compile(self.pattern, re.IGNORECASE))
        clear = re.compile(self.clear, re.IGNORECASE) if self.clear else None
        object.__setattr__(self, "_clear_re", clear)


# A message matching a rule is a clear when the rule's own clear pattern matches,
# or when this does (e.g. "LOS cleared on port 3").
CLEAR_WORDS = r"\b(clear(ed)?|restored|recovered|resolved|back to normal)\b"

DEFAULT_RULES = (
    Rule("LINK_DOWN", r"LINK_?DOWN|link (is |went )?down|linkDown", r"LINK_?UP|link (is )?up"),
    Rule("LOS", r"\bLOS\b|loss of signal"),
    Rule("POWER_FAIL", r"power (supply )?(fail|failure|lost|loss)|mains (fail|lost)"),
    Rule("FAN_FAIL", r"fan (tray )?(fail|failure|fault)"),
    Rule("HIGH_TEMPERATURE", r"(high|over) ?temperature|temperature (high|critical)"),
    Rule("BGP_DOWN", r"BGP.*(Established.*(Idle|Active)|neighbou?r .*down)", r"BGP.*\bup\b"),
)


@dataclass(frozen=True)
class SyslogRules:
    """The ordered alarm rules; the first matching rule decides."""

    rules: tuple[Rule, ...] = DEFAULT_RULES
    clear_words: str = CLEAR_WORDS

    @classmethod
    def from_yaml(cls, path: Path) -> SyslogRules:
        """Rules from a YAML list of {alarm_type, pattern, clear?, severity?}."""
        try:
            entries = yaml.safe_load(Path(path).read_text("utf-8"))
            return cls(tuple(Rule(**entry) for entry in entries))
        except (OSError, yaml.YAMLError, TypeError, ValueError, re.error) as exc:
            raise BadInput(f"{path}: not a list of syslog alarm rules: {exc}") from None

    def match(self, message: str) -> tuple[Rule, bool] | None:
        """The first rule matching ``message`` and whether the message is a clear."""
        for rule in self.rules:
            if rule._clear_re is not None and rule._clear_re.search(message):
                return rule, True
            if rule._raise_re.search(message):
                return rule, re.search(self.clear_words, message, re.IGNORECASE) is not None
        return None


def syslog_to_alarm(msg: SyslogMessage, rules: SyslogRules, address: object = None) -> Alarm | None:
    """The alarm a syslog message stands for, or None when no rule matches it."""
    found = rules.match(msg.message)
    if found is None:
        return None
    rule, is_clear = found
    at = msg.timestamp or now_cst()
    return Alarm(
        ne_id=msg.hostname or host_of(address),
        alarm_type=rule.alarm_type,
        severity=rule.severity or SYSLOG_SEVERITY[msg.severity],
        source="syslog",
        raised_at=None if is_clear else at,
        cleared_at=at if is_clear else None,
        text=msg.message,
        address=format_address(address),
    )
