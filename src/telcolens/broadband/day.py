"""The broadband steps of ``telcolens daily`` and ``telcolens demo``.

A day's run scores each line on the gateway samples of the day before ``as_of``
(``line_scores.parquet``) and diagnoses the poor lines of the week before it
(``diagnoses.parquet``, ``tickets.parquet``: one row per poor line, one ticket per shared
cause); its ``load`` puts the line days into the store and opens or refreshes a work order
per diagnosis (``queue``). The demo scores and diagnoses every day of the province at once,
opens the work orders of its last week and writes the **proof** (``proof.parquet``: the
before/after score and complaint rate of each scenario's repairs), which the console's
before/after chart reads. The proof needs a week on each side of a repair, so a day run
does not redo it: ``telcolens broadband proof`` does, over any period.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis.expr.types as ir
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcolens import engine as engines
from telcolens.broadband import grouping
from telcolens.broadband.diagnose import (
    SIDES,
    diagnose,
    diagnoses_of,
    flagged,
    window_days,
)
from telcolens.broadband.perception import load_params
from telcolens.broadband.pipeline import line_scores
from telcolens.broadband.proof import WINDOW_DAYS, proof_of
from telcolens.broadband.queue import DIAGNOSES_FILE, TICKETS_FILE, load_diagnosis_files
from telcolens.broadband.results import load_proof_file, load_scores_file
from telcolens.capabilities import DayContext, DemoContext, DemoResult
from telcolens.errors import BadInput

SCORES_FILE = "line_scores.parquet"
PROOF_FILE = "proof.parquet"
DIAGNOSIS_DAYS = 7  # the week of samples a day's diagnosis reads
# ``telcolens daily --with broadband.KEY=VALUE``.
OPTIONS = {"params": "perception parameters JSON from `telcolens broadband fit-perception`"}


def run_day_step(ctx: DayContext) -> DemoResult:
    unknown = sorted(set(ctx.options) - set(OPTIONS))
    if unknown:
        raise BadInput(
            f"broadband has no day option {', '.join(unknown)}; "
            f"choose from {', '.join(f'{k} ({v})' for k, v in OPTIONS.items())}"
        )
    params = load_params(ctx.options.get("params"))
    t = engines.tables(ctx.con, ctx.data_dir, require=("broadband_kpi", "broadband_lines"))
    kpi = engines.in_window(t, ctx.as_of, 1)["broadband_kpi"]
    out = engines.write_parquet(ctx.con, line_scores(kpi, params), ctx.out_dir / SCORES_FILE)
    week = window_days(ctx.as_of, DIAGNOSIS_DAYS)
    result = diagnose(t["broadband_kpi"], t["broadband_lines"], week, params=params)
    with flagged(result.line_days).cache() as poor:
        found = _write_found(ctx.con, poor, ctx.out_dir)
    return _result(out, found, None, ctx.data_dir, ctx.out_dir)


def run_demo(ctx: DemoContext) -> DemoResult:
    t = ctx.tables
    folder = ctx.out_dir / "broadband"  # the demo's results folder holds every capability's
    folder.mkdir(parents=True, exist_ok=True)
    out = engines.write_parquet(ctx.con, line_scores(t["broadband_kpi"]), folder / SCORES_FILE)
    scored = pq.read_table(out, columns=["day"])
    days = sorted(set(pc.unique(scored["day"]).to_pylist()))
    if not days:
        return _result(out, None, None, ctx.data_dir, folder)
    # One diagnosis of every day: the proof judges each repair on the diagnosis before it.
    every = [days[0] + dt.timedelta(days=k) for k in range((days[-1] - days[0]).days + 1)]
    result = diagnose(t["broadband_kpi"], t["broadband_lines"], every)
    with result.line_days.cache() as diagnosed:
        # The work-order queue: the diagnoses of the last week, as a day run leaves it.
        poor = flagged(diagnosed)
        found = _write_found(
            ctx.con,
            poor.filter(poor.day > every[-1] - dt.timedelta(days=DIAGNOSIS_DAYS)),
            folder,
        )
        repairs = [t[k] for k in ("broadband_repairs", "broadband_lines", "broadband_complaints")]
        proof = proof_of(diagnosed, *repairs)
        proved = engines.write_parquet(ctx.con, proof, folder / PROOF_FILE)
    return _result(out, found, proved, ctx.data_dir, folder)


def _write_found(con, poor: ir.Table, folder: Path) -> tuple[Path, Path]:
    """The diagnoses and the tickets of the flagged line-days ``poor``."""
    return (
        engines.write_parquet(con, diagnoses_of(poor), folder / DIAGNOSES_FILE),
        engines.write_parquet(con, grouping.tickets(poor, SIDES), folder / TICKETS_FILE),
    )


def _result(
    scores: Path,
    found: tuple[Path, Path] | None,
    proved: Path | None,
    data_dir: Path,
    out_dir: Path,
) -> DemoResult:
    summary = _score_summary(scores)
    outputs = [scores]
    if found is not None:
        diagnoses = pq.read_table(found[0], columns=["line_id", "ticket_element"])
        tickets = pq.read_metadata(found[1]).num_rows
        alone = diagnoses.num_rows - diagnoses["ticket_element"].null_count
        summary.append(
            ("poor lines diagnosed", f"{diagnoses.num_rows:,} ({alone:,} under a shared cause)")
        )
        summary.append(("shared-cause tickets", f"{tickets:,}"))
        outputs += list(found)
    if proved is not None:
        summary.append(_proof_summary(proved))
        outputs.append(proved)

    def load(session, actor):
        loaded = {"line_days": load_scores_file(session, scores, data_dir, actor)}
        if found is not None:
            loaded["work_orders"] = load_diagnosis_files(session, out_dir, actor)
        if proved is not None:
            loaded["proof"] = load_proof_file(session, proved, WINDOW_DAYS, actor)
        return loaded

    return DemoResult(summary=summary, outputs=outputs, load=load)


def _score_summary(out: Path) -> list[tuple[str, str]]:
    scores = pq.read_table(out, columns=["line_id", "day", "score", "poor"])
    days = pc.count_distinct(scores["day"]).as_py()
    poor = pc.sum(scores["poor"]).as_py() or 0
    median = pc.approximate_median(scores["score"]).as_py() if scores.num_rows else None
    return [
        ("line-days scored", f"{scores.num_rows:,} ({days} day{'s' if days != 1 else ''})"),
        ("poor line-days", f"{poor:,} ({poor / max(scores.num_rows, 1):.1%})"),
        ("median perception score", "-" if median is None else f"{median:.1f}"),
    ]


def _proof_summary(path: Path) -> tuple[str, str]:
    p = pq.read_table(path, columns=["lines", "poor_before", "recovered", "fixed_still_poor"])
    lines = pc.sum(p["lines"]).as_py() or 0
    poor = pc.sum(p["poor_before"]).as_py() or 0
    still = pc.sum(p["fixed_still_poor"]).as_py() or 0
    return (
        "repairs judged (lines)",
        f"{lines:,}; {poor:,} poor before; {still:,} closed as fixed but still poor after",
    )
