"""``telcolens broadband diagnose|evaluate|tune-diagnosis``: poor lines, their causes,
shared-cause tickets, and the figures against a generated province's truth."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path
from typing import Annotated, Any

import pandas as pd
import pyarrow.parquet as pq
import typer
from rich.table import Table

from telcolens import csvsafe
from telcolens import engine as engines
from telcolens.broadband.diagnose import (
    DiagnosisError,
    Settings,
    data_end,
    diagnose,
    window_days,
    write_diagnosis,
)
from telcolens.broadband.evaluate import (
    DEFAULT_GRID,
    Evaluation,
    cross_validate,
    evaluate,
)
from telcolens.cli_options import DataOption, EngineOption, OutDirOption
from telcolens.console import console, reporting, status

AsOfOption = Annotated[
    dt.datetime | None,
    typer.Option(
        formats=["%Y-%m-%d"],
        help="Diagnose the days before this date (YYYY-MM-DD); default the day after the "
        "last KPI sample.",
        show_default=False,
    ),
]
SettingsOption = Annotated[
    Path | None,
    typer.Option(
        "--settings",
        dir_okay=False,
        help="Diagnosis settings JSON (`tune-diagnosis` writes one); default the shipped ones.",
        show_default=False,
    ),
]


def read_settings(path: Path | None) -> Settings:
    """The settings in ``path`` (a JSON object of :class:`Settings` fields), or the defaults."""
    if path is None:
        return Settings()
    try:
        values = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise DiagnosisError(f"{path}: no such file") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise DiagnosisError(f"{path}: not JSON ({exc})") from None
    if not isinstance(values, dict):
        raise DiagnosisError(f"{path}: expected a JSON object of settings")
    values = values.get("settings", values)
    try:
        return Settings().with_values(**values)
    except TypeError as exc:  # a value of the wrong type for its field
        raise DiagnosisError(f"{path}: {exc}") from None


def _csv_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """Lists (a ticket's lines) as space-separated text, for CSV."""
    out = frame.copy()
    if "lines" in out:
        out["lines"] = [" ".join(str(x) for x in lines) for lines in out["lines"]]
    return out


def _write(frame: pd.DataFrame, out: Path, name: str) -> Path:
    """``frame`` as OUT/NAME.parquet and OUT/NAME.csv."""
    out.mkdir(parents=True, exist_ok=True)
    path = out / f"{name}.parquet"
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_parquet(tmp, index=False)
    os.replace(tmp, path)
    csvsafe.write_frame(_csv_frame(frame), out / f"{name}.csv", index=False)
    return path


def diagnose_command(
    data: DataOption,
    out: OutDirOption,
    as_of: AsOfOption = None,
    days: Annotated[
        int, typer.Option(min=1, help="Days of samples the diagnosis reads, before --as-of.")
    ] = 7,
    engine: EngineOption = "duckdb",
    settings: SettingsOption = None,
) -> None:
    """Diagnose poor home lines: one row per poor line (scenario, side, action, evidence,
    perception score) and one ticket per shared cause (splitter, PON port, OLT)."""
    chosen = read_settings(settings)
    with status(f"Diagnosing the lines of {data} on {engine}"):
        con = engines.connect(engine)
        t = engines.tables(con, data, require=("broadband_kpi", "broadband_lines"))
        day = as_of.date() if as_of else data_end(con, t["broadband_kpi"])
        window = window_days(day, days)
        result = diagnose(t["broadband_kpi"], t["broadband_lines"], window, settings=chosen)
        paths = write_diagnosis(con, result, out)
    diagnoses, tickets = (pq.read_table(p).to_pandas() for p in paths)
    _write(diagnoses, out, "diagnoses")
    _write(tickets, out, "tickets")
    console.print(_summary(diagnoses, tickets, window))
    console.print(f"Wrote diagnoses and tickets (Parquet and CSV) to [bold]{out}[/]")


def _summary(diagnoses: pd.DataFrame, tickets: pd.DataFrame, window: list[dt.date]) -> Table:
    table = Table(title=f"Poor lines {window[0]} to {window[-1]}")
    for name in ("scenario", "side", "action", "lines", "in a shared ticket", "tickets"):
        table.add_column(
            name, justify="left" if name in ("scenario", "side", "action") else "right"
        )
    shared = tickets.groupby("scenario").size() if len(tickets) else pd.Series(dtype=int)
    if len(diagnoses):
        g = diagnoses.groupby(["scenario", "side", "action"]).agg(
            lines=("line_id", "size"), shared=("ticket_element", "count")
        )
        for (scenario, side, action), r in g.iterrows():
            table.add_row(
                scenario,
                side,
                action,
                f"{r.lines:,}",
                f"{r.shared:,}",
                f"{int(shared.get(scenario, 0)):,}",
            )
    table.caption = f"{len(diagnoses):,} poor lines, {len(tickets):,} shared-cause tickets"
    return table


def evaluate_command(
    data: DataOption,
    out: OutDirOption,
    as_of: AsOfOption = None,
    days: Annotated[
        int | None,
        typer.Option(min=1, help="Days before --as-of to diagnose; default the whole province."),
    ] = None,
    engine: EngineOption = "duckdb",
    settings: SettingsOption = None,
) -> None:
    """Score the diagnosis against a generated province's truth (truth/): planted poor
    lines rightly named, shared faults as one ticket, the side rule, precision."""
    chosen = read_settings(settings)
    with status(f"Diagnosing and scoring {data} on {engine}"):
        result = evaluate(
            data,
            con=engines.connect(engine),
            as_of=as_of.date() if as_of else None,
            days=days,
            settings=chosen,
        )
    _write_evaluation(result, out)
    console.print(_acceptance(result))
    console.print(
        f"Wrote evaluation.json, per_line, per_fault, diagnoses, tickets to [bold]{out}[/]"
    )


def _write_evaluation(result: Evaluation, out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    path = out / "evaluation.json"
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(result.figures, indent=1, default=str) + "\n", encoding="utf-8")
    os.replace(tmp, path)
    per_line = result.per_line.assign(truth=[" ".join(t) for t in result.per_line.truth])
    _write(per_line, out, "per_line")
    _write(result.per_fault, out, "per_fault")
    _write(result.diagnoses, out, "diagnoses")
    _write(result.tickets, out, "tickets")


def _acceptance(result: Evaluation) -> Table:
    f = result.figures
    table = Table(title=f"Diagnosis against the truth, {f['window'][0]} to {f['window'][1]}")
    for name in ("figure", "value", "target", "met"):
        table.add_column(name, justify="left" if name == "figure" else "right")
    for name, a in f["acceptance"].items():
        value = a["value"]
        shown = "-" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)
        target = f">= {a['target']:.2f}" if isinstance(a["target"], float) else "0"
        table.add_row(name.replace("_", " "), shown, target, "yes" if a["met"] else "[red]no[/]")
    p, faults = f["precision"], f["faults"]
    table.add_row("flags poor in the truth (precision)", _pct(p["precision"]), "", "")
    table.add_row("flags useful (poor, or mild and rightly named)", _pct(p["useful"]), "", "")
    table.add_row("healthy lines flagged", f"{p['flagged_healthy']:,}", "", "")
    looks = sum(v["flagged"] for v in p["flagged_lookalikes"].values())
    table.add_row("look-alike lines flagged", f"{looks:,}", "", "")
    table.add_row(
        "faults: one ticket on their own element", _pct(faults["faults_one_ticket_named"]), "", ""
    )
    rates = [f["lines"]["scenario_right"], faults["faults_one_ticket"], p["precision"]]
    if all(r == 1.0 for r in rates):
        table.caption = "[yellow]Every figure is 1.0: the province is too easy to tell anything.[/]"
    return table


def _pct(x: float | None) -> str:
    return "-" if x is None else f"{x:.3f}"


def tune_command(
    data: Annotated[
        list[Path],
        typer.Option(
            "--data",
            file_okay=False,
            help="A generated province (give two or more: one is held out at a time).",
        ),
    ],
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Settings JSON to write.")],
    passes: Annotated[int, typer.Option(min=1, help="Rounds of coordinate ascent.")] = 2,
) -> None:
    """Choose the diagnosis settings by cross-validation across provinces: each province
    held out in turn (settings tuned on the others, figures on it), then tuned on all."""
    if len(data) < 2:
        raise DiagnosisError("cross-validation needs two provinces or more (--data twice)")
    out.parent.mkdir(parents=True, exist_ok=True)

    def keep(found: dict[str, Any]) -> None:
        tmp = out.with_name(f".{out.name}.tmp")
        tmp.write_text(json.dumps(found, indent=1, default=str) + "\n", encoding="utf-8")
        os.replace(tmp, out)

    with reporting() as progress:
        found = cross_validate(
            engines.connect("duckdb"),
            data,
            DEFAULT_GRID,
            passes=passes,
            progress=progress,
            on_fold=keep,
        )
    keep(found)
    console.print(_folds(found))
    console.print(f"Settings tuned on all {len(data)} provinces; wrote [bold]{out}[/]")


def _folds(found: dict[str, Any]) -> Table:
    table = Table(title="Held-out provinces (settings tuned on the others)")
    for name in ("held out", "scenario right", "faults one ticket", "useful flags", "changed"):
        table.add_column(name)
    for fold in found["folds"]:
        a = fold["acceptance"]
        table.add_row(
            Path(fold["held_out"]).name,
            _pct(a["scenario_right"]["value"]),
            _pct(a["faults_one_ticket"]["value"]),
            _pct(fold["useful"]),
            ", ".join(f"{k}={v}" for k, v in fold["settings"].items()) or "-",
        )
    return table


def register(app: typer.Typer) -> None:
    """Add ``diagnose``, ``evaluate`` and ``tune-diagnosis`` to the ``broadband`` group."""
    app.command("diagnose")(diagnose_command)
    app.command("evaluate")(evaluate_command)
    app.command("tune-diagnosis")(tune_command)
