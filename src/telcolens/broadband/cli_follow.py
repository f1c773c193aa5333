"""``telcolens broadband follow``: gateway samples from the stream into scores and work orders."""

from __future__ import annotations

import typer

from telcolens.cli_options import (
    DatabaseOption,
    DataOption,
    DrainOption,
    EngineOption,
    MaxWaitOption,
)
from telcolens.console import console, log_lines

FOLLOW_LOG = "telcolens.broadband.follow"


def follow(
    data: DataOption,
    database_url: DatabaseOption = None,
    max_wait: MaxWaitOption = 1.0,
    once: DrainOption = False,
    engine: EngineOption = "duckdb",
) -> None:
    """Consume gateway KPI samples from the stream (subject <prefix>.broadband_kpi) into
    DATA and keep the store current: after each micro-batch the latest day's lines are
    scored, the week up to it diagnosed, and the scores and work orders loaded. DATA needs
    the broadband_lines table. Stop with Ctrl-C."""
    from telcolens.broadband.follow import follow_kpi
    from telcolens.cli_service import engine_or_fail
    from telcolens.streams.cli import until_signal

    store = engine_or_fail(database_url)
    try:
        with log_lines(FOLLOW_LOG):
            total = until_signal(
                lambda stop: follow_kpi(
                    data, store, max_wait=max_wait, once=once, stop=stop, engine=engine
                )
            )
    finally:
        store.dispose()
    console.print(f"{total.rows:,} samples in {total.batches:,} batches")


def register(app: typer.Typer) -> None:
    app.command("follow")(follow)
