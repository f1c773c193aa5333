"""``telcolens antifraud train|score``: the generic per-subscriber fraud model."""

from __future__ import annotations

import typer


def register(group: typer.Typer) -> None:
    """Add the model commands to the ``antifraud`` group."""
