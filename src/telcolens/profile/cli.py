"""``telcolens profile`` and the profile's step in the demo."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import pyarrow.parquet as pq
import typer

from telcolens import engine as engines
from telcolens.capabilities import DemoContext, DemoResult
from telcolens.cli_options import EngineOption
from telcolens.console import console, status
from telcolens.profile.pipeline import REQUIRED_TABLES, usage_profile


def compute_profile(data_dir: Path, out: Path, engine: str) -> Path:
    """Run the usage profile over ``data_dir`` on ``engine`` and write it to ``out``."""
    con = engines.connect(engine)
    t = engines.tables(con, data_dir, require=REQUIRED_TABLES)
    return engines.write_parquet(con, usage_profile(t), out)


def register_cli(app: typer.Typer) -> None:
    @app.command("profile")
    def profile_command(
        data: Annotated[
            Path,
            typer.Option(
                help="Data directory (e.g. from `telcolens generate`).",
                exists=True,
                file_okay=False,
            ),
        ],
        out: Annotated[Path, typer.Option(help="Parquet file to write.", dir_okay=False)],
        engine: EngineOption = "duckdb",
    ) -> None:
        """Per-subscriber usage profile: calls, SMS, data, cells, cities, active days."""
        with status(f"Profiling {data} on {engine}"):
            compute_profile(data, out, engine)
        rows = pq.ParquetFile(out).metadata.num_rows
        console.print(f"Wrote {rows:,} subscriber profiles to [bold]{out}[/]")


def run_demo(ctx: DemoContext) -> DemoResult:
    out = engines.write_parquet(ctx.con, usage_profile(ctx.tables), ctx.out_dir / "profile.parquet")
    prof = pq.read_table(out).to_pandas()
    active = prof[prof.active_days > 0]
    return DemoResult(
        summary=[
            ("subscribers profiled", f"{len(prof):,}"),
            (
                "calls made per active subscriber per day",
                f"{(active.calls_out / active.active_days).mean():.1f}",
            ),
            ("median distinct cells", f"{active.distinct_cells.median():.0f}"),
            ("seen in 2+ cities", f"{(active.distinct_cities >= 2).mean():.1%}"),
        ],
        outputs=[out],
    )
