"""The anti-fraud step of ``telcolens daily``: one as-of day's lists, cases and warnings."""

from __future__ import annotations

from pathlib import Path

from telcolens.antifraud.daily import run_day
from telcolens.antifraud.load import load_run
from telcolens.capabilities import DayContext, DemoResult
from telcolens.errors import BadInput

# ``telcolens daily --with antifraud.KEY=VALUE``: the files a day run may be given.
OPTIONS = {
    "model": "model directory from `telcolens antifraud train` (rules only without)",
    "rules": "rules file (YAML)",
    "whitelist": "whitelist CSV",
    "reinstatements": "reinstatement records CSV",
}


def run_day_step(ctx: DayContext) -> DemoResult:
    unknown = sorted(set(ctx.options) - set(OPTIONS))
    if unknown:
        raise BadInput(
            f"antifraud has no day option {', '.join(unknown)}; "
            f"choose from {', '.join(f'{k} ({v})' for k, v in OPTIONS.items())}"
        )
    path = {k: Path(v) for k, v in ctx.options.items()}
    day = run_day(
        ctx.data_dir,
        ctx.out_dir,
        as_of=ctx.as_of,
        con=ctx.con,
        model_dir=path.get("model"),
        rules_path=path.get("rules"),
        whitelist=path.get("whitelist"),
        reinstatements=path.get("reinstatements"),
        progress=ctx.progress,
    )
    return DemoResult(
        summary=[
            ("fraud numbers flagged", f"{len(day.fraud_list):,}"),
            ("card brokers listed", f"{len(day.card_brokers):,}"),
            ("victims to warn", f"{len(day.warnings):,}"),
        ],
        outputs=[ctx.out_dir / "fraud_list.csv", ctx.out_dir / "victim_warnings.csv"],
        load=lambda session, actor: load_run(session, ctx.out_dir, actor),
    )
