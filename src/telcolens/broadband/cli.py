"""``telcolens broadband``: the broadband-experience command group."""

from __future__ import annotations

import typer

from telcolens.broadband import (
    cli_diagnose,
    cli_follow,
    cli_gateways,
    cli_perception,
    cli_proof,
)
from telcolens.console import Group

app = typer.Typer(
    name="broadband",
    help="Broadband experience: score each home line's perceived quality, collect the "
    "gateways' TR-181 Bulk Data reports.",
    no_args_is_help=True,
    cls=Group,  # TelcolensError -> one line and its exit code, wherever the group is mounted
)
cli_perception.register(app)
cli_diagnose.register(app)
cli_proof.register(app)
cli_follow.register(app)
app.add_typer(cli_gateways.app)


def register_cli(root: typer.Typer) -> None:
    """Add the ``broadband`` group to the root app."""
    root.add_typer(app)
