"""``telcolens profile``: the usage profile of a data directory, as a Parquet file."""

from __future__ import annotations

import pyarrow.parquet as pq
import typer

from telcolens import engine as engines
from telcolens.cli_options import DataOption, EngineOption, ParquetOutOption
from telcolens.console import console, status
from telcolens.profile.pipeline import compute_profile


def profile_command(
    data: DataOption, out: ParquetOutOption, engine: EngineOption = "duckdb"
) -> None:
    """Per-subscriber usage profile: calls, SMS, data, cells, cities, active days."""
    with status(f"Profiling {data} on {engine}"):
        compute_profile(data, out, con=engines.connect(engine))
    rows = pq.ParquetFile(out).metadata.num_rows
    console.print(f"Wrote {rows:,} subscriber profiles to [bold]{out}[/]")


def register_cli(root: typer.Typer) -> None:
    """Add the ``profile`` command (one command, so no group of its own) to the root."""
    root.command("profile")(profile_command)
