"""``telcolens antifraud features|run|evaluate|whitelist|reinstate``."""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    """Add the daily-run commands to the ``antifraud`` group."""
