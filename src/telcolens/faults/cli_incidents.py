"""``telcolens faults incidents|evaluate-incidents``: alarms into incidents, and their scores."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table
from sqlalchemy.orm import Session

from telcolens import csvsafe
from telcolens.cli_options import DatabaseOption, DataOption, OutDirOption
from telcolens.cli_service import _os_user, engine_or_fail
from telcolens.console import console
from telcolens.errors import BadInput, NotFound
from telcolens.faults.evaluate_incidents import read_fault_truth, score_incidents
from telcolens.faults.incidents import INCIDENTS_FILE, MAPPING_FILE, correlate_dir
from telcolens.faults.lifecycle import load_incidents, neighbourhoods
from telcolens.store.db import patient


def incidents(
    data: DataOption,
    out: OutDirOption,
    causes: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Cause graph CSV with columns cause, effect (alarm type names) to join "
            "alarms whose type is a known effect of a neighbour's active alarm.",
        ),
    ] = None,
    load: Annotated[
        bool, typer.Option(help="Also load the incidents into the store (idempotent).")
    ] = False,
    database_url: DatabaseOption = None,
) -> None:
    """Deduplicate and correlate the alarms of DATA into incidents with a root cause each.

    Reads the alarms and links tables of DATA; writes the incidents to OUT.
    """
    started = time.perf_counter()
    store = engine_or_fail(database_url) if load else None
    pairs = _read_causes(causes) if causes is not None else None
    result, alarms, links = correlate_dir(data, out, causes=pairs)
    n, m = len(result.incidents), len(alarms)
    console.print(
        f"{m:,} alarms -> {n:,} incidents (compression {1 - n / m:.1%}); "
        f"{int((result.incidents['alarm_count'] > 1).sum()):,} incidents of several alarms, "
        f"{int(result.incidents['cleared_at'].isna().sum()):,} still open; "
        f"{time.perf_counter() - started:.1f} s; wrote [bold]{out}[/]"
    )
    if store is not None:
        with Session(store) as session, session.begin(), patient(session):
            loaded = load_incidents(
                session,
                result.incidents,
                result.alarm_incidents,
                _os_user(),
                topology=neighbourhoods(result.incidents, result.alarm_incidents, alarms, links),
            )
        console.print(f"Store: {loaded.opened} incidents opened, {loaded.updated} updated")


def evaluate(data: DataOption, out: OutDirOption) -> None:
    """Score the incidents in OUT against the faults planted in DATA/truth/."""
    faults, fault_alarms = read_fault_truth(data)
    found = _read_result(out / INCIDENTS_FILE)
    mapping = _read_result(out / MAPPING_FILE)
    scores = score_incidents(found, mapping, faults, fault_alarms)
    table = Table(title=f"Incidents in {out} against the faults planted in {data}")
    table.add_column("measure")
    table.add_column("value", justify="right")
    rows = [
        ("planted faults with alarms", f"{scores.faults}"),
        ("floods reduced to one incident", f"{scores.one_incident:.1%}"),
        ("root-cause device right", f"{scores.root_right:.1%}"),
        ("alarm compression, planted floods", f"{scores.compression_flood:.1%}"),
        ("alarm compression, all alarms", f"{scores.compression_overall:.1%}"),
        ("alarms / incidents", f"{scores.alarms:,} / {scores.incidents:,}"),
        (
            "false merges (two faults / fault+background)",
            f"{scores.mixed_faults} / {scores.mixed_background}",
        ),
        ("median lag, fault start -> incident opened", f"{scores.median_lag_s:.0f} s"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    for kind, row in scores.by_kind.iterrows():
        table.add_row(
            f"  {kind}: {int(row['faults'])} faults",
            f"one {row['one_incident']:.0%}, root {row['root_right']:.0%}",
        )
    console.print(table)
    (out / "incident_scores.json").write_text(json.dumps(scores.as_dict(), indent=2))


def _read_result(path: Path) -> pd.DataFrame:
    if not path.is_file():
        raise NotFound(f"{path}: no such file; write it with `telcolens faults incidents`")
    return csvsafe.read_frame(path)


def _read_causes(path: Path) -> frozenset[tuple[str, str]]:
    if not path.is_file():
        raise NotFound(f"{path}: no such file")
    try:
        edges = csvsafe.read_frame(path)
    except pd.errors.EmptyDataError:
        raise BadInput(f"{path}: the file is empty; needs columns cause and effect") from None
    if not {"cause", "effect"} <= set(edges.columns):
        raise BadInput(f"{path}: needs columns cause and effect; found {', '.join(edges.columns)}")
    return frozenset(zip(edges["cause"].astype(str), edges["effect"].astype(str), strict=True))


def register(app: typer.Typer) -> None:
    """Add the incident commands to the ``telcolens faults`` group."""
    app.command("incidents")(incidents)
    app.command("evaluate-incidents")(evaluate)
