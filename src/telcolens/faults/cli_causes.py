"""``telcolens faults causes|evaluate-causes``: learn alarm causes and score them."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from telcolens import csvsafe
from telcolens.console import console, progress_bar
from telcolens.faults._input import (
    ALARM_COLUMNS,
    EDGE_COLUMNS,
    FaultInputError,
    check_topology,
    read_square,
    read_table,
)
from telcolens.faults.causes import CauseLearner
from telcolens.faults.evaluate import score_edges


def causes(
    alarms: Annotated[
        Path,
        typer.Option(
            dir_okay=False,
            help="Alarm history CSV: alarm_id (type), device_id, start_timestamp (seconds).",
        ),
    ],
    out: Annotated[Path, typer.Option(dir_okay=False, help="CSV of edges to write.")],
    topology: Annotated[
        Path | None,
        typer.Option(dir_okay=False, help="N x N 0/1 device adjacency, .npy."),
    ] = None,
) -> None:
    """Learn the causal graph over alarm types and write its edges: cause, effect, strength."""
    started = time.perf_counter()
    table = read_table(alarms, ALARM_COLUMNS)
    links = None
    if topology is not None:
        links = read_square(topology, "topology")
        check_topology(links, topology, table, alarms)
    with progress_bar() as bar:
        task = bar.add_task(f"Learning causes from {len(table):,} alarms", total=None)
        learner = CauseLearner().fit(
            table, links, on_step=lambda done, total: bar.update(task, completed=done, total=total)
        )
    out.parent.mkdir(parents=True, exist_ok=True)
    csvsafe.write_frame(learner.edges_, out)
    console.print(
        f"Learned {len(learner.edges_)} cause -> effect edges among {learner.n_types_} alarm "
        f"types (kernel decay {learner.decay_:g}/s) in {time.perf_counter() - started:.1f} s; "
        f"wrote [bold]{out}[/]"
    )


def evaluate_causes(
    causes: Annotated[Path, typer.Option(dir_okay=False, help="Edges CSV: cause, effect.")],
    dag: Annotated[
        Path, typer.Option(dir_okay=False, help="True graph, .npy; [i, j] = 1 means i causes j.")
    ],
) -> None:
    """Precision, recall, F1 and g-score of learned edges against a true graph."""
    edges = read_table(causes, EDGE_COLUMNS)
    truth = read_square(dag, "DAG")
    try:
        scores = score_edges(edges, truth)
    except FaultInputError as exc:  # types outside the DAG: say which files disagree
        raise FaultInputError(f"{causes}: {exc} (the DAG {dag} has {len(truth)} types)") from None
    table = Table(title=f"{causes} against {dag} (directed edges, self-loops left out)")
    for name in ("precision", "recall", "F1", "g-score", "TP", "FP", "FN"):
        table.add_column(name, justify="right")
    table.add_row(
        f"{scores.precision:.4f}",
        f"{scores.recall:.4f}",
        f"{scores.f1:.4f}",
        f"{scores.g_score:.4f}",
        str(scores.true_positives),
        str(scores.false_positives),
        str(scores.false_negatives),
    )
    console.print(table)


def register(group: typer.Typer) -> None:
    group.command("causes")(causes)
    group.command("evaluate-causes")(evaluate_causes)
