"""The anti-fraud step of ``telcolens demo``: train on history, run the day, score it."""

from __future__ import annotations

from telcolens.antifraud.daily import run_day
from telcolens.antifraud.evaluate import evaluate_run, history_model, registry_whitelist
from telcolens.antifraud.load import load_run
from telcolens.capabilities import DemoContext, DemoResult


def run_demo(ctx: DemoContext) -> DemoResult:
    work = ctx.out_dir / "antifraud"
    model = history_model(ctx.data_dir, work, con=ctx.con)
    whitelist = registry_whitelist(ctx.data_dir, work / "whitelist.csv")
    day = run_day(
        ctx.data_dir,
        work / "run",
        con=ctx.con,
        model_dir=model,
        whitelist=whitelist,
    )
    ev = evaluate_run(ctx.data_dir, work / "run", whitelist=whitelist)
    f, b, v = ev.fraud, ev.brokers["all"], ev.victims
    return DemoResult(
        summary=[
            ("fraud numbers flagged", f"{len(day.fraud_list):,}"),
            ("  precision / recall vs truth", f"{f['precision']:.2f} / {f['recall']:.2f}"),
            ("card brokers listed (recall)", f"{b['listed']:,} ({b['recall']:.2f})"),
            ("victims to warn", f"{len(day.warnings):,}"),
            ("  planted victims on the list", f"{v['share_warned']:.0%}"),
            ("whitelisted numbers flagged", f"{ev.whitelist['flagged']}"),
        ],
        outputs=[work / "run" / "fraud_list.csv", work / "run" / "victim_warnings.csv"],
        load=lambda session, actor: load_run(session, work / "run", actor),
    )
