"""``telcolens faults follow``: alarms from the stream into incidents in the store."""

from __future__ import annotations

import typer

from telcolens.cli_options import DatabaseOption, DataOption, DrainOption, MaxWaitOption
from telcolens.console import console, log_lines

FOLLOW_LOG = "telcolens.faults.follow"


def follow(
    data: DataOption,
    database_url: DatabaseOption = None,
    max_wait: MaxWaitOption = 1.0,
    once: DrainOption = False,
) -> None:
    """Consume alarms from the stream (`faults receive --to-stream` publishes them) into
    DATA and keep the store's incidents current: correlated after each micro-batch,
    loaded by key. DATA needs the network's links table. Stop with Ctrl-C."""
    from telcolens.cli_service import engine_or_fail
    from telcolens.faults.follow import follow_alarms
    from telcolens.streams.cli import until_signal

    store = engine_or_fail(database_url)
    try:
        with log_lines(FOLLOW_LOG):
            total = until_signal(
                lambda stop: follow_alarms(data, store, max_wait=max_wait, once=once, stop=stop)
            )
    finally:
        store.dispose()
    console.print(f"{total.rows:,} alarms in {total.batches:,} batches")


def register(app: typer.Typer) -> None:
    app.command("follow")(follow)
