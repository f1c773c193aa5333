"""The broadband steps of ``telcolens daily`` and ``telcolens demo``: lines scored per day.

A day's run scores each line on the gateway samples of the day before ``as_of``; the demo
scores every day of the province at once (one row per line and day), which the console's
trend of poor lines reads. Each result's ``load`` puts its line days into the store
(``results``), replacing the days it holds.
"""

from __future__ import annotations

from pathlib import Path

import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcolens import engine as engines
from telcolens.broadband.perception import load_params
from telcolens.broadband.pipeline import line_scores
from telcolens.broadband.results import load_scores_file
from telcolens.capabilities import DayContext, DemoContext, DemoResult
from telcolens.errors import BadInput

SCORES_FILE = "line_scores.parquet"
# ``telcolens daily --with broadband.KEY=VALUE``.
OPTIONS = {"params": "perception parameters JSON from `telcolens broadband fit-perception`"}


def run_day_step(ctx: DayContext) -> DemoResult:
    unknown = sorted(set(ctx.options) - set(OPTIONS))
    if unknown:
        raise BadInput(
            f"broadband has no day option {', '.join(unknown)}; "
            f"choose from {', '.join(f'{k} ({v})' for k, v in OPTIONS.items())}"
        )
    params = load_params(ctx.options.get("params"))
    t = engines.tables(ctx.con, ctx.data_dir, require=("broadband_kpi",))
    kpi = engines.in_window(t, ctx.as_of, 1)["broadband_kpi"]
    out = engines.write_parquet(ctx.con, line_scores(kpi, params), ctx.out_dir / SCORES_FILE)
    return _summary(out, ctx.data_dir)


def run_demo(ctx: DemoContext) -> DemoResult:
    out = engines.write_parquet(
        ctx.con, line_scores(ctx.tables["broadband_kpi"]), ctx.out_dir / SCORES_FILE
    )
    # Every day of the province is in the file, so the load fills the console's trend.
    return _summary(out, ctx.data_dir)


def _summary(out: Path, data_dir: Path) -> DemoResult:
    scores = pq.read_table(out, columns=["line_id", "day", "score", "poor"])
    days = pc.count_distinct(scores["day"]).as_py()
    poor = pc.sum(scores["poor"]).as_py() or 0
    median = pc.approximate_median(scores["score"]).as_py() if scores.num_rows else None
    return DemoResult(
        summary=[
            ("line-days scored", f"{scores.num_rows:,} ({days} day{'s' if days != 1 else ''})"),
            ("poor line-days", f"{poor:,} ({poor / max(scores.num_rows, 1):.1%})"),
            ("median perception score", "-" if median is None else f"{median:.1f}"),
        ],
        outputs=[out],
        load=lambda session, actor: load_scores_file(session, out, data_dir, actor),
    )
