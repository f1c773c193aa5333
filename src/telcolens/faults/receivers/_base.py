"""What every receiver shares: its counters, rate-limited masked logging, and delivery."""

from __future__ import annotations

import logging
import time
import traceback
from collections.abc import Callable
from dataclasses import asdict, dataclass

from telcolens.faults.receivers._alarm import Alarm, ParseError, Sink
from telcolens.privacy import mask

log = logging.getLogger("telcolens.faults.receivers")


@dataclass
class Counters:
    """Per-receiver counts since start.

    ``received`` messages (datagrams, or frames on TCP) = ``parsed`` + ``malformed``
    + ``dropped`` + ``ignored``: ``parsed`` became an alarm and reached the sink;
    ``malformed`` could not be decoded; ``dropped`` decoded but was refused (wrong
    community, unsupported SNMP version or PDU) or the sink failed; ``ignored`` was
    well-formed syslog that no alarm rule matched.

    UDP receivers add ``kernel_dropped``: datagrams the kernel dropped before the
    receiver read them, mostly for a full receive buffer (not in ``received``; None
    where the OS does not say). The TCP receiver adds connection counts:
    ``connections`` accepted (``open_connections`` of them open now), ``refused``
    (closed at once, over the per-peer or total cap), ``timed_out`` (closed after the
    idle timeout without a complete frame) and ``accept_errors`` (failed accept()
    calls, e.g. out of file descriptors). None means the count does not apply to the
    receiver's transport.
    """

    received: int = 0
    parsed: int = 0
    malformed: int = 0
    dropped: int = 0
    ignored: int = 0
    kernel_dropped: int | None = None
    connections: int | None = None
    open_connections: int | None = None
    refused: int | None = None
    timed_out: int | None = None
    accept_errors: int | None = None

    def as_dict(self) -> dict[str, int | None]:
        return asdict(self)


class Refused(Exception):
    """A well-formed message this receiver will not record (counted as dropped)."""


class RateLimitedLog:
    """Warnings about bad input, at most ``burst`` per ``period`` seconds, masked.

    A flood of garbage must not turn into a flood of log lines (nor leak phone
    numbers carried in the garbage): extra warnings are counted and summarised
    in the next one that gets through.
    """

    def __init__(self, name: str, *, burst: int = 5, period: float = 10.0) -> None:
        self.name, self.burst, self.period = name, burst, period
        self._window_start = float("-inf")
        self._in_window = 0
        self._suppressed = 0

    def warning(self, message: str) -> None:
        now = time.monotonic()
        if now - self._window_start >= self.period:
            self._window_start, self._in_window = now, 0
        if self._in_window >= self.burst:
            self._suppressed += 1
            return
        self._in_window += 1
        extra = f" ({self._suppressed} similar warnings suppressed)" if self._suppressed else ""
        self._suppressed = 0
        log.warning("%s: %s%s", self.name, mask(message), extra)

    def exception(self, message: str, exc: BaseException) -> None:
        """:meth:`warning` with ``exc``'s traceback: a bug met on one message, to fix."""
        trace = "".join(traceback.format_exception(exc)).rstrip()
        self.warning(f"{message}\n{trace}")  # masked too: the traceback may quote the input


def preview(data: bytes | str, limit: int = 60) -> str:
    """The start of a bad message, safe to log."""
    text = repr(data[:limit])
    return text + ("..." if len(data) > limit else "")


class Receiver:
    """Turns raw messages into alarms with ``parse`` and pushes them to ``sink``.

    ``parse(data, address)`` returns an Alarm, None for a message to ignore, and
    raises ParseError (malformed) or Refused (dropped). Nothing a message holds
    can make :meth:`handle` raise. ``respond(data)`` gives the reply to send once
    the alarm is in the sink (an SNMP inform's acknowledgement), or None.
    """

    def __init__(
        self,
        name: str,
        sink: Sink,
        parse: Callable[[bytes, object], Alarm | None],
        respond: Callable[[bytes], bytes | None] | None = None,
    ) -> None:
        self.name = name
        self.sink = sink
        self.parse = parse
        self.respond = respond
        self.counters = Counters()
        self.log = RateLimitedLog(name)

    def handle(self, data: bytes, address: object) -> bytes | None:
        """Count, parse and deliver one message; returns the reply to send, if any."""
        self.counters.received += 1
        alarm = self._parse(data, address)
        if alarm is None:
            return None
        try:
            self.sink(alarm)
        # Deliberately broad: a receiver runs for months, and one alarm the sink cannot
        # take (a bug, a full buffer) must cost that alarm, counted, not every later one.
        # Not a CLI or API catch-all: the traceback is logged, to be fixed.
        except Exception as exc:
            self.counters.dropped += 1
            self.log.exception(f"sink failed on an alarm from {address}: {exc!r}", exc)
            return None
        self.counters.parsed += 1
        if self.respond is None:
            return None
        try:
            return self.respond(data)
        except ParseError:
            return None

    def _parse(self, data: bytes, address: object) -> Alarm | None:
        """The alarm in ``data``, or None with the reason counted and logged."""
        counters = self.counters
        try:
            alarm = self.parse(data, address)
        except ParseError as exc:
            counters.malformed += 1
            self.log.warning(f"malformed message from {address}: {exc}; {preview(data)}")
            return None
        except Refused as exc:
            counters.dropped += 1
            self.log.warning(f"dropped message from {address}: {exc}")
            return None
        # Deliberately broad: a parser bug met by one message must not stop the receiver
        # (nor let a sender crash it at will); counted, its traceback logged, to be fixed.
        except Exception as exc:
            counters.malformed += 1
            self.log.exception(f"parser failed on a message from {address}: {exc!r}", exc)
            return None
        if alarm is None:
            counters.ignored += 1
        return alarm
