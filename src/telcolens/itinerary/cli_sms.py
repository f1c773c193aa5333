"""``telcolens itinerary sms``: run the SMS channel's ESME until Ctrl-C."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Annotated

import typer

from telcolens.itinerary.reply import DEFAULT_KEYWORD
from telcolens.itinerary.smpp import SmppSettings, run_esme

_DEFAULTS = SmppSettings()


def register(app: typer.Typer) -> None:
    """Add the ``sms`` command to the itinerary capability's command group."""
    app.command("sms")(sms)


def sms(
    index: Annotated[Path, typer.Option(help="The built index (folder or visits.sqlite).")],
    host: Annotated[str, typer.Option(help="The SMSC's address.")] = _DEFAULTS.host,
    port: Annotated[int, typer.Option(help="The SMSC's SMPP port.")] = _DEFAULTS.port,
    system_id: Annotated[str, typer.Option(help="The bind's system_id.")] = _DEFAULTS.system_id,
    password: Annotated[
        str,
        typer.Option(
            envvar="TELCOLENS_SMPP_PASSWORD",
            show_default=False,
            help="The bind's password (better from the environment).",
        ),
    ] = "",
    system_type: Annotated[str, typer.Option(help="The bind's system_type.")] = "",
    source_addr: Annotated[
        str, typer.Option(help="The short number subscribers text.")
    ] = _DEFAULTS.source_addr,
    keyword: Annotated[str, typer.Option(help="The query keyword.")] = DEFAULT_KEYWORD,
    rate: Annotated[float, typer.Option(help="submit_sm per second at most.")] = _DEFAULTS.rate,
    window: Annotated[
        int, typer.Option(help="Unacknowledged submit_sm at most.")
    ] = _DEFAULTS.window,
    outbox: Annotated[
        Path | None,
        typer.Option(help="The answers' outbox file (default: INDEX/sms-outbox.sqlite)."),
    ] = None,
    store_url: Annotated[
        str | None,
        typer.Option(
            envvar="TELCOLENS_DATABASE_URL",
            show_default=False,
            help="Also send the texts the query API queues in this store.",
        ),
    ] = None,
    max_messages: Annotated[
        int, typer.Option(help="Stop after this many messages sent (0: until Ctrl-C).")
    ] = 0,
) -> None:
    """Answer the keyword texted to the short number with the visited cities, over SMPP."""
    settings = SmppSettings(
        host=host, port=port, system_id=system_id, password=password, system_type=system_type,
        source_addr=source_addr, keyword=keyword, rate=rate, window=window,
    )  # fmt: skip
    stop = threading.Event()
    sent = 0

    def on_event(name: str) -> None:
        nonlocal sent
        if name == "bound":
            typer.echo(f"bound to {host}:{port} as {system_id}; answering {keyword}")
        elif name == "link_down":
            typer.echo("SMSC link lost; reconnecting", err=True)
        elif name == "sent":
            sent += 1
            if max_messages and sent >= max_messages:
                stop.set()

    try:
        stats = run_esme(
            settings, index, stop, outbox_path=outbox, store_url=store_url, on_event=on_event
        )
    except KeyboardInterrupt:
        stop.set()
        typer.echo("stopped")
        return
    typer.echo(
        f"stopped: {stats.received} queries, {stats.messages_sent} messages sent, "
        f"{stats.messages_failed} failed, {stats.receipts} receipts"
    )
