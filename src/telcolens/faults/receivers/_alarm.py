"""The normalised alarm event every receiver produces, and the sink it is pushed to."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Literal

from telcolens.schema.network import SEVERITIES

Source = Literal["snmp", "syslog", "ves"]
CST = timezone(timedelta(hours=8), "CST")  # China Standard Time: no daylight saving


class ParseError(ValueError):
    """Input a receiver cannot turn into alarms: the one exception the parsers raise.

    Not a :class:`~telcolens.errors.TelcolensError` on purpose: it is a verdict on one
    message from the network, which the receivers count as malformed and go on, never
    an error of a command or request. Where a request carries the message (the VES
    endpoint), the API turns it into its answer itself.
    """


@dataclass(frozen=True, slots=True)
class Alarm:
    """One alarm event: a raise, or a clear when ``cleared_at`` is set.

    Times are naive China Standard Time, as in the ``alarms`` table. A clear may
    also carry ``raised_at`` when its source says when the alarm began (VES does);
    a raise never carries ``cleared_at``. ``address`` is where it came from
    (``"192.0.2.7:161"``), kept for troubleshooting, not stored in the table.
    """

    ne_id: str
    alarm_type: str
    severity: str
    source: Source
    raised_at: datetime | None = None
    cleared_at: datetime | None = None
    text: str | None = None
    address: str | None = None

    def __post_init__(self) -> None:
        if self.raised_at is None and self.cleared_at is None:
            raise ValueError("an alarm event needs raised_at or cleared_at")
        if self.severity not in SEVERITIES:
            raise ValueError(f"severity {self.severity!r} is not one of {SEVERITIES}")

    @property
    def is_clear(self) -> bool:
        return self.cleared_at is not None

    @property
    def at(self) -> datetime:
        """When the event happened: the clear time of a clear, else the raise time."""
        return self.cleared_at or self.raised_at  # type: ignore[return-value]


# Where receivers push alarms: any callable, e.g. ``list.append`` in tests or a
# ParquetSink. It runs on the receiver's event loop, so it must not block.
Sink = Callable[[Alarm], None]


def now_cst() -> datetime:
    """The current time as naive China Standard Time."""
    return datetime.now(CST).replace(tzinfo=None)


def to_cst(moment: datetime) -> datetime:
    """An aware datetime as naive China Standard Time (a naive one is taken as CST)."""
    if moment.tzinfo is None:
        return moment
    return moment.astimezone(CST).replace(tzinfo=None)


def from_epoch_us(micros: int) -> datetime:
    """Microseconds since the Unix epoch as naive China Standard Time."""
    return to_cst(datetime(1970, 1, 1, tzinfo=UTC) + timedelta(microseconds=micros))


def format_address(addr: object) -> str | None:
    """``(host, port)`` as ``"host:port"`` (IPv6 hosts in brackets)."""
    if isinstance(addr, tuple) and len(addr) >= 2:
        host, port = addr[0], addr[1]
        return f"[{host}]:{port}" if ":" in str(host) else f"{host}:{port}"
    return None if addr is None else str(addr)


def host_of(addr: object) -> str:
    """The host part of a peer address, or 'unknown'."""
    if isinstance(addr, tuple) and addr:
        return str(addr[0])
    return "unknown"
