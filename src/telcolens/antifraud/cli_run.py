"""``telcolens antifraud features|run|evaluate|rules|whitelist|reinstate``."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from telcolens import csvsafe
from telcolens import engine as engines
from telcolens.antifraud import lists
from telcolens.antifraud.features import FEATURES, REQUIRED_TABLES, fraud_features
from telcolens.antifraud.rules import DEFAULT_RULES, load_rules
from telcolens.cli_options import (
    DatabaseOption,
    DataOption,
    EngineOption,
    OutDirOption,
    ParquetOutOption,
)
from telcolens.cli_service import _os_user, engine_or_fail
from telcolens.console import Group, console, log_lines, reporting, status

# The watcher's logger, where it tells what it does (shown during the replay).
WATCH_LOG = "telcolens.antifraud.watch"
ModelOption = Annotated[
    Path | None,
    typer.Option(help="Model directory from `telcolens antifraud train` (rules only without)."),
]
RulesOption = Annotated[
    Path | None, typer.Option(help=f"Rules file (YAML); default {DEFAULT_RULES.name}.")
]
WhitelistOption = Annotated[
    Path | None, typer.Option(help="Whitelist CSV: numbers never put on the fraud list.")
]
ReinstatementsOption = Annotated[
    Path | None, typer.Option(help="Reinstatement records CSV: numbers analysts cleared.")
]


def register(group: typer.Typer) -> None:
    group.command("features")(features_command)
    group.command("run")(run_command)
    group.command("evaluate")(evaluate_command)
    group.command("rules")(rules_command)
    group.command("reinstate")(reinstate_command)
    group.command("load")(load_command)
    whitelist = typer.Typer(
        help="Registered business numbers the fraud list never flags.", cls=Group
    )
    whitelist.command("add")(whitelist_add)
    whitelist.command("show")(whitelist_show)
    group.add_typer(whitelist, name="whitelist")


def features_command(
    data: DataOption,
    out: ParquetOutOption,
    engine: EngineOption = "duckdb",
    as_of: Annotated[
        dt.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            help="As-of date (YYYY-MM-DD); default the day after the last call.",
        ),
    ] = None,
) -> None:
    """Per-subscriber anti-fraud features (calling, SMS, data, mobility, account, graph)."""
    from telcolens.antifraud.daily import data_end

    with status(f"Computing anti-fraud features of {data} on {engine}"):
        con = engines.connect(engine)
        t = engines.tables(con, data, require=REQUIRED_TABLES)
        day = as_of.date() if as_of else data_end(con, t["voice"])
        engines.write_parquet(con, fraud_features(t, day), out)
    console.print(f"Wrote {len(FEATURES)} features per subscriber (as of {day}) to [bold]{out}[/]")


def run_command(
    data: DataOption,
    out: OutDirOption,
    model: ModelOption = None,
    rules: RulesOption = None,
    whitelist: WhitelistOption = None,
    reinstatements: ReinstatementsOption = None,
    engine: EngineOption = "duckdb",
    load: Annotated[
        bool,
        typer.Option(
            help="Load the lists into the store as cases (and keep its whitelisted and "
            "reinstated numbers off the list)."
        ),
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """The day's fraud list, card-broker list, victim warnings and case files, into OUT."""
    from telcolens.antifraud.daily import run_day

    store = engine_or_fail(database_url) if load else None
    if store is not None:
        whitelist, reinstatements = _store_lists(store, out, whitelist, reinstatements)
    if model is None:
        console.print("[yellow]No --model: flagging by rules only (lower recall).[/]")
    with reporting() as progress:
        result = run_day(
            data,
            out,
            con=engines.connect(engine),
            model_dir=model,
            rules_path=rules,
            whitelist=whitelist,
            reinstatements=reinstatements,
            progress=progress,
        )
    s = result.summary
    table = Table(title=f"Anti-fraud run as of {s['as_of']}", show_header=False)
    for label, value in [
        ("subscribers scored", f"{s['subscribers']:,}"),
        ("fraud numbers flagged", f"{s['fraud_numbers']:,}"),
        ("  by rules only", f"{s['flagged_by_rules_only']:,}"),
        ("kept off by whitelist / reinstatement", f"{s['suppressed']:,}"),
        ("card brokers listed", ", ".join(f"{v} {k}" for k, v in s["card_brokers"].items())),
        ("victims to warn", f"{s['victim_warnings']:,}"),
    ]:
        table.add_row(label, value)
    console.print(table)
    console.print(f"Lists and case files in [bold]{out}[/]")
    if store is not None:
        _load(store, out)


def _store_lists(store, out: Path, whitelist: Path | None, reinstatements: Path | None):
    """The store's whitelist and reinstatements (plus any files given), as files for the run."""
    from sqlalchemy.orm import Session

    from telcolens.antifraud.load import export_lists

    with Session(store) as session:
        wl, rs = export_lists(session)
    wl = lists.merge_whitelists(wl, lists.read_whitelist(whitelist))
    rs = lists.merge_reinstatements(rs, lists.read_reinstatements(reinstatements))
    folder = out / "lists"
    folder.mkdir(parents=True, exist_ok=True)
    csvsafe.write_frame(wl, folder / "whitelist.csv")
    csvsafe.write_frame(rs, folder / "reinstatements.csv")
    return folder / "whitelist.csv", folder / "reinstatements.csv"


def _load(store, run_dir: Path) -> None:
    from telcolens.antifraud.load import load_run_alone

    report = load_run_alone(store, run_dir, actor=_os_user())
    if report.already_loaded:
        console.print(f"The run of {report.as_of} is already loaded (same digest): nothing changed")
        return
    console.print(
        f"Store: {report.opened} cases opened, {report.refreshed} refreshed, "
        f"{report.reopened} reopened on new evidence, {report.kept_closed} kept closed, "
        f"{report.whitelisted} whitelisted skipped; {report.warnings:,} warnings, "
        f"{report.brokers} card brokers (as of {report.as_of})"
    )


def load_command(
    run_dir: Annotated[
        Path, typer.Argument(help="Output folder of `telcolens antifraud run`.", file_okay=False)
    ],
    database_url: DatabaseOption = None,
) -> None:
    """Load a day's run into the store as cases (loading it again changes nothing)."""
    _load(engine_or_fail(database_url), run_dir)


def evaluate_command(
    data: DataOption,
    out: OutDirOption,
    model: Annotated[
        Path | None,
        typer.Option(help="Model to test; default: train one on a history province."),
    ] = None,
    engine: EngineOption = "duckdb",
    watch: Annotated[
        bool, typer.Option(help="Also replay the last day through watch mode (time-to-flag).")
    ] = True,
) -> None:
    """Score a synthetic province's lists against its ground truth.

    OUT is the working folder: the history province and its model, the run, the replay
    and the report (evaluation.json).
    """
    from telcolens.antifraud.daily import run_day
    from telcolens.antifraud.evaluate import (
        evaluate_run,
        history_model,
        manifest,
        registry_whitelist,
    )

    manifest(data)
    con = engines.connect(engine)
    if model is None:
        with status("Training on a history province (another seed, its confirmed cases)"):
            model = history_model(data, out, con=con)
    wl = registry_whitelist(data, out / "whitelist.csv")
    with status(f"Running the day over {data}"):
        run_day(data, out / "run", con=con, model_dir=model, whitelist=wl)
    report = evaluate_run(data, out / "run", whitelist=wl).as_dict()
    if watch:
        from telcolens.antifraud.replay import replay

        with status("Replaying the last day through watch mode"), log_lines(WATCH_LOG):
            report["watch"] = replay(
                data, out / "replay", con=con, model_dir=model, whitelist=wl
            ).as_dict()
    (out / "evaluation.json").write_text(json.dumps(report, indent=2) + "\n")
    _print_report(report)
    console.print(f"Report in [bold]{out / 'evaluation.json'}[/]")


def _print_report(report: dict) -> None:
    table = Table(title="Anti-fraud evaluation against truth")
    for col in ("list", "listed", "true", "precision", "recall"):
        table.add_column(col, justify="left" if col == "list" else "right")
    rows = [("fraud numbers", report["fraud_numbers"])]
    rows += [(f"card brokers: {k}", v) for k, v in report["card_brokers"].items()]
    for name, m in rows:
        table.add_row(
            name, str(m["listed"]), str(m["true"]), f"{m['precision']:.3f}", f"{m['recall']:.3f}"
        )
    console.print(table)
    v = report["victims"]
    console.print(
        f"Victims warned: {v['on_warning_list']} of {v['planted_victims']} "
        f"({v['share_warned']:.1%}) on a list of {v['warning_list_size']:,}"
    )
    w = report.get("whitelist") or {}
    if w:
        console.print(f"Whitelisted numbers flagged: {w['flagged']} of {w['whitelisted']}")
    if report.get("false_flags_by_persona"):
        console.print(f"False flags by persona: {report['false_flags_by_persona']}")
    if "watch" in report:
        w = report["watch"]
        console.print(
            f"Watch mode (last day replayed as {len(w['files'])} files): "
            f"{w['first_flagged_during_replay']} planted numbers first flagged during the replay, "
            f"{w['flagged_within_60s']} within 60 s; seconds from file seen to flag: median "
            f"{w['seconds_to_flag_median']}, max {w['seconds_to_flag_max']}; "
            f"false flags during the replay: {w['false_flags_during_replay']}"
        )


def rules_command(rules: RulesOption = None) -> None:
    """Check a rules file and show its rules."""
    loaded = load_rules(rules, features=list(FEATURES))
    table = Table(title=f"Rules in {rules or DEFAULT_RULES}")
    for col in ("name", "target", "when", "description"):
        table.add_column(col)
    for r in loaded:
        table.add_row(r.name, r.target, r.when, r.description)
    console.print(table)


def whitelist_add(
    number: Annotated[str, typer.Argument(help="The number as dialled (pseudonymised here).")],
    file: Annotated[Path, typer.Option(help="Whitelist CSV (created if absent).")],
    category: Annotated[str, typer.Option(help=f"One of {', '.join(lists.CATEGORIES)}.")],
    note: Annotated[str, typer.Option(help="Who the number belongs to, why.")] = "",
    by: Annotated[str, typer.Option(help="Analyst adding it.")] = "",
) -> None:
    """Add a registered business number to the whitelist."""
    sid = lists.add_to_whitelist(file, number, category, note, by)
    console.print(f"Whitelisted {sid} ({category}) in [bold]{file}[/]")


def whitelist_show(file: Annotated[Path, typer.Option(help="Whitelist CSV.")]) -> None:
    """Show the whitelist (pseudonyms only)."""
    wl = lists.read_whitelist(file)
    table = Table(title=f"{len(wl)} whitelisted numbers")
    for col in lists.WHITELIST_COLUMNS:
        table.add_column(col)
    for row in wl.itertuples(index=False):
        table.add_row(*(str(v) for v in row))
    console.print(table)


def reinstate_command(
    subscriber_id: Annotated[int, typer.Argument(help="Pseudonym of the cleared number.")],
    file: Annotated[Path, typer.Option(help="Reinstatement records CSV (created if absent).")],
    reason: Annotated[str, typer.Option(help="Why the number was cleared.")],
    analyst: Annotated[str, typer.Option(help="Analyst clearing it.")],
) -> None:
    """Record that an analyst cleared a flagged number; later runs leave it off the list."""
    lists.reinstate(file, subscriber_id, reason, analyst)
    console.print(f"Reinstated {subscriber_id}; recorded in [bold]{file}[/]")
