"""The ``telcolens`` command line: one command or group per capability."""

from __future__ import annotations

import datetime
import logging
import os
import shutil
import sys
import time
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table as RichTable

from telcolens import __version__, cli_daily, cli_service
from telcolens.capabilities import DemoContext, capabilities
from telcolens.cli_options import DataOption, EngineOption
from telcolens.console import Group, console, err_console, reporting
from telcolens.errors import BadInput
from telcolens.privacy import install_log_masking
from telcolens.streams import cli as stream_cli

if TYPE_CHECKING:
    from telcolens.simulate import ProvinceSummary

_SETTINGS = {
    "name": "telcolens",
    "help": "Operations intelligence for a telecom operator: one data model, DuckDB or Spark.",
    "no_args_is_help": True,
    "pretty_exceptions_show_locals": False,  # locals could hold subscriber data
    "cls": Group,  # TelcolensError -> one line and its exit code
}
# The platform's own commands; build_app() adds the capabilities' to a copy.
_platform = typer.Typer(**_SETTINGS)

DEMO_MARKER = ".telcolens-demo"
# Ground-truth files worth a line in the generation summary, and how to say them.
PLANTED = {
    "fraud_numbers": "fraud numbers",
    "card_brokers": "card-broker ID cards, outlets and devices",
    "victims": "victim contacts",
    "lookalikes": "legitimate look-alikes",
    "faults": "network faults",
}


def _version(value: bool) -> None:
    if value:
        console.print(f"telcolens {__version__}")
        raise typer.Exit()


@_platform.callback()
def main(
    verbose: Annotated[bool, typer.Option("--verbose", "-v", help="Log debug detail.")] = False,
    version: Annotated[
        bool | None,
        typer.Option("--version", callback=_version, is_eager=True, help="Print the version."),
    ] = None,
) -> None:
    """Operations intelligence for a telecom operator."""
    logging.basicConfig(
        level=logging.DEBUG if verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    for noisy in ("py4j", "pyspark"):
        logging.getLogger(noisy).setLevel(logging.ERROR)
    install_log_masking()
    # Help needs no settings. (The group's own args are no longer in ctx by now.)
    if "--help" not in sys.argv[1:]:
        _check_settings()


def _check_settings() -> None:
    """Read the ``TELCOLENS_*`` settings before any command runs; name each invalid one.

    An invalid one raises :class:`~telcolens.settings.SettingsError`, which the command
    group prints like every other :class:`~telcolens.errors.TelcolensError`.
    """
    from telcolens.settings import get_settings

    get_settings.cache_clear()  # the environment as this command starts
    get_settings()


@_platform.command()
def generate(
    out: Annotated[
        Path, typer.Option(help="Directory to write the province into.", file_okay=False)
    ],
    subscribers: Annotated[int, typer.Option(min=1000, help="Number of subscribers.")] = 20_000,
    days: Annotated[int, typer.Option(min=1, help="Days of records.")] = 3,
    seed: Annotated[int, typer.Option(help="Random seed; the same seed gives the same data.")] = 7,
    overwrite: Annotated[bool, typer.Option(help="Replace a province already in OUT.")] = False,
) -> None:
    """Generate a synthetic Shandong-like province with planted behaviours and ground truth."""
    from telcolens.simulate import generate_province

    summary = generate_province(
        out, subscribers=subscribers, days=days, seed=seed, overwrite=overwrite
    )
    _print_generation(summary)


def _print_generation(summary: ProvinceSummary) -> None:
    table = RichTable(title=f"Province written to {summary.out}", show_edge=False)
    table.add_column("table")
    table.add_column("rows", justify="right")
    for name, rows in summary.rows.items():
        table.add_row(name, f"{rows:,}")
    console.print(table)
    planted = ", ".join(
        f"{summary.truth[name]:,} {label}"
        for name, label in PLANTED.items()
        if name in summary.truth
    )
    console.print(
        f"{sum(summary.rows.values()):,} rows in {summary.seconds:.1f} s. "
        f"Planted (ground truth in {summary.out / 'truth'}): {planted}"
    )


@_platform.command()
def ingest(
    data: DataOption,
    table: Annotated[str, typer.Option(help="Table the files hold (see `telcolens tables`).")],
    files: Annotated[list[Path], typer.Argument(help="CSV or Parquet files.")],
    dry_run: Annotated[bool, typer.Option(help="Validate only; write nothing.")] = False,
) -> None:
    """Validate CSV/Parquet files, pseudonymise identifiers and add them to a table.

    The files go into DATA (created if new), one Parquet part per file.
    """
    from telcolens.ingest import ingest_files, validate_files

    try:
        if dry_run:
            with reporting(share=True) as progress:
                counts = validate_files(table, files, progress=progress)
            for path, rows in zip(files, counts, strict=True):
                console.print(f"{path}: {rows:,} rows valid")
            return
        with reporting(share=True) as progress:
            report = ingest_files(data, table, files, progress=progress)
    except BadInput as exc:  # IngestError, an unknown table: say that nothing changed
        raise BadInput(f"{exc}\nNothing was written.") from None
    for item in report.files:
        console.print(f"{item.path}: {item.rows:,} rows, {item.status}")


@_platform.command()
def tables(
    markdown: Annotated[bool, typer.Option(help="Print docs/data-model.md instead.")] = False,
) -> None:
    """List the data model's tables and columns."""
    from telcolens.schema import TABLES
    from telcolens.schema._markdown import render_markdown

    if markdown:
        print(render_markdown(TABLES), end="")
        return
    for spec in TABLES.values():
        grid = RichTable(
            title=f"{spec.name} ({spec.domain})",
            caption=spec.description,
            show_edge=False,
            title_justify="left",
        )
        for heading in ("column", "type", "input name", "meaning"):
            grid.add_column(heading)
        for col in spec.columns:
            grid.add_row(col.name, str(col.dtype), col.input_name, col.description)
        console.print(grid)


@_platform.command()
def demo(
    out: Annotated[
        Path, typer.Option(help="Directory for the demo province and outputs.", file_okay=False)
    ] = Path("telcolens-demo"),
    subscribers: Annotated[int, typer.Option(min=1000, help="Subscribers to generate.")] = 20_000,
    days: Annotated[
        int,
        typer.Option(
            min=1, help="Days of records: 36 gives 30 as-of days, each with a week before it."
        ),
    ] = 36,
    seed: Annotated[int, typer.Option(help="Random seed.")] = 7,
    start: Annotated[
        datetime.datetime | None,
        typer.Option(
            formats=["%Y-%m-%d"],
            metavar="YYYY-MM-DD",
            help="First day of records. Default: DAYS days before today (China time), so "
            "the province ends yesterday, as a live one would.",
            show_default=False,
        ),
    ] = None,
    engine: EngineOption = "duckdb",
    serve: Annotated[
        bool, typer.Option(help="End by serving the console (--no-serve for scripts).")
    ] = True,
    host: Annotated[str, typer.Option(help="Address the console listens on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="Console port.")] = 8000,
) -> None:
    """Generate a small province, run every capability on it, load the results and serve them.

    The results go into a SQLite store of the demo's own (OUT/telcolens.db) with a
    demo admin user whose password is printed; then the console is served on HOST:PORT.
    """
    from telcolens import engine as engines
    from telcolens.simulate import generate_province

    started = time.perf_counter()
    data_dir, results_dir = out / "province", out / "results"
    _claim_demo_dir(out)
    first = start.date() if start else cli_daily.today() - datetime.timedelta(days=days)
    summary = generate_province(
        data_dir, subscribers=subscribers, days=days, seed=seed, start=first, overwrite=True
    )
    _print_generation(summary)
    con = engines.connect(engine)
    ctx = DemoContext(
        data_dir=data_dir,
        out_dir=results_dir,
        engine=engine,
        con=con,
        tables=engines.tables(con, data_dir),
    )
    results_dir.mkdir(parents=True, exist_ok=True)
    loads, serve_env = [], {}
    for cap in capabilities():
        if cap.run_demo is None:
            continue
        with err_console.status(f"Running {cap.title} on {engine}"):
            result = cap.run_demo(ctx)
        grid = RichTable(title=cap.title, show_header=False, show_edge=False, title_justify="left")
        grid.add_column()
        grid.add_column(overflow="fold")  # text without spaces (Chinese) folds, never cut
        for label, value in result.summary:
            grid.add_row(label, value)
        console.print(grid)
        for path in result.outputs:
            console.print(f"  output: {path}")
        if result.load is not None:
            loads.append(result.load)
        serve_env.update(result.serve_env)
    store_url = f"sqlite:///{(out / 'telcolens.db').resolve()}"
    password = cli_service.demo_store(store_url, loads)
    console.print(
        f"\nDemo finished in {time.perf_counter() - started:.0f} s. "
        f"Province: {data_dir}  Results: {results_dir}  Store: {out / 'telcolens.db'}"
    )
    console.print(
        f"Console user [bold]{cli_service.DEMO_ADMIN}[/] (admin), password [bold]{password}[/]"
    )
    if serve:
        os.environ.update(serve_env)  # the served app reads each step's results from them
        cli_service.run_server(host=host, port=port, database_url=store_url)
    else:
        env = "".join(f"{k}={v} " for k, v in sorted(serve_env.items()))
        console.print(
            f"Serve it with: {env}telcolens serve --database-url {store_url} "
            f"--host {host} --port {port}"
        )


def _claim_demo_dir(out: Path) -> None:
    """Make ``out`` the demo's own folder; refuse to clear a folder the demo did not make."""
    marker = out / DEMO_MARKER
    if out.exists() and any(out.iterdir()) and not marker.exists():
        raise BadInput(f"{out} exists and was not made by `telcolens demo`; choose another --out")
    if out.exists():
        shutil.rmtree(out)
    out.mkdir(parents=True)
    marker.touch()


def build_app() -> typer.Typer:
    """The root app with every registered capability's commands (a fresh one each call).

    ``app``, the entry point, is built once at import; a capability registered later (a
    test, a plug-in) appears in the apps built after it.
    """
    root = typer.Typer(**_SETTINGS)
    root.registered_callback = _platform.registered_callback
    root.registered_commands = list(_platform.registered_commands)
    for capability in capabilities():
        capability.register_cli(root)
    cli_service.register(root)
    cli_daily.register(root)
    stream_cli.register_cli(root)
    return root


app = build_app()
