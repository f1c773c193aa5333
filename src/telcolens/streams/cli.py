"""``telcolens stream publish|consume``: records onto NATS JetStream and into a data directory."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import signal
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Annotated, TypeVar

import typer

from telcolens.cli_options import DataOption, DrainOption, MaxWaitOption
from telcolens.console import Group, console
from telcolens.errors import BadInput

app = typer.Typer(
    name="stream",
    help="Records on NATS JetStream (TELCOLENS_NATS_URL): publish them, consume them into "
    "a data directory with exactly-once effect (docs/streams.md).",
    no_args_is_help=True,
    cls=Group,
)


T = TypeVar("T")


@app.command()
def publish(
    table: Annotated[str, typer.Option(help="Table the records belong to (voice, sms, ...).")],
    files: Annotated[
        list[Path] | None, typer.Argument(help="CSV or Parquet input files (as for ingest).")
    ] = None,
    data: Annotated[
        Path | None,
        typer.Option(
            file_okay=False, help="Replay a synthetic province's records instead of files."
        ),
    ] = None,
    day: Annotated[
        list[dt.datetime] | None,
        typer.Option(formats=["%Y-%m-%d"], help="With --data: only records of this day (repeat)."),
    ] = None,
    rate: Annotated[
        float | None, typer.Option(min=1, help="Records per second (default: as fast as can be).")
    ] = None,
    rows_per_message: Annotated[int, typer.Option(min=1, help="Rows per message.")] = 5_000,
) -> None:
    """Publish records on the stream, standing in for mediation: raw input rows, as
    ``telcolens ingest`` reads them, from FILES or (``--data``) a province."""
    from telcolens.streams import (
        StreamNames,
        connect,
        file_batches,
        province_batches,
        publish_batches,
    )

    if bool(files) == (data is not None):
        raise BadInput("give input FILES or --data DIR, not both or neither")
    days = [d.date() for d in day] if day else None

    def batches():
        if data is not None:
            yield from province_batches(data, table, days)
        for path in files or []:
            yield from file_batches(path, table)

    async def run():
        nc = await connect()
        try:
            return await publish_batches(
                nc,
                StreamNames.from_settings(),
                table,
                batches(),
                rows_per_message=rows_per_message,
                rate=rate,
            )
        finally:
            await nc.close()

    report = asyncio.run(run())
    console.print(
        f"Published {report.rows:,} {table} records in {report.messages:,} messages "
        f"({report.duplicates:,} already in the stream) in {report.seconds:.1f} s"
    )


@app.command()
def consume(
    data: DataOption,
    once: DrainOption = False,
    batch_rows: Annotated[int, typer.Option(min=1, help="Rows per micro-batch, at most.")] = (
        200_000
    ),
    max_wait: MaxWaitOption = 1.0,
    every: Annotated[float, typer.Option(min=0, help="Print totals every N seconds.")] = 10.0,
) -> None:
    """Consume the stream into DATA: day parts written, fsynced, then acknowledged."""
    from telcolens.streams import run_consumer

    started, last = time.monotonic(), [time.monotonic()]

    def on_batch(batch, total) -> None:
        if every and time.monotonic() - last[0] >= every:
            last[0] = time.monotonic()
            console.print(_totals(total, time.monotonic() - started))

    total = until_signal(
        lambda stop: run_consumer(
            data, batch_rows=batch_rows, max_wait=max_wait, once=once, on_batch=on_batch, stop=stop
        )
    )
    console.print(_totals(total, time.monotonic() - started))


def until_signal(start: Callable[[asyncio.Event], Awaitable[T]]) -> T:
    """Run the coroutine ``start(stop)`` makes; Ctrl-C or SIGTERM sets ``stop``, so the
    batch in hand is written and acknowledged before it returns."""

    async def run() -> T:
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
                loop.add_signal_handler(sig, stop.set)
        return await start(stop)

    return asyncio.run(run())


def _totals(total, elapsed: float) -> str:
    rate = total.rows / elapsed if elapsed else 0.0
    return (
        f"Consumed {total.messages:,} messages: {total.rows:,} records in {total.parts:,} parts "
        f"({rate:,.0f} records/s); {total.redelivered:,} redelivered and skipped, "
        f"{total.rejected:,} rejected"
    )


def register_cli(root: typer.Typer) -> None:
    """Add ``telcolens stream`` to the root app."""
    root.add_typer(app)
