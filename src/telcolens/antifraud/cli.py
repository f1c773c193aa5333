"""``telcolens antifraud``: the anti-fraud command group."""

from __future__ import annotations

import typer

from telcolens.antifraud import cli_model, cli_run, cli_watch
from telcolens.console import Group

group = typer.Typer(
    name="antifraud",
    help="Find fraud numbers and card brokers, warn victims; train and score fraud models.",
    no_args_is_help=True,
    cls=Group,  # TelcolensError -> one line and its exit code, wherever the group is mounted
)
cli_run.register(group)
cli_model.register(group)
cli_watch.register(group)


def register_cli(app: typer.Typer) -> None:
    app.add_typer(group)
