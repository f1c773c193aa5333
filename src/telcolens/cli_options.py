"""CLI options shared by several commands, declared once."""

from __future__ import annotations

from typing import Annotated

import typer

from telcolens.engine import ENGINES


def _check_engine(value: str) -> str:
    if value not in ENGINES:
        raise typer.BadParameter(f"{value!r}: choose one of {', '.join(ENGINES)}")
    return value


EngineOption = Annotated[
    str, typer.Option(help=f"Query engine: {' or '.join(ENGINES)}.", callback=_check_engine)
]
