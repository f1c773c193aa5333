"""``telcolens faults``: the fault-management command group."""

from __future__ import annotations

import typer

from telcolens.console import Group
from telcolens.faults import cli_causes, cli_follow, cli_incidents, cli_receive

app = typer.Typer(
    name="faults",
    help="Fault management: receive alarms, correlate them into incidents, learn alarm causes.",
    no_args_is_help=True,
    cls=Group,  # TelcolensError -> one line and its exit code, wherever the group is mounted
)
cli_receive.register(app)
cli_incidents.register(app)
cli_causes.register(app)
cli_follow.register(app)


def register_cli(root: typer.Typer) -> None:
    """Add the ``faults`` group to the root app."""
    root.add_typer(app)
