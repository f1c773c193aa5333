"""The anti-fraud step of ``telcolens demo``: train on history, run 30 days, score the last.

The demo province spans several weeks, so the step runs each of the last ``TREND_DAYS``
as-of days (as ``telcolens daily`` would, one window of records each, features from day
partials) and loads them all: the console's trend then shows a month. The last day is
the one scored against the province's truth.
"""

from __future__ import annotations

import datetime as dt

from telcolens import engine as engines
from telcolens.antifraud.daily import DayResult, data_end, run_day
from telcolens.antifraud.evaluate import evaluate_run, history_model, registry_whitelist
from telcolens.antifraud.features import REQUIRED_TABLES
from telcolens.antifraud.load import load_run
from telcolens.capabilities import DemoContext, DemoResult

TREND_DAYS = 30


def demo_days(ctx: DemoContext) -> list[dt.date]:
    """The as-of days to run: up to TREND_DAYS, each with records in the day before it."""
    t = engines.tables(ctx.con, ctx.data_dir, require=REQUIRED_TABLES)
    last = data_end(ctx.con, t["voice"])
    first = ctx.con.execute(t["voice"].start_time.min()).date() + dt.timedelta(days=1)
    span = min(TREND_DAYS, (last - first).days + 1)
    return [last - dt.timedelta(days=i) for i in reversed(range(span))]


def run_demo(ctx: DemoContext) -> DemoResult:
    work = ctx.out_dir / "antifraud"
    model = history_model(ctx.data_dir, work, con=ctx.con)
    whitelist = registry_whitelist(ctx.data_dir, work / "whitelist.csv")
    days = demo_days(ctx)
    runs: list[DayResult] = []
    for as_of in days:
        # The last day is the one scored and shown first; earlier ones make the trend.
        out = work / "run" if as_of == days[-1] else work / "days" / as_of.isoformat()
        runs.append(
            run_day(
                ctx.data_dir, out, as_of=as_of, con=ctx.con, model_dir=model, whitelist=whitelist
            )
        )
    day = runs[-1]
    ev = evaluate_run(ctx.data_dir, work / "run", whitelist=whitelist)
    f, b, v = ev.fraud, ev.brokers["all"], ev.victims
    return DemoResult(
        summary=[
            ("days run (trend)", f"{len(runs)}: {days[0]} .. {days[-1]}"),
            (f"fraud numbers flagged on {day.as_of}", f"{len(day.fraud_list):,}"),
            ("  precision / recall vs truth", f"{f['precision']:.2f} / {f['recall']:.2f}"),
            ("card brokers listed (recall)", f"{b['listed']:,} ({b['recall']:.2f})"),
            ("victims to warn", f"{len(day.warnings):,}"),
            ("  planted victims of the week on the list", f"{v['share_warned']:.0%}"),
            ("whitelisted numbers flagged", f"{ev.whitelist['flagged']}"),
        ],
        outputs=[work / "run" / "fraud_list.csv", work / "run" / "victim_warnings.csv"],
        load=lambda session, actor: [load_run(session, r.out, actor) for r in runs],
    )
