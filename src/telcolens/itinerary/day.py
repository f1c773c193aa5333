"""The itinerary steps of ``telcolens daily`` and ``telcolens demo``.

A day's run builds the card's index for its as-of day (the 14 days ending the day
before) into its own folder: ``RUNS/<D>/itinerary/visits.sqlite`` and ``stays.parquet``.
Point the API at the newest one with ``TELCOLENS_ITINERARY_INDEX``. Records past their
retention go with ``telcolens daily --purge`` (the default) or ``itinerary purge``.
The demo builds the index for the day after its last records and serves it.
"""

from __future__ import annotations

import datetime as dt

from telcolens.capabilities import DayContext, DemoContext, DemoResult
from telcolens.engine import NoData
from telcolens.errors import BadInput
from telcolens.itinerary.build import Built, build
from telcolens.itinerary.stays import DEFAULTS, StaySettings

# ``telcolens daily --with itinerary.KEY=VALUE``.
OPTIONS = {
    "min_stay_hours": "hours a stay must last for its city to be listed (4)",
    "window_days": "days the card covers (14)",
    "cumulative": "true: add up a city's stays (false)",
}


def _settings(options: dict[str, str]) -> StaySettings:
    unknown = sorted(set(options) - set(OPTIONS))
    if unknown:
        raise BadInput(
            f"itinerary has no day option {', '.join(unknown)}; "
            f"choose from {', '.join(f'{k} ({v})' for k, v in OPTIONS.items())}"
        )
    try:
        return StaySettings(
            min_stay_hours=float(options.get("min_stay_hours", DEFAULTS.min_stay_hours)),
            window_days=int(options.get("window_days", DEFAULTS.window_days)),
            cumulative=options.get("cumulative", "false").lower() in ("1", "true", "yes"),
        )
    except ValueError as e:
        raise BadInput(f"itinerary day option: {e}") from None


def run_day_step(ctx: DayContext) -> DemoResult:
    built = build(
        ctx.data_dir,
        ctx.as_of,
        ctx.out_dir,
        settings=_settings(ctx.options),
        con=ctx.con,
        progress=ctx.progress,
    )
    return _result(built)


def run_demo(ctx: DemoContext) -> DemoResult:
    loc = ctx.tables["location_events"]
    last = ctx.con.execute(loc.event_time.max())
    if last is None or last != last:
        raise NoData("the demo province has no location records")
    as_of = (last.date() if hasattr(last, "date") else last) + dt.timedelta(days=1)
    built = build(ctx.data_dir, as_of, ctx.out_dir / "itinerary", con=ctx.con)
    return _result(built, serve_env={"TELCOLENS_ITINERARY_INDEX": str(built.index.parent)})


def _result(built: Built, serve_env: dict[str, str] | None = None) -> DemoResult:
    w = built.window
    top = ", ".join(f"{c} {n:,}" for c, n in sorted(built.cities.items(), key=lambda x: -x[1])[:3])
    summary = [
        ("window", f"{w.start} .. {w.end} (as of {w.as_of})"),
        ("subscribers with a visited city", f"{built.subscribers:,}"),
        ("visited cities listed", f"{built.visits:,} ({built.stays:,} stays)"),
        ("most visited", top or "-"),
    ]
    return DemoResult(
        summary=summary,
        outputs=[built.index, built.index.parent / "stays.parquet"],
        serve_env=serve_env or {},
    )


__all__ = ["run_day_step", "run_demo"]
