"""Day-after-day commands: ``telcolens purge`` (and the daily run beside it)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated
from zoneinfo import ZoneInfo

import typer
from rich.table import Table as RichTable

from telcolens import retention
from telcolens.cli_options import DataOption
from telcolens.console import console
from telcolens.dataset import table_days
from telcolens.errors import BadInput

RECORD_TZ = ZoneInfo("Asia/Shanghai")  # record days are China Standard Time days


AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="The run day: records up to the day before count. Default: today (China time).",
        show_default=False,
    ),
]


def today() -> dt.date:
    return dt.datetime.now(RECORD_TZ).date()


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
    keep = retention.retention_days(_settings_retention())
    table = RichTable(title=f"{'Would purge' if dry_run else 'Purged'} before {day} in {data}")
    for col in ("table", "days kept", "files", "oldest day left"):
        table.add_column(col)
    for name in retention.dated_tables():
        left = table_days(data, name)
        table.add_row(
            name,
            str(keep[name]),
            str(len(report.files.get(name, []))),
            str(left[0]) if left and not dry_run else "",
        )
    console.print(table)
    verb = "would free" if dry_run else "freed"
    console.print(f"{report.count} files, {verb} {report.bytes / 2**20:.1f} MiB")


def _settings_retention() -> dict[str, int]:
    from telcolens.settings import get_settings

    return get_settings().retention_days


def register(root: typer.Typer) -> None:
    root.command()(purge)
