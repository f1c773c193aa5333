"""The broadband line scores: gateway samples -> line-day measures -> perception score.

One Ibis expression from ``broadband_kpi`` to one row per (line, day) with the line's
measures, the perception score (``perception.score_expr``, fitted on the Ofcom panel),
its 1-5 opinion view, ``poor`` and the measures that pull it down; DuckDB and Spark run
the same expression.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

from telcolens.broadband.line_days import line_days
from telcolens.broadband.measures import MEASURES
from telcolens.broadband.perception import score_expr

SCORE_COLUMNS = ("line_id", "day", *MEASURES, "score", "opinion", "poor", "reasons")


def line_scores(
    kpi: ir.Table, params: Mapping[str, Any] | None = None, *, days: list[dt.date] | None = None
) -> ir.Table:
    """One row per (line, day) of ``kpi``: the measures and the perception score.

    ``days`` keeps only the samples of those days (all of ``kpi``'s when None).
    """
    if days is not None:
        day = kpi.sample_time.date()
        kpi = kpi.filter(day.isin([ibis.literal(d) for d in days]))
    scored = score_expr(line_days(kpi), params)
    return scored.select(*SCORE_COLUMNS)
