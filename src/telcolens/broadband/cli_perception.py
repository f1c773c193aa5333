"""``telcolens broadband perception|fit-perception``: score lines, refit the score."""

from __future__ import annotations

import json
import os
from enum import StrEnum
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from telcolens import csvsafe
from telcolens.broadband.measures import MEASURES
from telcolens.broadband.ofcom import read_panel
from telcolens.broadband.perception import PerceptionError, load_params, score_frame
from telcolens.broadband.perception_fit import LabCurve, cross_validate, fit_lab, fit_panel
from telcolens.console import console, reporting

SCORE_COLUMNS = ("line_id", "score", "poor", "reasons", "opinion")


class Format(StrEnum):
    ofcom = "ofcom"
    csv = "csv"


class PanelFormat(StrEnum):
    ofcom = "ofcom"


MeasurementsOption = Annotated[
    Path,
    typer.Option(
        "--measurements",
        dir_okay=False,
        help="Line measurements: an Ofcom panel CSV (2013-2015 layouts) or, with --format "
        f"csv, a CSV of line_id and any of {', '.join(MEASURES)}.",
    ),
]


def perception(
    measurements: MeasurementsOption,
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Scores CSV to write.")],
    format: Annotated[
        Format, typer.Option("--format", help="ofcom: Ofcom's panel; csv: line measures.")
    ] = Format.ofcom,
    params: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="Parameters JSON from `fit-perception`; default: those shipped with telcolens.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Score each line's perceived quality: score 0-100 (higher is better), poor 0/1,
    the measures that pull it down (reasons), and the 1-5 opinion-scale view."""
    lines = read_panel(measurements) if format is Format.ofcom else read_measures(measurements)
    fitted = load_params(params)
    scores = score_frame(lines, fitted)[list(SCORE_COLUMNS)]
    scores = scores.round({"score": 2, "opinion": 2})
    out.parent.mkdir(parents=True, exist_ok=True)
    csvsafe.write_frame(scores, out)
    console.print(
        f"Scored {len(scores):,} lines: {int(scores.poor.sum()):,} poor (score below "
        f"{fitted['poor_below']:g}), median score {scores.score.median():.1f}; wrote [bold]{out}[/]"
    )


def fit_perception(
    measurements: MeasurementsOption,
    out: Annotated[Path, typer.Option("--out", dir_okay=False, help="Parameters JSON to write.")],
    format: Annotated[
        PanelFormat, typer.Option("--format", help="Only Ofcom's 2015 panel has video tests.")
    ] = PanelFormat.ofcom,
    folds: Annotated[int, typer.Option(min=2, help="Cross-validation folds.")] = 10,
    repeats: Annotated[int, typer.Option(min=1, help="Shuffled repeats of the folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed of the first repeat's shuffle.")] = 0,
    segments: Annotated[int, typer.Option(min=1, help="Pieces of each measure's curve.")] = 8,
    alpha: Annotated[float, typer.Option(min=0.0, help="Ridge penalty.")] = 1.0,
    poor_below: Annotated[float, typer.Option(help="Scores below this are poor.")] = 20.0,
    lab: Annotated[
        Path | None,
        typer.Option(
            dir_okay=False,
            help="QoEcontrolledLab CSV calibrating the 1-5 opinion scale; default: the lab "
            "curve of the shipped parameters.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Refit the perception score on the panel's video lines and print its cross-validated
    Spearman correlation with the video experience (and download speed's alone)."""
    panel = read_panel(measurements)
    settings = {"segments": segments, "alpha": alpha, "poor_below": poor_below}
    with reporting() as progress:
        folds_table = cross_validate(
            panel, folds=folds, repeats=repeats, seed=seed, progress=progress, **settings
        )
    curve = fit_lab(lab) if lab is not None else _shipped_lab()
    model = fit_panel(panel, lab=curve, **settings)
    params = model.to_params()
    params["fitted"] = {
        "measurements": measurements.name,
        "lines": int(folds_table.groupby("repeat").lines.sum().iloc[0]),
        "lab": lab.name if lab is not None else "the lab curve of the shipped parameters",
        "cross_validation": {
            "folds": folds,
            "repeats": repeats,
            "seed": seed,
            **{
                f"{column}_{stat}": float(folds_table[column].agg(stat))
                for column in ("score_rho", "download_rho")
                for stat in ("mean", "std", "min", "max")
            },
        },
    }
    _write_json(params, out)
    console.print(_cv_table(folds_table, folds, repeats))
    console.print(f"Fitted on {params['fitted']['lines']:,} video lines; wrote [bold]{out}[/]")


def read_measures(path: Path) -> pd.DataFrame:
    """A CSV of ``line_id`` and line measures (any of :data:`MEASURES`; empty = missing)."""
    try:
        frame = pd.read_csv(path, dtype={"line_id": str})
    except FileNotFoundError:
        raise PerceptionError(f"{path}: no such file") from None
    except (pd.errors.EmptyDataError, pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise PerceptionError(f"{path}: not a readable CSV file ({exc})") from None
    if "line_id" not in frame:
        raise PerceptionError(f"{path}: no line_id column; found {', '.join(frame.columns)}")
    present = [name for name in MEASURES if name in frame]
    if not present:
        raise PerceptionError(f"{path}: no measure column (one of {', '.join(MEASURES)})")
    for name in present:
        numbers = pd.to_numeric(frame[name], errors="coerce")
        bad = numbers.isna() & frame[name].notna()
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise PerceptionError(
                f"{path}: column {name} must hold numbers; data row {row + 1} has "
                f"{frame[name].iloc[row]!r}"
            )
        frame[name] = numbers
    return frame


def _shipped_lab() -> LabCurve:
    opinion = load_params()["opinion"]
    if opinion is None or "lab" not in opinion:
        raise PerceptionError("the shipped parameters have no lab curve: give --lab")
    return LabCurve(**opinion["lab"])


def _write_json(params: dict, out: Path) -> None:
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    try:
        tmp.write_text(json.dumps(params, indent=1) + "\n", encoding="utf-8")
        os.replace(tmp, out)
    finally:
        tmp.unlink(missing_ok=True)


def _cv_table(folds_table: pd.DataFrame, folds: int, repeats: int) -> Table:
    table = Table(
        title=f"Spearman with the video experience on held-out lines, {folds} folds x {repeats}"
    )
    for name in ("", "mean", "std", "min", "max"):
        table.add_column(name, justify="right" if name else "left")
    for label, column in (("perception score", "score_rho"), ("download speed", "download_rho")):
        stats = folds_table[column].agg(["mean", "std", "min", "max"])
        table.add_row(label, *(f"{v:.4f}" for v in stats))
    return table


def register(app: typer.Typer) -> None:
    """Add ``perception`` and ``fit-perception`` to the ``broadband`` group."""
    app.command("perception")(perception)
    app.command("fit-perception")(fit_perception)
