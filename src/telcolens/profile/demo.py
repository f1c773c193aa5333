"""The usage profile's step of ``telcolens demo``."""

from __future__ import annotations

import pyarrow.parquet as pq

from telcolens import engine as engines
from telcolens.capabilities import DemoContext, DemoResult
from telcolens.profile.pipeline import usage_profile


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
