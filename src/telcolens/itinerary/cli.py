"""``telcolens itinerary``: the visited-places command group."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table as RichTable

from telcolens import engine as engines
from telcolens import retention
from telcolens.cli_options import DataOption, EngineOption
from telcolens.console import Group, console, reporting
from telcolens.errors import BadInput
from telcolens.itinerary import cli_sms
from telcolens.itinerary.build import build
from telcolens.itinerary.index import VisitIndex
from telcolens.itinerary.stays import DEFAULTS, StaySettings

app = typer.Typer(
    name="itinerary",
    help="Visited places (行程卡): build each subscriber's cities of the last 14 days from "
    "location records, answer queries by number or SMS keyword, purge what is past retention.",
    no_args_is_help=True,
    cls=Group,
)

IndexOption = Annotated[
    Path, typer.Option("--index", file_okay=False, help="Index folder (`itinerary build` --out).")
]
AsOfOption = Annotated[
    dt.datetime,
    typer.Option(
        "--as-of",
        formats=["%Y-%m-%d"],
        metavar="YYYY-MM-DD",
        help="The day the card answers on: its window is the --window-days days ending "
        "--lag-days before it.",
    ),
]


def settings_of(
    min_stay_hours: float,
    window_days: int,
    lag_days: int,
    cumulative: bool,
    pingpong_minutes: float,
    boundary: str,
) -> StaySettings:
    return StaySettings(
        min_stay_hours=min_stay_hours,
        window_days=window_days,
        lag_days=lag_days,
        cumulative=cumulative,
        pingpong_minutes=pingpong_minutes,
        boundary=boundary,  # type: ignore[arg-type]
    )


MinStay = Annotated[
    float, typer.Option(min=0.01, help="Hours a stay must last for its city to be listed.")
]
WindowDays = Annotated[int, typer.Option(min=1, help="Days the card covers.")]
LagDays = Annotated[
    int, typer.Option(min=0, help="Days between the window's end and the as-of day.")
]
Cumulative = Annotated[
    bool,
    typer.Option(
        "--cumulative/--longest",
        help="Add up a city's stays (--cumulative) or ask one stay to be long enough.",
    ),
]
PingPong = Annotated[
    float,
    typer.Option(min=0, help="A-B-A within this many minutes is one place (border ping-pong)."),
]
BoundaryOpt = Annotated[
    str,
    typer.Option(
        help="Where a stay starts and ends between sightings: midpoint, or first_outside "
        "(trackintel's: its own first sighting to the next place's first)."
    ),
]


@app.command("build")
def build_command(
    data: DataOption,
    as_of: AsOfOption,
    out: Annotated[Path, typer.Option("--out", file_okay=False, help="Index folder to write.")],
    engine: EngineOption = "duckdb",
    min_stay_hours: MinStay = DEFAULTS.min_stay_hours,
    window_days: WindowDays = DEFAULTS.window_days,
    lag_days: LagDays = DEFAULTS.lag_days,
    cumulative: Cumulative = DEFAULTS.cumulative,
    pingpong_minutes: PingPong = DEFAULTS.pingpong_minutes,
    boundary: BoundaryOpt = DEFAULTS.boundary,
    purge: Annotated[
        bool,
        typer.Option(
            "--purge/--no-purge",
            help="Delete location records past their retention (14 days by default) first.",
        ),
    ] = True,
) -> None:
    """Compute each subscriber's visited cities for the window of --as-of into an index.

    Reads cells and location_events (required) and the cells of voice, sms and
    data_sessions when present; writes INDEX/visits.sqlite and INDEX/stays.parquet.
    """
    settings = settings_of(
        min_stay_hours, window_days, lag_days, cumulative, pingpong_minutes, boundary
    )
    day = as_of.date()
    if purge:
        _purge_location(data, day, dry_run=False)
    with reporting() as bars:
        built = build(data, day, out, settings=settings, con=engines.connect(engine), progress=bars)
    w = built.window
    console.print(
        f"{built.subscribers:,} subscribers, {built.visits:,} visited cities, "
        f"{built.stays:,} stays in {w.start} .. {w.end} (from {', '.join(built.sources)}) "
        f"in {built.seconds:.1f} s -> [bold]{built.index}[/]"
    )


@app.command("query")
def query_command(
    index: IndexOption,
    number: Annotated[str, typer.Option(help="The subscriber's number (11 digits, +86 allowed).")],
) -> None:
    """Print one number's visited cities as JSON (the number masked)."""
    digits = "".join(ch for ch in number if ch.isdigit())
    if len(digits) < 7:
        raise BadInput(f"--number {number!r} is not a phone number")
    answer = VisitIndex(index).lookup_number(number)
    typer.echo(json.dumps(answer.to_json(number), ensure_ascii=False, indent=2))


@app.command("purge")
def purge_command(
    data: DataOption,
    as_of: AsOfOption,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Only say what would go.")] = False,
) -> None:
    """Delete location records older than their retention (14 days by default) from disk.

    Whole day files go (and the day partials computed from them); the index holds
    nothing older than its window, and each build replaces it whole.
    """
    report = _purge_location(data, as_of.date(), dry_run=dry_run)
    verb = "Would delete" if dry_run else "Deleted"
    console.print(
        f"{verb} {report.count} location file(s), {report.bytes / 2**20:.1f} MiB, of days "
        f"before {as_of.date() - dt.timedelta(days=report.days['location_events'])}"
    )


def _purge_location(data: Path, as_of: dt.date, *, dry_run: bool) -> retention.Purged:
    from telcolens.settings import get_settings

    return retention.purge(
        data,
        as_of,
        days=get_settings().retention_days,
        dry_run=dry_run,
        tables=("location_events",),
    )


@app.command("evaluate")
def evaluate_command(
    data: DataOption,
    index: IndexOption,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Compare an index built on a synthetic province with the generator's truth."""
    from telcolens.itinerary.evaluate import evaluate

    meta = VisitIndex(index).meta
    settings = StaySettings(
        min_stay_hours=float(meta["min_stay_hours"]),
        window_days=int(meta.get("window_days", DEFAULTS.window_days)),
        lag_days=int(meta.get("lag_days", DEFAULTS.lag_days)),
        cumulative=meta.get("cumulative") == "true",
    )
    result = evaluate(data, index, settings)
    if as_json:
        typer.echo(json.dumps(result.to_json(), indent=2))
        return
    grid = RichTable(title=f"Visited places {result.window[0]} .. {result.window[1]}")
    grid.add_column("measure")
    grid.add_column("value", justify="right")
    grid.add_row("subscribers on in the window", f"{result.subscribers:,}")
    grid.add_row("cards exactly right", f"{result.exact:,} ({result.exact_share:.2%})")
    grid.add_row("away cities listed / truth", f"{result.away_listed:,} / {result.away_truth:,}")
    for cause, n in result.extra.items():
        grid.add_row(f"listed wrongly: {cause.replace('_', ' ')}", f"{n:,}")
    for kind, n in result.missed.items():
        grid.add_row(f"missed: {kind}", f"{n:,}")
    console.print(grid)


cli_sms.register(app)


def register_cli(root: typer.Typer) -> None:
    """Add the ``itinerary`` group to the root app."""
    root.add_typer(app)
