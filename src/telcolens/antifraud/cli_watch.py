"""``telcolens antifraud watch``: near-real-time flagging of CDR files as they arrive."""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    """Add the watch command to the ``antifraud`` group."""
