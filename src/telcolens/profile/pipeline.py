"""The per-subscriber usage profile, as one Ibis expression over the data model.

Every measure is defined once here and runs unchanged on DuckDB and Spark.
Counts are int64 and shares float64 computed as count / count, so both engines
produce identical numbers.
"""

from __future__ import annotations

from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from telcolens import engine as engines

# Calls shorter than this (in seconds) count as short: long enough to say "hello,
# wrong number", too short for a conversation. Issue #3's fraud rules use it too.
SHORT_CALL_S = 10
# Night is 22:00-05:59 local time.
NIGHT_START_HOUR, NIGHT_END_HOUR = 22, 6

# Tables the profile cannot do without; the others may be absent (counted as zero).
REQUIRED_TABLES = ("subscribers",)

PROFILE_COLUMNS: dict[str, str] = {
    "subscriber_id": "Pseudonym of the number.",
    "calls_out": "Calls made (MO records).",
    "calls_in": "Calls received (MT records).",
    "distinct_callees": "Distinct numbers called.",
    "short_call_share": f"Share of calls made that lasted under {SHORT_CALL_S} s "
    "(unanswered included); empty with no calls made.",
    "night_share": "Share of calls made that started 22:00-05:59; empty with no calls made.",
    "mean_call_duration_s": "Mean duration of calls made, unanswered included (0 s); "
    "empty with no calls made.",
    "sms_out": "SMS sent.",
    "sms_in": "SMS received.",
    "data_bytes": "Mobile data volume, up and down.",
    "distinct_cells": "Distinct cells the phone was seen in (any record).",
    "distinct_cities": "Distinct cities of those cells.",
    "active_days": "Days with at least one record of the subscriber.",
}


def ratio(num: ir.IntegerValue, den: ir.IntegerValue) -> ir.FloatingValue:
    """``num / den`` as float64, empty where ``den`` is 0 (shares other capabilities use too)."""
    return ibis.ifelse(den > 0, num.cast("float64") / den.cast("float64"), ibis.null("float64"))


def _calls_made(voice: ir.Table) -> ir.Table:
    mo = voice.filter(voice.direction == "MO")
    hour = mo.start_time.hour()
    night = (hour >= NIGHT_START_HOUR) | (hour < NIGHT_END_HOUR)
    return mo.group_by(subscriber_id=mo.caller).aggregate(
        calls_out=mo.count(),
        distinct_callees=mo.callee.nunique(),
        short_calls=(mo.duration_s < SHORT_CALL_S).sum().cast("int64"),
        night_calls=night.sum().cast("int64"),
        duration_total=mo.duration_s.cast("int64").sum(),
    )


def _received(records: ir.Table, party: str, name: str) -> ir.Table:
    mt = records.filter(records.direction == "MT")
    return mt.group_by(subscriber_id=mt[party]).aggregate(**{name: mt.count()})


def _sent_sms(sms: ir.Table) -> ir.Table:
    mo = sms.filter(sms.direction == "MO")
    return mo.group_by(subscriber_id=mo.sender).aggregate(sms_out=mo.count())


def _data(sessions: ir.Table) -> ir.Table:
    return sessions.group_by("subscriber_id").aggregate(
        data_bytes=(sessions.bytes_up + sessions.bytes_down).sum().cast("int64")
    )


def sightings(t: dict[str, ir.Table]) -> ir.Table:
    """Every (subscriber, time, cell) the network recorded, from all record types.

    Each record is attributed to the party it was written for: the caller for an
    MO leg, the callee for an MT leg, and likewise for SMS.
    """
    voice, sms = t["voice"], t["sms"]

    def pick(table: ir.Table, who: ir.Value, when: ir.Value) -> ir.Table:
        # Casts make the union's schemas equal whether a table came from Parquet
        # (nullable columns) or is an empty stand-in (non-nullable ones).
        return table.select(
            subscriber_id=who.cast("int64"),
            seen_at=when.cast("timestamp"),
            cell_id=table.cell_id.cast("int64"),
        )

    served_voice = ibis.ifelse(voice.direction == "MO", voice.caller, voice.callee)
    served_sms = ibis.ifelse(sms.direction == "MO", sms.sender, sms.recipient)
    data, loc = t["data_sessions"], t["location_events"]
    return ibis.union(
        pick(voice, served_voice, voice.start_time),
        pick(sms, served_sms, sms.send_time),
        pick(data, data.subscriber_id, data.start_time),
        pick(loc, loc.subscriber_id, loc.event_time),
        distinct=False,
    )


def located_sightings(t: dict[str, ir.Table]) -> ir.Table:
    """:func:`sightings` with the city of each cell and the day of each sighting."""
    seen = sightings(t)
    cells = t["cells"].select("cell_id", "city")
    return seen.left_join(cells, "cell_id").select(
        "subscriber_id", "cell_id", "city", day=seen.seen_at.date()
    )


def mobility(t: dict[str, ir.Table]) -> ir.Table:
    """Per subscriber seen: distinct cells, distinct cities, active days."""
    seen = located_sightings(t)
    return seen.group_by("subscriber_id").aggregate(
        distinct_cells=seen.cell_id.nunique(),
        distinct_cities=seen.city.nunique(),
        active_days=seen.day.nunique(),
    )


def usage_profile(t: dict[str, ir.Table]) -> ir.Table:
    """One row per subscriber of ``t["subscribers"]`` with the measures of PROFILE_COLUMNS."""
    base = t["subscribers"].select("subscriber_id").distinct()
    parts = [
        _calls_made(t["voice"]),
        _received(t["voice"], "callee", "calls_in"),
        _sent_sms(t["sms"]),
        _received(t["sms"], "recipient", "sms_in"),
        _data(t["data_sessions"]),
        mobility(t),
    ]
    joined = base
    for part in parts:
        joined = joined.left_join(part, "subscriber_id").drop("subscriber_id_right")
    zero = ibis.literal(0, "int64")
    c = joined
    return c.select(
        subscriber_id=c.subscriber_id,
        calls_out=c.calls_out.coalesce(zero),
        calls_in=c.calls_in.coalesce(zero),
        distinct_callees=c.distinct_callees.cast("int64").coalesce(zero),
        short_call_share=ratio(c.short_calls, c.calls_out),
        night_share=ratio(c.night_calls, c.calls_out),
        mean_call_duration_s=ratio(c.duration_total, c.calls_out),
        sms_out=c.sms_out.coalesce(zero),
        sms_in=c.sms_in.coalesce(zero),
        data_bytes=c.data_bytes.coalesce(zero),
        distinct_cells=c.distinct_cells.cast("int64").coalesce(zero),
        distinct_cities=c.distinct_cities.cast("int64").coalesce(zero),
        active_days=c.active_days.cast("int64").coalesce(zero),
    ).order_by("subscriber_id")


def compute_profile(data_dir: Path, out: Path, *, con: BaseBackend) -> Path:
    """Run the usage profile over ``data_dir`` on ``con`` and write it to ``out`` (Parquet)."""
    t = engines.tables(con, data_dir, require=REQUIRED_TABLES)
    return engines.write_parquet(con, usage_profile(t), out)
