"""The proof of the repairs scored against a generated province's truth.

The province knows what each repair really did (``truth/broadband_repair_truth``:
``fixed_cause``, the scenario it was for); the proof (:mod:`telcolens.broadband.proof`)
only sees the scores, complaints and repair records an operator has. On the repaired lines
that were poor the week before, a proof worth having shows the repairs that fixed their
cause recovering and the others not, whatever the ticket's "closed as fixed" says, and
names the scenario the repair was for.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
from ibis.backends import BaseBackend

from telcolens import engine as engines
from telcolens.broadband.diagnose import data_end, diagnose, window_days
from telcolens.broadband.proof import WINDOW_DAYS, proof_lines
from telcolens.errors import BadInput

TRUTH = Path("truth") / "broadband_repair_truth.parquet"


def judged_lines(
    con: BaseBackend, data_dir: Path, as_of: dt.date | None, days: int, window: int
) -> pd.DataFrame:
    """:func:`proof_lines` over the ``days`` before ``as_of``, with each repair's truth."""
    path = data_dir / TRUTH
    if not path.is_file():
        raise BadInput(f"{path} is missing: evaluate-proof needs a generated province")
    t = engines.tables(
        con,
        data_dir,
        require=("broadband_kpi", "broadband_lines", "broadband_repairs", "broadband_complaints"),
    )
    day = as_of or data_end(con, t["broadband_kpi"])
    result = diagnose(t["broadband_kpi"], t["broadband_lines"], window_days(day, days))
    per = con.execute(
        proof_lines(
            result.line_days,
            t["broadband_repairs"],
            t["broadband_lines"],
            t["broadband_complaints"],
            window=window,
        )
    )
    truth = pd.read_parquet(path, columns=["repair_id", "scenario", "fixed_cause"])
    return per.merge(truth.rename(columns={"scenario": "truth_scenario"}), on="repair_id")


def _group(frame: pd.DataFrame) -> dict[str, Any]:
    return {
        "lines": len(frame),
        "recovered": float(frame.recovered.mean()) if len(frame) else None,
        "score_change": float((frame.score_after - frame.score_before).mean())
        if len(frame)
        else None,
    }


def figures(per: pd.DataFrame) -> dict[str, Any]:
    """The figures of :func:`judged_lines`' rows (the lines poor before their repair)."""
    poor = per[per.poor_days_before > 0].assign(recovered=lambda d: d.poor_days_after == 0)
    fixed, unfixed = poor[poor.fixed_cause], poor[~poor.fixed_cause]
    closed = poor[poor.closed_as_fixed.fillna(False).astype(bool)]
    return {
        "judged_lines": len(per),
        "poor_before": len(poor),
        "cause_fixed": _group(fixed),
        "cause_not_fixed": _group(unfixed),
        "closed_as_fixed": len(closed),
        "closed_as_fixed_cause_not_fixed": int((~closed.fixed_cause).sum()),
        "closed_as_fixed_cause_not_fixed_still_poor": int(
            (~closed.fixed_cause & ~closed.recovered).sum()
        ),
        "scenario_right": float((poor.scenario == poor.truth_scenario).mean())
        if len(poor)
        else None,
    }


def evaluate_proof(
    data_dir: Path,
    *,
    con: BaseBackend | None = None,
    as_of: dt.date | None = None,
    days: int = 36,
    window: int = WINDOW_DAYS,
) -> tuple[dict[str, Any], pd.DataFrame]:
    """The figures and the judged lines of the proof over ``data_dir``'s province."""
    per = judged_lines(con or engines.connect("duckdb"), data_dir, as_of, days, window)
    return figures(per), per
