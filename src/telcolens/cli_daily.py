"""Day-after-day commands: ``telcolens daily`` (every capability for a day) and ``purge``."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table as RichTable
from sqlalchemy.orm import Session

from telcolens import cli_service, retention
from telcolens.cli_options import DatabaseOption, DataOption, EngineOption
from telcolens.console import console, reporting
from telcolens.dataset import table_days
from telcolens.errors import BadInput
from telcolens.store.db import patient

RECORD_TZ = ZoneInfo("Asia/Shanghai")  # record days are China Standard Time days


def _day(name: str, help: str):
    """A YYYY-MM-DD option (Click parses it, and says what it expects)."""
    return typer.Option(
        name, formats=["%Y-%m-%d"], metavar="YYYY-MM-DD", help=help, show_default=False
    )


AsOfOption = Annotated[
    dt.datetime | None,
    _day(
        "--as-of", "The run day: records up to the day before count. Default: today (China time)."
    ),
]


def today() -> dt.date:
    return dt.datetime.now(RECORD_TZ).date()


def daily(
    data: DataOption,
    out: Annotated[
        Path,
        typer.Option(
            "--out", file_okay=False, help="Folder of day runs: OUT/<as-of>/<capability>/."
        ),
    ],
    as_of: AsOfOption = None,
    first: Annotated[
        dt.datetime | None, _day("--from", "Backfill: the first as-of day of a range (with --to).")
    ] = None,
    last: Annotated[
        dt.datetime | None, _day("--to", "Backfill: the last as-of day, included.")
    ] = None,
    engine: EngineOption = "duckdb",
    only: Annotated[
        list[str] | None,
        typer.Option("--only", metavar="NAME", help="Run only this capability (repeatable)."),
    ] = None,
    with_: Annotated[
        list[str] | None,
        typer.Option(
            "--with",
            metavar="NAME.KEY=VALUE",
            help="An option for one capability's step (repeatable), e.g. "
            "antifraud.model=models/af or antifraud.whitelist=whitelist.csv.",
        ),
    ] = None,
    load: Annotated[
        bool, typer.Option(help="Load each day into the store (replacing that day only).")
    ] = False,
    database_url: DatabaseOption = None,
    purge_after: Annotated[
        bool,
        typer.Option("--purge/--no-purge", help="Apply retention after the last day."),
    ] = True,
) -> None:
    """Run every capability's day step for one as-of day, or each day of --from/--to.

    A day's steps read only the records before it, so running a day again gives the
    same results; its folder is replaced and its store rows too.
    """
    from telcolens import engine as engines
    from telcolens import runs

    if as_of and (first or last):
        raise BadInput("give either --as-of or --from/--to, not both")
    if (first is None) != (last is None):
        raise BadInput("a backfill needs both --from and --to")
    days = (
        runs.days_between(first.date(), last.date())
        if first and last
        else [as_of.date() if as_of else today()]
    )
    if not data.is_dir():
        raise BadInput(f"{data} is not a data directory")
    steps = runs.day_steps(only)
    options = runs.parse_options(with_ or [], [c.name for c in steps])
    store = cli_service.engine_or_fail(database_url) if load else None
    con = engines.connect(engine)
    with reporting() as bars:
        for day in days:
            run = runs.run_day(data, out, day, con, steps=steps, options=options, progress=bars)
            if store is not None:
                with Session(store) as session, session.begin(), patient(session):
                    for step_load in run.loads:
                        step_load(session, cli_service._os_user())
            console.print(_day_line(run))
    if purge_after:
        report = retention.purge(data, days[-1])
        if report.count:
            console.print(f"purged {report.count} expired files ({report.bytes / 2**20:.1f} MiB)")


def _day_line(run) -> str:
    parts = [f"{label} {value}" for lines in run.summary.values() for label, value in lines]
    return f"[bold]{run.as_of}[/]  " + "; ".join(p.strip() for p in parts)


def purge(
    data: DataOption,
    as_of: AsOfOption = None,
    dry_run: Annotated[
        bool, typer.Option("--dry-run", help="List what would go; delete nothing.")
    ] = False,
) -> None:
    """Delete record days older than each table's retention (TELCOLENS_RETENTION_DAYS).

    Location records are kept 14 days by default; day partials go with their
    table's records. Reference tables and undated parts are never touched.
    """
    day = as_of.date() if as_of else today()
    if not data.is_dir():
        raise BadInput(f"{data} is not a data directory")
    report = retention.purge(data, day, dry_run=dry_run)
    table = RichTable(title=f"{'Would purge' if dry_run else 'Purged'} before {day} in {data}")
    for col in ("table", "days kept", "files", "oldest day left"):
        table.add_column(col)
    for name in retention.dated_tables():
        left = table_days(data, name)
        table.add_row(
            name,
            str(report.days[name]),
            str(len(report.files.get(name, []))),
            str(left[0]) if left and not dry_run else "",
        )
    console.print(table)
    verb = "would free" if dry_run else "freed"
    console.print(f"{report.count} files, {verb} {report.bytes / 2**20:.1f} MiB")


def register(root: typer.Typer) -> None:
    root.command()(daily)
    root.command()(purge)
