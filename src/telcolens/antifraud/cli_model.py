"""``telcolens antifraud train|score|cv``: the generic per-subscriber fraud model."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import pandas as pd
import typer
from rich.table import Table

from telcolens import csvsafe
from telcolens.antifraud._cv import METRICS, cross_validate
from telcolens.antifraud._tabular import read_graph, read_table, scoring_table, training_table
from telcolens.antifraud.model import FraudModel
from telcolens.console import console, progress_bar, status

FeaturesOption = Annotated[
    Path, typer.Option(help="Per-subscriber features, .csv or .parquet.", dir_okay=False)
]
IdOption = Annotated[str, typer.Option(help="Column with the subscriber id.")]
LabelOption = Annotated[str, typer.Option(help="Column with the label: 1 fraud, 0 normal.")]
GraphOption = Annotated[
    Path | None,
    typer.Option(help="Undirected subscriber graph: columns src, dst (ids).", dir_okay=False),
]
ModelOption = Annotated[Path, typer.Option(help="Model directory.", file_okay=False)]


def _graph(path: Path | None) -> pd.DataFrame | None:
    return None if path is None else read_graph(path)


def train(
    features: FeaturesOption,
    id_column: IdOption,
    label_column: LabelOption,
    model: ModelOption,
    graph: GraphOption = None,
    min_precision: Annotated[
        float | None,
        typer.Option(min=0.0, max=1.0, help="Highest-recall threshold with this precision."),
    ] = None,
) -> None:
    """Train the fraud model on labelled subscribers (and their graph) into MODEL."""
    with status(f"Training on {features}"):
        X, y, ids = training_table(
            read_table(features),
            id_column=id_column,
            label_column=label_column,
            source=str(features),
        )
        fitted = FraudModel(min_precision=min_precision).fit(X, y, ids, _graph(graph))
        fitted.save(model)
    s = fitted.training_summary_
    console.print(
        f"Trained on {s['rows']:,} subscribers ({s['fraud']:,} fraud) into [bold]{model}[/]; "
        f"threshold {fitted.threshold_:.3f}, out-of-fold F1 {s['oof_f1']:.1%}, "
        f"precision {s['oof_precision']:.1%}, recall {s['oof_recall']:.1%}, "
        f"AUC {s['oof_auc']:.1%}"
    )


def score(
    model: ModelOption,
    features: FeaturesOption,
    out: Annotated[Path, typer.Option(help="CSV of scores to write.", dir_okay=False)],
    graph: GraphOption = None,
) -> None:
    """Score subscribers with a trained model: id, score, flagged, reasons."""
    with status(f"Scoring {features}"):
        fitted = FraudModel.load(model)
        X, ids = scoring_table(
            read_table(features),
            id_column=fitted.id_name_,
            feature_names=fitted.feature_names_,
            label_column=None,
            source=str(features),
        )
        scores = fitted.score(X, ids, _graph(graph))
    out.parent.mkdir(parents=True, exist_ok=True)
    csvsafe.write_frame(scores, out)
    console.print(
        f"Scored {len(scores):,} subscribers, flagged {int(scores.flagged.sum()):,}; "
        f"wrote [bold]{out}[/]"
    )


def cv(
    features: FeaturesOption,
    id_column: IdOption,
    label_column: LabelOption,
    graph: GraphOption = None,
    folds: Annotated[int, typer.Option(min=2, help="Stratified folds.")] = 5,
    seed: Annotated[int, typer.Option(help="Seed for the folds and the model.")] = 0,
) -> None:
    """Cross-validate the whole pipeline; per-fold and mean±sd F1, AUC, precision, recall."""
    started = time.perf_counter()
    X, y, ids = training_table(
        read_table(features),
        id_column=id_column,
        label_column=label_column,
        source=str(features),
    )
    edges = _graph(graph)
    with progress_bar() as bar:
        task = bar.add_task(f"{folds}-fold CV", total=folds)
        results = cross_validate(
            X,
            y,
            ids,
            edges,
            folds=folds,
            seed=seed,
            on_fold=lambda _: bar.advance(task),
        )
    console.print(_table(results, graph is not None))
    console.print(f"{len(y):,} subscribers, seed {seed}, {time.perf_counter() - started:.1f} s")


def _table(results: pd.DataFrame, with_graph: bool) -> Table:
    title = "Fraud model, cross-validated " + ("with the graph" if with_graph else "without graph")
    table = Table(title=title)
    table.add_column("fold")
    for name in (*METRICS, "threshold"):
        table.add_column({"f1": "F1", "auc": "AUC"}.get(name, name.capitalize()), justify="right")
    for row in results.itertuples():
        table.add_row(
            str(row.fold),
            *(f"{100 * getattr(row, m):.2f}" for m in METRICS),
            f"{row.threshold:.3f}",
        )
    mean, sd = results.mean(), results.std(ddof=1)
    table.add_row(
        "mean ± sd",
        *(f"{100 * mean[m]:.2f} ± {100 * sd[m]:.2f}" for m in METRICS),
        f"{mean['threshold']:.3f}",
        style="bold",
    )
    return table


def register(group: typer.Typer) -> None:
    """Add the model commands to the ``antifraud`` group."""
    group.command("train")(train)
    group.command("score")(score)
    group.command("cv")(cv)
