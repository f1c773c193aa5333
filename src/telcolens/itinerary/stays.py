"""Stays per city from the network's sightings, as one Ibis expression for both engines.

A *sighting* is any record that places a phone in a cell at an instant: a location event
(attach, periodic update, handover), or the serving cell of a call, SMS or data session.
Each subscriber's sightings, ordered by time and labelled with their cell's city, become
*stays*:

1. **Runs.** Consecutive sightings in the same city form a run (gaps and islands: a new
   run starts wherever the city differs from the previous sighting's).
2. **Ping-pong.** A phone near a city border flips between cells of both cities while
   its owner sits still. A run in city B whose neighbours on both sides are runs in one
   other city A, with the A sighting before it and the A sighting after it no more than
   ``pingpong_minutes`` apart (A-B-A within minutes), is a blip. In a flurry A B A B A
   every inner run is a blip of the other city, so the whole flurry takes the city of
   the run before it, where the phone was settled. Runs of one city left adjacent are
   then merged.
3. **Bounds.** A stay starts at its own first sighting and ends at the next run's first
   sighting (trackintel's sliding staypoints do the same), or at its own last when no
   run follows. A phone entering another city registers there at once (a tracking-area
   update), so the next city's first sighting is when the phone left. Where that
   update is lost, the stay stretches to the next sighting; ``boundary="midpoint"``
   instead puts both bounds halfway between neighbouring runs' sightings.
4. **Window.** Stays are clipped to the window's days; a city is *visited* when its
   longest stay (or, with ``cumulative``, its stays added up) lasts at least
   ``min_stay_hours``. Its first and last day are those of its stays in the window.

How the defaults were chosen is in docs/itinerary.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Literal

import ibis
import ibis.expr.types as ir

from telcolens.errors import BadInput

# The record tables a sighting can come from; cells and location_events are enough.
SIGHTING_TABLES = ("location_events", "voice", "sms", "data_sessions")
Boundary = Literal["midpoint", "first_outside"]


@dataclass(frozen=True)
class StaySettings:
    """The card's rules. Defaults: the national service's (4 h, 14 days, a day's lag)."""

    min_stay_hours: float = 4.0
    window_days: int = 14
    lag_days: int = 1
    cumulative: bool = False  # add up a city's stays instead of asking one to be long
    # Chosen by cross-validation over generated provinces (docs/itinerary.md).
    pingpong_minutes: float = 90.0
    boundary: Boundary = "first_outside"

    def __post_init__(self) -> None:
        if not self.min_stay_hours > 0:
            raise BadInput(f"min_stay_hours must be > 0 (got {self.min_stay_hours})")
        if self.window_days < 1:
            raise BadInput(f"window_days must be >= 1 (got {self.window_days})")
        if self.lag_days < 0:
            raise BadInput(f"lag_days must be >= 0 (got {self.lag_days})")
        if self.pingpong_minutes < 0:
            raise BadInput(f"pingpong_minutes must be >= 0 (got {self.pingpong_minutes})")
        if self.boundary not in ("midpoint", "first_outside"):
            raise BadInput(f"boundary must be midpoint or first_outside (got {self.boundary!r})")

    def window(self, as_of: dt.date) -> tuple[dt.date, dt.date]:
        """First and last day (both included) of the window answered on ``as_of``."""
        end = as_of - dt.timedelta(days=self.lag_days)
        return end - dt.timedelta(days=self.window_days - 1), end


DEFAULTS = StaySettings()


def sightings(t: dict[str, ir.Table], present: tuple[str, ...] = SIGHTING_TABLES) -> ir.Table:
    """(subscriber_id, seen_at, cell_id) from each record table in ``present``.

    Only tables with records are read (an absent one would be an in-memory stand-in,
    which Spark handles badly); ``location_events`` must be among them.
    """
    if "location_events" not in present:
        raise BadInput("stays need the location_events table")
    picks = {
        "location_events": ("subscriber_id", "event_time"),
        "data_sessions": ("subscriber_id", "start_time"),
    }
    parts = []
    for name in present:
        table = t[name]
        if name == "voice":
            who = ibis.ifelse(table.direction == "MO", table.caller, table.callee)
            when = table.start_time
        elif name == "sms":
            who = ibis.ifelse(table.direction == "MO", table.sender, table.recipient)
            when = table.send_time
        else:
            who, when = (table[c] for c in picks[name])
        parts.append(
            table.select(
                subscriber_id=who.cast("int64"),
                seen_at=when.cast("timestamp"),
                cell_id=table.cell_id.cast("int64"),
            )
        )
    return ibis.union(*parts, distinct=False) if len(parts) > 1 else parts[0]


def located(seen: ir.Table, cells: ir.Table) -> ir.Table:
    """Sightings with their cell's city; sightings of unknown cells or subscribers dropped."""
    city = cells.select("cell_id", "city").filter(lambda c: c.city.notnull())
    out = seen.filter(seen.subscriber_id.notnull() & seen.seen_at.notnull())
    # Whole seconds: both engines then count the same (Spark's epoch has no fractions).
    out = out.inner_join(city, "cell_id").select(
        "subscriber_id", "city", seen_at=out.seen_at.truncate("s")
    )
    return out.distinct()


def _runs(seen: ir.Table, city: str = "city") -> ir.Table:
    """Gaps and islands: one row per run of consecutive same-city rows of a subscriber.

    ``seen`` has subscriber_id, ``city`` and a time range per row (first, last); a run
    keeps its city, its first row's first and its last row's last.
    """
    w = ibis.window(group_by="subscriber_id", order_by=["first", "last"])
    step = seen.mutate(prev=seen[city].lag().over(w))
    step = step.mutate(new=ibis.ifelse(step.prev.isnull() | (step.prev != step[city]), 1, 0))
    cum = ibis.window(group_by="subscriber_id", order_by=["first", "last"], rows=(None, 0))
    step = step.mutate(run=step.new.sum().over(cum))
    return step.group_by(["subscriber_id", "run"]).aggregate(
        city=step[city].arbitrary(), first=step["first"].min(), last=step["last"].max()
    )


def stays(located_sightings: ir.Table, settings: StaySettings | None = None) -> ir.Table:
    """One row per stay: subscriber_id, city, start, end (timestamps), ping-pong filtered."""
    settings = settings or DEFAULTS
    s = located_sightings
    runs = _runs(s.select("subscriber_id", "city", first=s.seen_at, last=s.seen_at))
    w = ibis.window(group_by="subscriber_id", order_by="run")
    runs = runs.mutate(
        prev_city=runs.city.lag().over(w),
        prev_last=runs["last"].lag().over(w),
        next_city=runs.city.lead().over(w),
        next_first=runs["first"].lead().over(w),
    )
    span_s = runs.next_first.epoch_seconds() - runs.prev_last.epoch_seconds()
    blip = (
        (runs.prev_city == runs.next_city)
        & (runs.prev_city != runs.city)
        & (span_s <= settings.pingpong_minutes * 60)
    )
    # In an alternation A B A B ... every inner run is a blip of the other city: the
    # whole flurry takes the city of the run before it (where the phone was settled).
    runs = runs.mutate(blip=blip.fill_null(False))
    cum = ibis.window(group_by="subscriber_id", order_by="run", rows=(None, 0))
    runs = runs.mutate(flurry=ibis.ifelse(runs.blip, 0, 1).sum().over(cum))
    anchor = ibis.window(group_by=["subscriber_id", "flurry"], order_by="run")
    runs = runs.select(
        "subscriber_id",
        "first",
        "last",
        city=ibis.ifelse(runs.blip, runs.city.first().over(anchor), runs.city),
    )
    merged = _runs(runs)
    merged = merged.mutate(
        prev_last=merged["last"].lag().over(w),
        next_first=merged["first"].lead().over(w),
    )
    if settings.boundary == "midpoint":
        start = _midpoint(merged.prev_last, merged["first"])
        end = _midpoint(merged["last"], merged.next_first)
    else:
        start = merged["first"]
        end = merged.next_first.fill_null(merged["last"])
    return merged.select("subscriber_id", "city", start=start, end=end)


def _midpoint(a: ir.TimestampValue, b: ir.TimestampValue) -> ir.TimestampValue:
    """Halfway between two instants; ``b`` itself where ``a`` is null (no neighbour)."""
    half = (b.epoch_seconds().cast("int64") - a.epoch_seconds().cast("int64")) // 2
    mid = a + (half * ibis.interval(seconds=1))
    return ibis.ifelse(a.isnull(), b, ibis.ifelse(b.isnull(), a, mid))


def clip(stay: ir.Table, first: dt.date, last: dt.date) -> ir.Table:
    """The stays overlapping days ``first`` .. ``last``, cut to them."""
    lo = ibis.literal(first).cast("timestamp")
    hi = ibis.literal(last + dt.timedelta(days=1)).cast("timestamp")
    return stay.filter((stay.end > lo) & (stay.start < hi)).mutate(
        start=ibis.greatest(stay.start, lo), end=ibis.least(stay.end, hi)
    )


def visits(stay: ir.Table, as_of: dt.date, settings: StaySettings | None = None) -> ir.Table:
    """Visited cities of the window: subscriber_id, city, first_day, last_day, hours.

    ``hours`` is the longest stay in the city (or, ``cumulative``, their sum), clipped to
    the window; only cities reaching ``min_stay_hours`` are kept.
    """
    settings = settings or DEFAULTS
    clipped = clip(stay, *settings.window(as_of))
    clipped = clipped.mutate(
        hours=(clipped.end.epoch_seconds() - clipped.start.epoch_seconds()) / 3600.0
    )
    per_city = clipped.group_by(["subscriber_id", "city"]).aggregate(
        first_day=clipped.start.date().min(),
        # A stay ending at midnight ends on the day before.
        last_day=(clipped.end - ibis.interval(seconds=1)).date().max(),
        hours=clipped.hours.sum() if settings.cumulative else clipped.hours.max(),
    )
    return per_city.filter(per_city.hours >= settings.min_stay_hours)
