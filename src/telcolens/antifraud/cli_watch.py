"""``telcolens antifraud watch``: near-real-time flagging of CDR files as they arrive."""

from __future__ import annotations

import signal
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Annotated

import typer

from telcolens import engine as engines
from telcolens.antifraud.cli_run import (
    WATCH_LOG,
    ModelOption,
    ReinstatementsOption,
    RulesOption,
    WhitelistOption,
)
from telcolens.antifraud.features import FEATURES
from telcolens.antifraud.rules import DEFAULT_RULES, load_rules
from telcolens.cli_options import (
    DataOption,
    DrainOption,
    EngineOption,
    MaxWaitOption,
    OutDirOption,
)
from telcolens.console import console, err_console, log_lines
from telcolens.privacy import install_log_masking

FOLLOW_LOG = "telcolens.antifraud.follow"


def register(group: typer.Typer) -> None:
    """Add the watch and follow commands to the ``antifraud`` group."""
    group.command("watch")(watch_command)
    group.command("follow")(follow_command)


def follow_command(
    data: DataOption,
    out: OutDirOption,
    model: ModelOption = None,
    rules: RulesOption = None,
    whitelist: WhitelistOption = None,
    reinstatements: ReinstatementsOption = None,
    engine: EngineOption = "duckdb",
    max_wait: MaxWaitOption = 1.0,
    once: DrainOption = False,
) -> None:
    """Consume CDRs and location records from the stream and flag new fraud numbers.

    Each micro-batch is written into DATA (exactly once), then the day is run again: new
    flags are appended to OUT/flags.jsonl with the seconds from fetch to flag, the
    latest run is in OUT/latest/. Stop with Ctrl-C; a restart carries on.
    """
    from telcolens.antifraud.follow import StreamFollower, follow_stream
    from telcolens.streams.cli import until_signal

    _prepare(rules, model)
    follower = StreamFollower(
        data,
        out,
        engines.connect(engine),
        model_dir=model,
        rules_path=rules,
        whitelist=whitelist,
        reinstatements=reinstatements,
    )
    with log_lines(FOLLOW_LOG):
        total = until_signal(
            lambda stop: follow_stream(follower, max_wait=max_wait, once=once, stop=stop)
        )
    console.print(
        f"{total.rows:,} records in {total.batches:,} batches, "
        f"{len(follower.flagged)} new flag(s) in [bold]{out / 'flags.jsonl'}[/]"
    )


def watch_command(
    inbox: Annotated[
        Path,
        typer.Option(help="Folder the mediation system drops CDR files into.", file_okay=False),
    ],
    data: DataOption,
    out: OutDirOption,
    model: ModelOption = None,
    rules: RulesOption = None,
    whitelist: WhitelistOption = None,
    reinstatements: ReinstatementsOption = None,
    engine: EngineOption = "duckdb",
    poll: Annotated[
        float, typer.Option(help="Seconds between looks at the inbox.", min=0.05)
    ] = 2.0,
    once: Annotated[
        bool, typer.Option("--once", help="Process what is in the inbox now, then exit.")
    ] = False,
) -> None:
    """Ingest CDR files as they arrive and flag new fraud numbers within seconds.

    Files named voice_*, sms_*, data_sessions_* or location_events_* (.csv, .csv.gz,
    .parquet; no prefix means voice) move to INBOX/done/ once ingested and scored, or
    to INBOX/failed/ with an .error.txt. New flags are appended to OUT/flags.jsonl, the
    latest run is in OUT/latest/.
    """
    from telcolens.antifraud.watch import Watcher

    _prepare(rules, model)
    watcher = Watcher(
        inbox,
        data,
        out,
        con=engines.connect(engine),
        model_dir=model,
        rules_path=rules,
        whitelist=whitelist,
        reinstatements=reinstatements,
    )
    with log_lines(WATCH_LOG):
        if once:
            outcomes = watcher.drain(settle=poll)
        else:
            with _stop_on_signal() as stop:
                watcher.run(stop, poll)
            outcomes = watcher.outcomes
    failed = sum(o.status == "failed" for o in outcomes)
    console.print(
        f"{len(outcomes) - failed} file(s) processed, {failed} failed, "
        f"{len(watcher.flags)} new flag(s) in [bold]{out / 'flags.jsonl'}[/]"
    )
    if once and failed:
        raise typer.Exit(code=1)


def _prepare(rules: Path | None, model: Path | None) -> None:
    """Check the rules before anything is read; say when there is no model; mask logs."""
    load_rules(rules or DEFAULT_RULES, features=list(FEATURES))
    if model is None:
        err_console.print("[yellow]No --model: flagging by rules only (lower recall).[/]")
    install_log_masking()


@contextmanager
def _stop_on_signal() -> Iterator[threading.Event]:
    """An event set by the first Ctrl-C or SIGTERM; a second Ctrl-C stops at once.

    Stopping mid-file is safe too (ingest is all or nothing, files move only when done),
    but finishing the file in hand saves redoing it.
    """
    stop = threading.Event()

    def on_signal(signum: int, frame: object) -> None:
        if stop.is_set():
            raise KeyboardInterrupt
        stop.set()
        err_console.print("Stopping after the file in hand (Ctrl-C again to stop now).")

    previous = {s: signal.signal(s, on_signal) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield stop
    except KeyboardInterrupt:
        err_console.print("Stopped.")
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
