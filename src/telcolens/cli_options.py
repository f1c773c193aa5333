"""CLI options shared by several commands, declared once: name, type and help."""

from __future__ import annotations

from pathlib import Path
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
DataOption = Annotated[
    Path,
    typer.Option(
        "--data",
        file_okay=False,
        help="Data directory: a folder of Parquet files per table (`telcolens generate`, "
        "`ingest` and `faults receive` write one).",
    ),
]
OutDirOption = Annotated[Path, typer.Option("--out", file_okay=False, help="Folder of results.")]
ParquetOutOption = Annotated[
    Path, typer.Option("--out", dir_okay=False, help="Parquet file to write.")
]
DatabaseOption = Annotated[
    str | None,
    typer.Option(
        "--database-url",
        help="Store URL; default TELCOLENS_DATABASE_URL (a SQLite file telcolens.db).",
        show_default=False,
    ),
]

# The stream consumers' (stream consume, antifraud follow, faults follow).
MaxWaitOption = Annotated[
    float, typer.Option(min=0.01, help="Seconds a micro-batch waits to fill.")
]
DrainOption = Annotated[bool, typer.Option("--once", help="Stop when the stream has nothing more.")]
