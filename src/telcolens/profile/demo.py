"""The usage profile's steps in ``telcolens demo`` and ``telcolens daily``."""

from __future__ import annotations

from pathlib import Path

import pyarrow.parquet as pq

from telcolens import engine as engines
from telcolens.capabilities import DayContext, DemoContext, DemoResult
from telcolens.errors import BadInput
from telcolens.profile.pipeline import usage_profile

# A day's profile covers the week before it, as the anti-fraud features do.
WINDOW_DAYS = 7


def run_demo(ctx: DemoContext) -> DemoResult:
    out = engines.write_parquet(ctx.con, usage_profile(ctx.tables), ctx.out_dir / "profile.parquet")
    return _summary(out)


def run_day_step(ctx: DayContext) -> DemoResult:
    if ctx.options:
        raise BadInput(f"profile has no day option {', '.join(sorted(ctx.options))}")
    t = engines.in_window(engines.tables(ctx.con, ctx.data_dir), ctx.as_of, WINDOW_DAYS)
    return _summary(
        engines.write_parquet(ctx.con, usage_profile(t), ctx.out_dir / "profile.parquet")
    )


def _summary(out: Path) -> DemoResult:
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
