"""``telcolens broadband proof``: did the repairs work, per scenario and action."""

from __future__ import annotations

import datetime as dt
import json
from typing import Annotated

import pyarrow.parquet as pq
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from telcolens import cli_service, csvsafe
from telcolens import engine as engines
from telcolens.broadband.diagnose import data_end, diagnose, window_days
from telcolens.broadband.proof import WINDOW_DAYS, proof_of
from telcolens.broadband.results import load_proof
from telcolens.cli_options import DatabaseOption, DataOption, EngineOption, OutDirOption
from telcolens.console import console, status
from telcolens.store.db import patient

REQUIRED = ("broadband_kpi", "broadband_lines", "broadband_repairs", "broadband_complaints")


def proof_command(
    data: DataOption,
    out: OutDirOption,
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="Judge with the days before this date (YYYY-MM-DD); default the day after "
            "the last KPI sample.",
            show_default=False,
        ),
    ] = None,
    days: Annotated[
        int,
        typer.Option(
            min=3,
            help="Days of samples diagnosed before --as-of; repairs in all "
            "but the first and last --window days of them are judged.",
        ),
    ] = 30,
    window: Annotated[
        int, typer.Option(min=1, help="Days judged on each side of a repair day.")
    ] = WINDOW_DAYS,
    engine: EngineOption = "duckdb",
    load: Annotated[
        bool, typer.Option("--load", help="Replace the store's proof by this one.")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """The before/after perception score and complaint rate of the repairs per scenario:
    which repairs work, and how many lines closed as fixed were still poor after."""
    if days < 2 * window + 1:
        raise typer.BadParameter(
            f"--days {days} leaves no repair day with {window} days on each side: give at "
            f"least {2 * window + 1}",
            param_hint="--days",
        )
    store = cli_service.engine_or_fail(database_url) if load else None
    with status(f"Judging the repairs of {data} on {engine}"):
        con = engines.connect(engine)
        t = engines.tables(con, data, require=REQUIRED)
        day = as_of.date() if as_of else data_end(con, t["broadband_kpi"])
        result = diagnose(t["broadband_kpi"], t["broadband_lines"], window_days(day, days))
        repairs = (t["broadband_repairs"], t["broadband_lines"], t["broadband_complaints"])
        path = engines.write_parquet(
            con, proof_of(result.line_days, *repairs, window=window), out / "proof.parquet"
        )
    frame = pq.read_table(path).to_pandas()
    csvsafe.write_frame(frame, out / "proof.csv", index=False)
    console.print(_table(frame, window))
    console.print(f"Wrote proof.parquet and proof.csv to [bold]{out}[/]")
    if store is not None:
        with Session(store) as session, session.begin(), patient(session):
            n = load_proof(session, frame, window, cli_service._os_user())
        console.print(f"Loaded {n} proof rows into the store")


def _table(frame, window: int) -> Table:
    table = Table(title=f"Repairs: {window} days before and after")
    for col in (
        "scenario",
        "action",
        "lines",
        "score before",
        "after",
        "recovered",
        "complaints /100/wk before",
        "after",
        "fixed, still poor",
    ):
        table.add_column(col, justify="left" if col in ("scenario", "action") else "right")
    for r in frame.itertuples():
        table.add_row(
            r.scenario,
            r.action,
            f"{r.lines:,}",
            f"{r.score_before:.1f}",
            f"{r.score_after:.1f}",
            "-" if r.recovered != r.recovered else f"{r.recovered:.0%}",
            f"{r.complaints_before:.1f}",
            f"{r.complaints_after:.1f}",
            f"{r.fixed_still_poor:,} of {r.closed_as_fixed:,}",
        )
    return table


def evaluate_proof_command(
    data: DataOption,
    out: OutDirOption,
    days: Annotated[int, typer.Option(min=3, help="Days diagnosed before the last sample.")] = 36,
    window: Annotated[
        int, typer.Option(min=1, help="Days judged on each side of a repair day.")
    ] = WINDOW_DAYS,
) -> None:
    """Score the proof against a generated province's truth (truth/broadband_repair_truth):
    do the repairs that fixed their cause recover, and the others not?"""
    from telcolens.broadband.evaluate_proof import evaluate_proof

    with status(f"Judging the repairs of {data} against its truth"):
        found, per = evaluate_proof(data, days=days, window=window)
    out.mkdir(parents=True, exist_ok=True)
    (out / "proof_evaluation.json").write_text(json.dumps(found, indent=2) + "\n")
    per.to_parquet(out / "proof_lines.parquet", index=False)
    table = Table(
        title=f"The proof against the truth ({found['poor_before']:,} repaired lines poor before)"
    )
    for col in ("repairs whose cause was", "lines", "recovered", "score change"):
        table.add_column(col, justify="left" if col.startswith("repairs") else "right")
    for label, key in (("fixed", "cause_fixed"), ("not fixed", "cause_not_fixed")):
        g = found[key]
        table.add_row(
            label,
            f"{g['lines']:,}",
            "-" if g["recovered"] is None else f"{g['recovered']:.0%}",
            "-" if g["score_change"] is None else f"{g['score_change']:+.1f}",
        )
    console.print(table)
    console.print(
        f"closed as fixed: {found['closed_as_fixed']:,}; of them the cause not fixed: "
        f"{found['closed_as_fixed_cause_not_fixed']:,} "
        f"({found['closed_as_fixed_cause_not_fixed_still_poor']:,} still poor after); "
        f"scenario named as the truth's: {found['scenario_right']:.1%}"
    )
    console.print(f"Wrote proof_evaluation.json and proof_lines.parquet to [bold]{out}[/]")


def register(app: typer.Typer) -> None:
    """Add ``proof`` and ``evaluate-proof`` to the ``broadband`` group."""
    app.command("proof")(proof_command)
    app.command("evaluate-proof")(evaluate_proof_command)
