"""The broadband day results in the store: loading a day's line scores, and reading them.

A day's run writes ``line_scores.parquet`` (one row per line and day); loading it puts
each line day into ``broadband_line_days`` with the line's city and splitter from
``broadband_lines``, and the day's figures (lines, poor lines, median score, per city)
into ``broadband_scored_days``. Loading is by day: every day in the file replaces that
day's rows and no other, so running a day again and loading it leaves one copy.
The queries below are what the console's API (``read_api``) reads.
"""

from __future__ import annotations

import datetime as dt
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy import Select, delete, func, insert, select
from sqlalchemy.orm import Session

from telcolens.broadband.measures import MEASURES
from telcolens.broadband.models import (
    ACTIVE_STATES,
    LineDay,
    ProofRow,
    ScoredDay,
    TicketLine,
    WorkOrder,
)
from telcolens.dataset import read_table
from telcolens.errors import BadInput
from telcolens.store.audit import record

# Rows per INSERT: SQLite allows 32,766 bound values, and a row binds 9.
CHUNK = 2000
LOCATION = ("line_id", "city", "splitter_id")
REQUIRED = ("line_id", "day", "score", "opinion", "poor", "reasons")


@dataclass
class LineDaysLoad:
    """What a load did: the days replaced, rows written, rows of those days removed first."""

    days: list[dt.date] = field(default_factory=list)
    rows: int = 0
    replaced: int = 0
    poor: int = 0


def _number(value: Any) -> float | None:
    """A float for the store, None for a missing one (PostgreSQL's JSON refuses NaN)."""
    if value is None or pd.isna(value):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _text(value: Any) -> str | None:
    return None if value is None or pd.isna(value) else str(value)


def line_day_rows(scores: pd.DataFrame, lines: pd.DataFrame | None = None) -> list[dict[str, Any]]:
    """The store rows of ``scores`` (a day run's line scores), located by ``lines``."""
    missing = [c for c in REQUIRED if c not in scores.columns]
    if missing:
        raise BadInput(f"line scores lack column(s) {', '.join(missing)}")
    if scores.duplicated(["line_id", "day"]).any():
        raise BadInput("line scores hold a line twice on one day")
    if scores["score"].isna().any():
        raise BadInput("line scores hold a line day without a score")
    where = (
        lines[list(LOCATION)].drop_duplicates("line_id")
        if lines is not None and len(lines)
        else pd.DataFrame({c: pd.Series(dtype="object") for c in LOCATION})
    )
    frame = scores.merge(where.astype({"line_id": scores["line_id"].dtype}), "left", "line_id")
    measures = [m for m in MEASURES if m in frame.columns]
    rows = []
    for r in frame.to_dict("records"):
        rows.append(
            {
                "day": pd.Timestamp(r["day"]).date(),
                "line_id": int(r["line_id"]),
                "city": _text(r.get("city")),
                "splitter_id": _text(r.get("splitter_id")),
                "score": float(r["score"]),
                "opinion": float(r["opinion"]),
                "poor": bool(r["poor"]),
                "reasons": _text(r.get("reasons")) or "",
                "measures": {m: _number(r[m]) for m in measures},
            }
        )
    return rows


def _figures(frame: pd.DataFrame) -> dict[str, Any]:
    median = frame["score"].median()
    return {
        "lines": len(frame),
        "poor": int(frame["poor"].sum()),
        "median_score": None if pd.isna(median) else float(median),
    }


def day_figures(rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Each day's figures over ``rows``: lines, poor, median score, and per city."""
    frame = pd.DataFrame(rows, columns=["day", "city", "score", "poor"])
    out = []
    for day, of_day in frame.groupby("day", sort=True):
        cities = [
            {"city": None if pd.isna(city) else city, **_figures(of_city)}
            for city, of_city in of_day.groupby("city", dropna=False, sort=True)
        ]
        cities.sort(key=lambda c: (-c["lines"], c["city"] or ""))
        out.append({"day": day, **_figures(of_day), "cities": cities})
    return out


def load_line_days(
    session: Session, scores: pd.DataFrame, lines: pd.DataFrame | None, actor: str
) -> LineDaysLoad:
    """Replace the store's rows of every day in ``scores`` by ``scores``' rows.

    ``scores`` has the day run's columns (``line_id``, ``day``, the measures, ``score``,
    ``opinion``, ``poor``, ``reasons``); ``lines`` (``broadband_lines``) gives each line its
    city and splitter. Other days are left as they are. In the caller's transaction.
    """
    rows = line_day_rows(scores, lines)
    figures = day_figures(rows)
    report = LineDaysLoad(days=[f["day"] for f in figures], rows=len(rows))
    report.poor = sum(f["poor"] for f in figures)
    for start in range(0, len(report.days), 500):
        days = report.days[start : start + 500]
        gone = session.execute(delete(LineDay).where(LineDay.day.in_(days)))
        report.replaced += gone.rowcount or 0
        session.execute(delete(ScoredDay).where(ScoredDay.day.in_(days)))
    for start in range(0, len(rows), CHUNK):
        session.execute(insert(LineDay), rows[start : start + CHUNK])
    if figures:
        session.execute(insert(ScoredDay), figures)
    record(
        session,
        actor,
        "broadband.line_days.load",
        "broadband_line_days",
        "",
        days=[d.isoformat() for d in report.days],
        rows=report.rows,
        replaced=report.replaced,
        poor=report.poor,
    )
    return report


def load_scores_file(session: Session, scores: Path, data_dir: Path, actor: str) -> LineDaysLoad:
    """:func:`load_line_days` of a run's ``line_scores.parquet``, on ``data_dir``'s lines."""
    frame = pq.read_table(scores).to_pandas()
    lines = read_table(data_dir, "broadband_lines").select(list(LOCATION)).to_pandas()
    return load_line_days(session, frame, lines, actor)


# The read side.


def latest_day(session: Session) -> ScoredDay | None:
    """The newest loaded day's figures, None before any load."""
    return session.scalars(select(ScoredDay).order_by(ScoredDay.day.desc()).limit(1)).first()


def trend(session: Session, days: int) -> list[ScoredDay]:
    """The figures of the newest ``days`` loaded days, oldest first."""
    newest = session.scalars(select(ScoredDay).order_by(ScoredDay.day.desc()).limit(days))
    return sorted(newest, key=lambda d: d.day)


def poor_lines_query(
    session: Session,
    *,
    day: dt.date | None = None,
    city: str | None = None,
    line: int | None = None,
) -> Select[Any] | None:
    """The poor line days of ``day`` (default: the newest), worst first; None before a load."""
    if day is None:
        newest = latest_day(session)
        if newest is None:
            return None
        day = newest.day
    q = select(LineDay).where(LineDay.day == day, LineDay.poor.is_(True))
    if city is not None:
        q = q.where(LineDay.city == city)
    if line is not None:
        q = q.where(LineDay.line_id == line)
    return q.order_by(LineDay.score, LineDay.line_id)


def line_history(session: Session, line_id: int) -> list[LineDay]:
    """The line's loaded days, oldest first (empty for a line never scored)."""
    q = select(LineDay).where(LineDay.line_id == line_id).order_by(LineDay.day)
    return list(session.scalars(q))


def stored_days(session: Session) -> int:
    return session.scalar(select(func.count()).select_from(ScoredDay)) or 0


def scenario_breakdown(session: Session) -> list[dict[str, Any]]:
    """The active work orders per scenario: line orders, shared-cause tickets and the lines
    the tickets stand for; most orders first."""
    n_lines = (
        select(func.count())
        .select_from(TicketLine)
        .where(TicketLine.work_order_id == WorkOrder.id)
        .scalar_subquery()
    )
    q = (
        select(
            WorkOrder.scenario,
            WorkOrder.side,
            func.count().filter(WorkOrder.line_id.is_not(None)).label("line_orders"),
            func.count().filter(WorkOrder.element.is_not(None)).label("tickets"),
            func.coalesce(func.sum(n_lines), 0).label("ticket_lines"),
        )
        .where(WorkOrder.state.in_(ACTIVE_STATES))
        .group_by(WorkOrder.scenario, WorkOrder.side)
    )
    rows = [dict(r._mapping) for r in session.execute(q)]
    return sorted(rows, key=lambda r: (-(r["line_orders"] + r["tickets"]), r["scenario"]))


PROOF_FIELDS = tuple(c.name for c in ProofRow.__table__.columns if c.name != "computed_at")


def load_proof(session: Session, proof: pd.DataFrame, window: int, actor: str) -> int:
    """Replace the stored proof by ``proof`` (:func:`telcolens.broadband.proof.proof`'s
    rows), in the caller's transaction; the number of rows."""
    missing = set(PROOF_FIELDS) - {"window_days"} - set(proof.columns)
    if missing:
        raise BadInput(f"the proof lacks column(s) {', '.join(sorted(missing))}")
    rows = []
    for r in proof.to_dict("records"):
        row = {k: r[k] for k in PROOF_FIELDS if k != "window_days"}
        row["recovered"] = _number(row["recovered"])
        for k in ("first_repair_day", "last_repair_day"):
            row[k] = pd.Timestamp(row[k]).date()
        rows.append({**row, "window_days": window})
    session.execute(delete(ProofRow))
    if rows:
        session.execute(insert(ProofRow), rows)
    record(session, actor, "broadband.proof.load", "broadband_proof", "", rows=len(rows))
    return len(rows)


def load_proof_file(session: Session, path: Path, window: int, actor: str) -> int:
    return load_proof(session, pq.read_table(path).to_pandas(), window, actor)


def stored_proof(session: Session) -> list[ProofRow]:
    """The stored proof, most lines first."""
    q = select(ProofRow).order_by(ProofRow.lines.desc(), ProofRow.scenario, ProofRow.action)
    return list(session.scalars(q))
