"""The broadband read API: the loaded days' figures, their trend, poor lines and one line.

What the console's broadband page draws; the figures come from the day results loaded
into the store (:mod:`telcolens.broadband.results`). Every route is the broadband
engineers' (and admin's). The work orders are in :mod:`telcolens.broadband.api`.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query, status
from pydantic import BaseModel, Field

from telcolens.api.deps import SessionDep, StoreRoute, allow
from telcolens.api.paging import Paged, paginate
from telcolens.api.params import INT64_MAX, NO_NUL, IsoDate, Page, PageSize
from telcolens.broadband import results
from telcolens.broadband.models import LineDay, ScoredDay

ENGINEERS = ("broadband_engineer",)
router = APIRouter(
    prefix="/api/broadband",
    tags=["broadband"],
    dependencies=[allow(*ENGINEERS)],
    route_class=StoreRoute,
)


def _share(poor: int, lines: int) -> float | None:
    return poor / lines if lines else None


class Figures(BaseModel):
    lines: int = Field(description="Lines scored.")
    poor: int = Field(description="Of them, poor (score below the fitted threshold).")
    share: float | None = Field(description="poor / lines; null when no line was scored.")
    median_score: float | None = Field(description="Median perception score, 0-100.")


class CityFigures(Figures):
    city: str | None = Field(description="Prefecture-level city; null for unknown lines.")


class BroadbandSummary(Figures):
    day: dt.date | None = Field(description="The newest loaded day; null before any load.")
    cities: list[CityFigures] = Field(description="The day per city, most lines first.")


class BroadbandTrendDay(Figures):
    day: dt.date


class PoorLineRow(BaseModel):
    line_id: int
    day: dt.date
    city: str | None
    splitter_id: str | None
    score: float = Field(description="Perception score, 0-100 (higher is better).")
    opinion: float = Field(description="The score on the 1-5 opinion scale.")
    reasons: str = Field(description="The measures that cost the line the most.")


class PoorLinePage(Paged[PoorLineRow]):
    """A page of one day's poor lines, worst first."""

    day: dt.date | None = Field(description="The day listed; null before any load.")


class LineDayRow(BaseModel):
    day: dt.date
    score: float
    opinion: float
    poor: bool
    reasons: str
    measures: dict[str, float | None] = Field(description="The line's measures that day.")


class LineHistory(BaseModel):
    line_id: int
    city: str | None = Field(description="As of its newest loaded day.")
    splitter_id: str | None
    days: list[LineDayRow] = Field(description="Its loaded days, oldest first.")


def _figures(lines: int, poor: int, median: float | None) -> dict[str, Any]:
    return {"lines": lines, "poor": poor, "share": _share(poor, lines), "median_score": median}


def _day_figures(d: ScoredDay) -> dict[str, Any]:
    return _figures(d.lines, d.poor, d.median_score)


@router.get("/summary", response_model=BroadbandSummary)
def summary(session: SessionDep) -> dict[str, Any]:
    """The newest loaded day: lines scored, poor lines, their share, median score, per city."""
    newest = results.latest_day(session)
    if newest is None:
        return {"day": None, **_figures(0, 0, None), "cities": []}
    cities = [
        {"city": c["city"], **_figures(c["lines"], c["poor"], c["median_score"])}
        for c in newest.cities
    ]
    return {"day": newest.day, **_day_figures(newest), "cities": cities}


@router.get("/trend", response_model=list[BroadbandTrendDay])
def trend(
    session: SessionDep,
    days: Annotated[int, Query(ge=1, le=366, description="The newest loaded days.")] = 30,
) -> list[dict[str, Any]]:
    """Per loaded day, oldest first: lines scored, poor lines, their share, median score."""
    return [{"day": d.day, **_day_figures(d)} for d in results.trend(session, days)]


@router.get("/poor-lines", response_model=PoorLinePage)
def poor_lines(
    session: SessionDep,
    day: Annotated[IsoDate | None, Query(description="Default: the newest loaded day.")] = None,
    city: Annotated[str | None, Query(min_length=1, max_length=64, pattern=NO_NUL)] = None,
    line: Annotated[int | None, Query(ge=0, le=INT64_MAX, description="One line.")] = None,
    page: Page = 1,
    page_size: PageSize = 50,
) -> dict[str, Any]:
    """One day's poor lines, worst score first, filtered by city or line."""
    q = results.poor_lines_query(session, day=day, city=city, line=line)
    if q is None:
        return {"day": None, "total": 0, "page": page, "page_size": page_size, "items": []}
    total, rows = paginate(session, q, page, page_size)
    fields = PoorLineRow.model_fields
    items = [PoorLineRow(**{k: getattr(r, k) for k in fields}) for r in rows.scalars()]
    shown = day or results.latest_day(session).day  # type: ignore[union-attr]
    return {"day": shown, "total": total, "page": page, "page_size": page_size, "items": items}


@router.get("/lines/{line_id}", response_model=LineHistory)
def line(
    session: SessionDep,
    line_id: Annotated[int, Path(ge=0, le=INT64_MAX, description="A line (access account) id.")],
) -> dict[str, Any]:
    """One line's perception scores over the loaded days, with its measures."""
    days: list[LineDay] = results.line_history(session, line_id)
    if not days:
        raise HTTPException(status.HTTP_404_NOT_FOUND, f"line {line_id} has no scored day")
    newest = days[-1]
    return {
        "line_id": line_id,
        "city": newest.city,
        "splitter_id": newest.splitter_id,
        "days": [{k: getattr(d, k) for k in LineDayRow.model_fields} for d in days],
    }


class ScenarioRow(BaseModel):
    scenario: str = Field(description="The diagnosed scenario (telcolens.broadband.models).")
    side: str = Field(description="Where its cause lies: home, street or network.")
    line_orders: int = Field(description="Active work orders on single lines.")
    tickets: int = Field(description="Active shared-cause tickets on elements.")
    ticket_lines: int = Field(description="The lines those tickets stand for.")


@router.get("/scenarios", response_model=list[ScenarioRow])
def scenarios(session: SessionDep) -> list[dict[str, Any]]:
    """The active work orders per scenario: the scenario breakdown, most orders first."""
    return results.scenario_breakdown(session)


class ProofOut(BaseModel):
    scenario: str = Field(description="Diagnosed before the repair; not_diagnosed if none.")
    action: str = Field(description="What the repair did.")
    repairs: int
    lines: int = Field(description="Repaired lines judged (an element's repair: its lines).")
    score_before: float = Field(description="Mean perception score, the week before.")
    score_after: float = Field(description="Mean perception score, the week after.")
    poor_before: int = Field(description="Lines poor on some day of the week before.")
    recovered: float | None = Field(description="Of those, the share with no poor day after.")
    complaints_before: float = Field(description="Complaints per 100 lines per week, before.")
    complaints_after: float = Field(description="Complaints per 100 lines per week, after.")
    closed_as_fixed: int = Field(description="Lines whose ticket was closed as fixed.")
    fixed_still_poor: int = Field(description="Of those, still poor in the week after.")
    first_repair_day: dt.date
    last_repair_day: dt.date
    window_days: int = Field(description="Days judged on each side of the repair day.")


@router.get("/proof", response_model=list[ProofOut])
def proof(session: SessionDep) -> list[dict[str, Any]]:
    """Did the repairs work: the stored before/after per scenario and action."""
    return [
        {k: getattr(r, k) for k in ProofOut.model_fields} for r in results.stored_proof(session)
    ]
