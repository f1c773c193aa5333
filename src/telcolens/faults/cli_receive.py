"""``telcolens faults receive``: run the alarm receivers into a data directory."""

from __future__ import annotations

import asyncio
import contextlib
import signal
import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from telcolens.console import console
from telcolens.errors import BadInput, Unavailable
from telcolens.faults.receivers import (
    ParquetSink,
    ReceiverConfig,
    Receivers,
    SyslogRules,
    TcpLimits,
    parse_endpoint,
)

DEFAULTS = {
    "snmp": "127.0.0.1:1162",
    "syslog_udp": "127.0.0.1:1514",
    "syslog_tcp": "127.0.0.1:1514",
}


def _endpoint(value: str | None) -> str | None:
    """Check a HOST:PORT option as it is parsed, so Click names the option at fault."""
    if value is not None:
        try:
            parse_endpoint(value)
        except BadInput as exc:
            raise typer.BadParameter(str(exc)) from None
    return value


def receive(
    data: Annotated[
        Path | None,
        typer.Option(
            "--data",
            file_okay=False,
            help="Data directory; alarms go to DATA/alarms/ (not needed with --to-stream).",
        ),
    ] = None,
    snmp: Annotated[
        str | None,
        typer.Option(metavar="HOST:PORT", callback=_endpoint, help="SNMPv2c traps, UDP."),
    ] = None,
    syslog_udp: Annotated[
        str | None,
        typer.Option(metavar="HOST:PORT", callback=_endpoint, help="Syslog (RFC 5424/3164), UDP."),
    ] = None,
    syslog_tcp: Annotated[
        str | None,
        typer.Option(
            metavar="HOST:PORT",
            callback=_endpoint,
            help="Syslog over TCP (octet-counted or LF-framed).",
        ),
    ] = None,
    community: Annotated[str, typer.Option(help="SNMP community traps must carry.")] = "public",
    rules: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="YAML list of syslog alarm rules (default: built in)."),
    ] = None,
    idle_timeout: Annotated[
        float,
        typer.Option(
            min=0,
            help="Close a syslog TCP connection that sends no complete frame for N seconds"
            " (0: never).",
        ),
    ] = 60.0,
    max_per_peer: Annotated[
        int,
        typer.Option(
            min=1, help="Open syslog TCP connections allowed from one address; more are refused."
        ),
    ] = 64,
    max_connections: Annotated[
        int,
        typer.Option(min=1, help="Open syslog TCP connections allowed in all; more are refused."),
    ] = 1024,
    flush_rows: Annotated[int, typer.Option(min=1, help="Write a part every N alarms...")] = 1000,
    flush_seconds: Annotated[float, typer.Option(min=0.1, help="...or every T seconds.")] = 5.0,
    every: Annotated[
        float, typer.Option(min=0, help="Print counters every N seconds (0: only at the end).")
    ] = 60.0,
    duration: Annotated[
        float | None, typer.Option(min=0, help="Stop after N seconds (default: Ctrl+C).")
    ] = None,
    to_stream: Annotated[
        bool,
        typer.Option(help="Publish the alarms to the stream (TELCOLENS_NATS_URL) instead."),
    ] = False,
) -> None:
    """Receive alarms (SNMP traps, syslog) and append them to the alarms table, DATA/alarms/.

    With no endpoint given, all three listen on their defaults: SNMP 127.0.0.1:1162,
    syslog UDP and TCP 127.0.0.1:1514.
    """
    if data is None and not to_stream:
        raise BadInput("receive needs --data DIR for the alarms, or --to-stream")
    given = {"snmp": snmp, "syslog_udp": syslog_udp, "syslog_tcp": syslog_tcp}
    if not any(given.values()):
        given = dict(DEFAULTS)
    endpoints = {k: parse_endpoint(v) if v else None for k, v in given.items()}
    syslog_rules = SyslogRules.from_yaml(rules) if rules else SyslogRules()
    limits = TcpLimits(
        idle_timeout=idle_timeout or None,
        max_per_peer=max_per_peer,
        max_connections=max_connections,
    )
    config = ReceiverConfig(
        **endpoints, community=community.encode(), syslog_rules=syslog_rules, tcp_limits=limits
    )
    batching = {"max_rows": flush_rows, "max_seconds": flush_seconds}
    if to_stream:  # `telcolens stream consume` then writes them into a data directory
        from telcolens.faults.receivers.stream_sink import StreamSink

        sink = StreamSink(**batching)
    else:
        sink = ParquetSink(data, **batching)
    with sink:
        asyncio.run(_run(config, sink, every, duration))


async def _run(
    config: ReceiverConfig, sink: ParquetSink, every: float, duration: float | None
) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        # Not available off the main thread (or on Windows): Ctrl+C then ends asyncio.run.
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
    started = time.monotonic()
    async with contextlib.AsyncExitStack() as stack:
        try:
            running = await stack.enter_async_context(Receivers(config, sink))
        except OSError as exc:  # address in use, permission denied for ports < 1024
            raise Unavailable(f"cannot listen: {exc}") from None
        listening = ", ".join(f"{n} {h}:{p}" for n, (h, p) in running.addresses.items())
        console.print(f"Listening: {listening}; alarms to [bold]{sink.where}[/]")
        deadline = None if duration is None else started + duration
        while not stop.is_set():
            wait = _next_wait(started, every, deadline)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), wait)
            if deadline is not None and time.monotonic() >= deadline:
                break
            if every and not stop.is_set():
                print_counters(running, sink, time.monotonic() - started)
    sink.close()  # write the last alarms before the final counts
    print_counters(running, sink, time.monotonic() - started)


def _next_wait(started: float, every: float, deadline: float | None) -> float | None:
    now = time.monotonic()
    waits = []
    if every:
        waits.append(every - (now - started) % every)
    if deadline is not None:
        waits.append(max(deadline - now, 0))
    return min(waits) if waits else None


MESSAGE_COLUMNS = ("received", "parsed", "malformed", "dropped", "ignored", "kernel_dropped")
CONNECTION_COLUMNS = ("connections", "open_connections", "refused", "timed_out", "accept_errors")


def print_counters(running: Receivers, sink: ParquetSink, elapsed: float) -> None:
    """Per-receiver message counters, TCP connection counters, then what the sink wrote."""
    counts = {name: c.as_dict() for name, c in running.counters.items()}
    console.print(_table(f"Alarm receivers after {elapsed:,.0f} s", counts, MESSAGE_COLUMNS))
    tcp = {name: c for name, c in counts.items() if c["connections"] is not None}
    if tcp:
        console.print(_table("TCP connections", tcp, CONNECTION_COLUMNS))
    console.print(
        f"Sink: written {sink.written:,} alarms in {sink.parts:,} parts, {sink.pending:,} pending"
        + (f", {sink.dropped:,} dropped (backlog full)" if sink.dropped else "")
    )


def _table(title: str, counts: dict[str, dict], columns: tuple[str, ...]) -> Table:
    """One row per receiver; '-' where a count does not apply or the OS does not say."""
    table = Table(title=title)
    table.add_column("receiver")
    for column in columns:
        table.add_column(column.replace("_", " "), justify="right")
    for name, values in counts.items():
        table.add_row(name, *("-" if values[c] is None else f"{values[c]:,}" for c in columns))
    return table


def register(app: typer.Typer) -> None:
    """Add ``receive`` to the ``telcolens faults`` sub-app."""
    app.command("receive")(receive)
