"""The itinerary steps of ``telcolens daily`` and ``telcolens demo``.

A day's run builds the card's index for its as-of day (the 14 days ending the day
before) into its own folder: ``RUNS/<D>/itinerary/visits.sqlite`` and ``stays.parquet``.
Point the API at the newest one with ``TELCOLENS_ITINERARY_INDEX``. Records past their
retention go with ``telcolens daily --purge`` (the default) or ``itinerary purge``.
The demo builds the index for the day after its last records, serves it, and answers
one subscriber's SMS keyword through a real SMSC on loopback (:mod:`.loopback`).
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pyarrow.parquet as pq

from telcolens.capabilities import DayContext, DemoContext, DemoResult
from telcolens.dataset import TRUTH_DIR
from telcolens.engine import NoData
from telcolens.errors import BadInput
from telcolens.itinerary import loopback
from telcolens.itinerary.build import Built, build
from telcolens.itinerary.index import INDEX_FILE
from telcolens.itinerary.stays import DEFAULTS, StaySettings
from telcolens.privacy import mask

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
    folder = ctx.out_dir / "itinerary"
    built = build(ctx.data_dir, as_of, folder, con=ctx.con)
    result = _result(built, serve_env={"TELCOLENS_ITINERARY_INDEX": str(folder.resolve())})
    result.summary.append(("SMS round trip", _sms_round_trip(ctx.data_dir, folder)))
    return result


def _sms_round_trip(data_dir: Path, folder: Path) -> str:
    """One query by SMS end to end: a traveller texts the keyword through a real SMSC.

    The sender is a number the index lists two or more cities for; its raw digits come
    from the synthetic province's numbers (``truth/numbers.parquet``), as a subscriber
    knows their own number. Everything else is what production runs.
    """
    if not loopback.available():
        return "skipped: perl's Net::SMPP is missing (apt-get install libnet-smpp-perl)"
    with sqlite3.connect(f"file:{folder / INDEX_FILE}?mode=ro", uri=True) as con:
        travellers = [r[0] for r in con.execute(
            "SELECT subscriber_id FROM visits GROUP BY subscriber_id HAVING COUNT(*) >= 2 "
            "ORDER BY subscriber_id LIMIT 200"
        )]  # fmt: skip
    numbers = pq.read_table(data_dir / TRUTH_DIR / "numbers.parquet").to_pandas()
    numbers = numbers[numbers.subscriber_id.isin(travellers)]
    if numbers.empty:
        return "skipped: no subscriber with two cities"
    trip = loopback.round_trip(folder, str(numbers.number.iloc[0]), folder / "sms")
    return (
        f"{mask(trip.number)} texted {trip.keyword}; answered in {trip.parts} part(s), "
        f"{trip.seconds:.1f} s: {trip.answer}"
    )


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
