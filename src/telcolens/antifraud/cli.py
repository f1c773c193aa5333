"""``telcolens antifraud``: the anti-fraud command group."""

from __future__ import annotations

import typer

from telcolens.antifraud import cli_model, cli_run, cli_watch
from telcolens.console import Group

app = typer.Typer(
    name="antifraud",
    help="Find fraud numbers and card brokers, warn victims; train and score fraud models.",
    no_args_is_help=True,
    cls=Group,  # TelcolensError -> one line and its exit code, wherever the group is mounted
)
cli_run.register(app)
cli_model.register(app)
cli_watch.register(app)


def register_cli(root: typer.Typer) -> None:
    """Add the ``antifraud`` group to the root app."""
    root.add_typer(app)
