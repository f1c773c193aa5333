"""``telcolens broadband gateways``: which home gateways may post Bulk Data reports."""

from __future__ import annotations

import sys
from typing import Annotated

import typer
from rich.markup import escape
from rich.table import Table

from telcolens.broadband.gateways import (
    gateways_path,
    read_gateways,
    register_gateway,
    remove_gateway,
)
from telcolens.cli_options import DataOption
from telcolens.console import Group, console

app = typer.Typer(
    name="gateways",
    help="Per-gateway credentials of the Bulk Data collector (DIR/_gateways.json, hashes only).",
    no_args_is_help=True,
    cls=Group,
)


@app.command("add")
def add(
    data: DataOption,
    username: Annotated[
        str, typer.Option(help="BulkData.Profile.{i}.HTTP.Username the gateway sends.")
    ],
    line_id: Annotated[int, typer.Option(min=0, help="The line its reports are for.")],
    serial_number: Annotated[
        str | None,
        typer.Option(help="DeviceInfo.SerialNumber its reports must carry.", show_default=False),
    ] = None,
    password_stdin: Annotated[
        bool,
        typer.Option(
            "--password-stdin",
            help="Read the password from standard input (provisioning scripts); "
            "default: prompt for it.",
        ),
    ] = False,
    replace: Annotated[
        bool,
        typer.Option(help="Take the place of a credential with this username, line or serial."),
    ] = False,
) -> None:
    """Register a gateway (or, with --replace, rotate its password)."""
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("Gateway password", hide_input=True, confirmation_prompt=True)
    gateway = register_gateway(
        gateways_path(data),
        username=username,
        password=password,
        line_id=line_id,
        serial_number=serial_number,
        replace=replace,
    )
    console.print(f"Registered gateway {escape(gateway.username)} for line {gateway.line_id}")


@app.command("remove")
def remove(
    data: DataOption,
    username: Annotated[str, typer.Argument(help="The gateway's username.")],
) -> None:
    """Remove a gateway's credential (a gateway taken out of service)."""
    gateway = remove_gateway(gateways_path(data), username)
    console.print(f"Removed gateway {escape(gateway.username)} (line {gateway.line_id})")


@app.command("list")
def list_(data: DataOption) -> None:
    """The registered gateways (never their passwords)."""
    gateways = read_gateways(gateways_path(data))
    table = Table("username", "line", "serial number", "registered at")
    for g in gateways:
        table.add_row(
            escape(g.username), str(g.line_id), escape(g.serial_number or ""), g.registered_at
        )
    console.print(table if gateways else "No gateway registered.")
