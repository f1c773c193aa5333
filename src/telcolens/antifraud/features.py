"""Per-subscriber anti-fraud features, as Ibis expressions over the data model.

One expression, :func:`fraud_features`, runs unchanged on DuckDB and Spark. The
measures come in four families, each a function returning one row per subscriber
with a ``subscriber_id`` key:

- calling behaviour (:func:`calling`, :func:`calls_received`): volume, reach, short
  and night calls, callbacks, first-time callees, burstiness;
- SMS, data and mobility (:func:`usage`);
- the account (:func:`account`): SIM age, ID-card and outlet batches, devices;
- the call graph (:func:`graph`): degree, two-hop reach, the contacts' city.

Counts are int64 and shares float64 (count / count), so both engines agree exactly.
Voice is aggregated twice, as in the hand-written SQL yardstick (benchmarks/antifraud_sql.py):
per (caller, callee) pair (:func:`call_pairs`: callbacks, distinct callees and callers, calls
received, the call graph) and per (caller, clock hour) of the calls made
(:func:`hourly_calls`, whose sums are the calls made). Expressions used twice become CTEs,
which DuckDB materialises: those are aggregates here, never raw records.
The records read are those of a window of days before the as-of date (:data:`WINDOW_DAYS`);
``telcolens.antifraud.partials`` computes the same features from per-day partial
aggregates, reusing the pieces here (:func:`callbacks`, :func:`mobility_of`,
:func:`graph_of`, :func:`assemble`).
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from telcolens import engine as engines
from telcolens.profile.pipeline import (
    NIGHT_END_HOUR,
    NIGHT_START_HOUR,
    SHORT_CALL_S,
    ratio,
    sightings,
)

# Tables the features cannot do without; the others may be absent (counted as zero).
REQUIRED_TABLES = ("subscribers", "voice")
# Two SIMs count as one batch when activated this close together (days).
BATCH_WINDOW_DAYS = 7
# A device counts SIMs seen in it within this many days before the as-of date.
RECENT_DEVICE_DAYS = 30
# The features read the records of this many days before the as-of date.
WINDOW_DAYS = 7

FEATURES: dict[str, str] = {
    "calls_out": "Calls made.",
    "calls_in": "Calls received.",
    "distinct_callees": "Distinct numbers called.",
    "distinct_callers": "Distinct numbers that called.",
    "short_call_share": f"Share of calls made under {SHORT_CALL_S} s (unanswered included).",
    "answered_share": "Share of calls made that were answered.",
    "night_share": "Share of calls made 22:00-05:59.",
    "mean_call_s": "Mean duration of calls made (s).",
    "callback_share": "Share of callees who called back after the first call.",
    "new_callee_share": "Share of callees who had not called this number before it called them.",
    "active_hours": "Distinct clock hours with calls made.",
    "peak_hour_callees": "Most distinct callees in one clock hour.",
    "peak_short_hour_callees": "Most distinct callees in one clock hour where most calls "
    f"were under {SHORT_CALL_S} s.",
    "burstiness": "Calls in the busiest hour over calls per active hour.",
    "sms_out": "SMS sent.",
    "sms_recipients": "Distinct SMS recipients.",
    "sms_in": "SMS received.",
    "data_bytes": "Mobile data volume.",
    "data_sessions": "Mobile data sessions.",
    "distinct_cells": "Distinct cells seen in.",
    "distinct_cities": "Distinct cities seen in.",
    "max_cities_per_day": "Most cities seen in on one day.",
    "active_days": "Days with any record.",
    "age": "Age of the registered holder (years).",
    "is_business": "1 for a business account.",
    "sim_age_days": "Days since activation.",
    "sims_per_id_card": "SIMs registered to the same ID card.",
    "card_batch_sims": f"SIMs on the same ID card activated within {BATCH_WINDOW_DAYS} days.",
    "outlet_day_sims": "SIMs activated at the same outlet on the same day.",
    "imeis_per_sim": "Devices the SIM was seen in.",
    "sims_per_imei": f"Most SIMs seen in one of its devices in the last {RECENT_DEVICE_DAYS} days.",
    "call_degree": "Distinct on- and off-net numbers in contact (calls either way).",
    "two_hop_reach": "Two-step walks in the call graph: sum of the contacts' degrees.",
    "contact_mean_degree": "Mean degree of its contacts.",
    "same_city_contact_share": "Share of on-net contacts whose account is in its city.",
}


def _count(x: ir.Value) -> ir.IntegerValue:
    return x.cast("int64")


def call_pairs(voice: ir.Table) -> ir.Table:
    """Distinct (caller, callee) pairs from both legs: first and last call, MO and MT legs."""
    return voice.group_by(["caller", "callee"]).aggregate(
        first_call=voice.start_time.min(),
        last_call=voice.start_time.max(),
        mo=voice.count(where=voice.direction == "MO"),
        mt=voice.count(where=voice.direction == "MT"),
    )


def calling(voice: ir.Table, pairs: ir.Table) -> ir.Table:
    """Calling behaviour of each number that made a call (MO legs).

    ``pairs`` is :func:`call_pairs` of ``voice``: the distinct callees come from its MO
    counts, so voice is aggregated once per pair and once per (caller, clock hour).
    """
    mo = voice.filter(voice.direction == "MO")
    j = _with_returns(pairs)
    per_pair = j.group_by(subscriber_id=j.s).aggregate(
        distinct_callees=j.count(where=j.mo > 0), **_callback_counts(j)
    )
    return calls_by_caller(hourly_calls(mo)).join(per_pair, "subscriber_id")


def calls_made(mo: ir.Table) -> ir.Table:
    """Per caller of MO legs: calls, callees, short, answered and night calls, duration."""
    made = calls_by_caller(hourly_calls(mo))
    callees = mo.group_by(subscriber_id=mo.caller).aggregate(
        distinct_callees=_count(mo.callee.nunique())
    )
    return made.join(callees, "subscriber_id").select(
        "subscriber_id",
        "calls_out",
        "distinct_callees",
        "short_calls",
        "answered",
        "night_calls",
        "duration_total",
    )


def calling_hours(mo: ir.Table) -> ir.Table:
    """Per caller: active hours, busiest hour, busiest mostly-short hour."""
    return calls_by_caller(hourly_calls(mo)).select(
        "subscriber_id",
        "active_hours",
        "peak_hour_calls",
        "peak_hour_callees",
        "peak_short_hour_callees",
    )


def hourly_calls(mo: ir.Table) -> ir.Table:
    """Per caller and clock hour of MO legs: calls, distinct callees, short and answered
    calls, total duration."""
    return mo.group_by(subscriber_id=mo.caller, hour=mo.start_time.truncate("h")).aggregate(
        calls=mo.count(),
        callees=_count(mo.callee.nunique()),
        short=mo.count(where=mo.duration_s < SHORT_CALL_S),
        answered=mo.count(where=mo.duration_s > 0),
        duration=mo.duration_s.cast("int64").sum(),
    )


def calls_by_caller(h: ir.Table) -> ir.Table:
    """Per caller, from :func:`hourly_calls`: the totals of :func:`calls_made` (but the
    distinct callees, which do not add up over hours) and :func:`calling_hours`."""
    clock = h.hour.hour()
    night = (clock >= NIGHT_START_HOUR) | (clock < NIGHT_END_HOUR)
    short_hour = h.short * 2 > h.calls
    return h.group_by("subscriber_id").aggregate(
        # Sums cast back: DuckDB sums int64 into 128-bit integers.
        calls_out=_count(h.calls.sum()),
        short_calls=_count(h.short.sum()),
        answered=_count(h.answered.sum()),
        night_calls=_count(ibis.ifelse(night, h.calls, 0).sum()),
        duration_total=_count(h.duration.sum()),
        active_hours=h.count(),
        peak_hour_calls=h.calls.max(),
        peak_hour_callees=h.callees.max(),
        peak_short_hour_callees=ibis.ifelse(short_hour, h.callees, 0).max(),
    )


def callbacks(pairs: ir.Table) -> ir.Table:
    """Per caller: callees who called back later, and callees new to it.

    ``pairs`` has one row per (caller, callee) with its first and last call
    (:func:`call_pairs`).
    """
    j = _with_returns(pairs)
    return j.group_by(subscriber_id=j.s).aggregate(**_callback_counts(j))


def _with_returns(pairs: ir.Table) -> ir.Table:
    """Each pair (``s`` called ``c``, first at ``first_out``) beside the pair the other way."""
    out = pairs.rename(s="caller", c="callee", first_out="first_call").drop("last_call")
    back = pairs.select(
        s=pairs.callee, c=pairs.caller, first_in=pairs.first_call, last_in=pairs.last_call
    )
    return out.left_join(back, ["s", "c"]).drop("s_right", "c_right")


def _callback_counts(j: ir.Table) -> dict[str, ir.Value]:
    called_back = j.last_in.notnull() & (j.last_in > j.first_out)
    new = j.first_in.isnull() | (j.first_in > j.first_out)
    return {
        "callees": j.count(),
        "called_back": j.count(where=called_back),
        "new_callees": j.count(where=new),
    }


def calls_received(pairs: ir.Table) -> ir.Table:
    """Per callee of :func:`call_pairs`: MT legs and distinct callers of them (0 if none)."""
    return pairs.group_by(subscriber_id=pairs.callee).aggregate(
        calls_in=_count(pairs.mt.sum()), distinct_callers=pairs.count(where=pairs.mt > 0)
    )


def usage(t: dict[str, ir.Table]) -> list[ir.Table]:
    """SMS, data and mobility, one table per source."""
    sms, data = t["sms"], t["data_sessions"]
    sent = sms.filter(sms.direction == "MO")
    sms_out = sent.group_by(subscriber_id=sent.sender).aggregate(
        sms_out=sent.count(), sms_recipients=_count(sent.recipient.nunique())
    )
    got = sms.filter(sms.direction == "MT")
    sms_in = got.group_by(subscriber_id=got.recipient).aggregate(sms_in=got.count())
    data_use = data.group_by("subscriber_id").aggregate(
        data_bytes=(data.bytes_up + data.bytes_down).sum().cast("int64"),
        data_sessions=data.count(),
    )
    return [sms_out, sms_in, data_use, _mobility(t)]


def _mobility(t: dict[str, ir.Table]) -> ir.Table:
    # Distinct (subscriber, cell, day) before the cells' join and the distinct counts: a
    # few rows per subscriber and day instead of every record, the only copy DuckDB keeps.
    seen = sightings(t)
    days = seen.select("subscriber_id", "cell_id", day=seen.seen_at.date()).distinct()
    cells = t["cells"].select("cell_id", "city")
    located = days.left_join(cells, "cell_id").select("subscriber_id", "cell_id", "city", "day")
    return mobility_of(located)


def mobility_of(seen: ir.Table) -> ir.Table:
    """The profile's mobility plus the most cities seen in on one day.

    ``seen`` has a row per sighting, or per distinct (subscriber, cell, day), with the
    cell's city (``profile.pipeline.located_sightings``): the counts are the same.
    """
    per_day = seen.group_by(["subscriber_id", "day"]).aggregate(cities=seen.city.nunique())
    busiest = per_day.group_by("subscriber_id").aggregate(
        max_cities_per_day=_count(per_day.cities.max())
    )
    moves = seen.group_by("subscriber_id").aggregate(
        distinct_cells=seen.cell_id.nunique(),
        distinct_cities=seen.city.nunique(),
        active_days=seen.day.nunique(),
    )
    return moves.join(busiest, "subscriber_id")


def account(t: dict[str, ir.Table], as_of: dt.date) -> ir.Table:
    """Account facts: holder, SIM age, ID-card and outlet batches, devices."""
    subs = t["subscribers"]
    card = subs.group_by("id_card_id").aggregate(sims_per_id_card=subs.count())
    a = subs.select(card_a="id_card_id", sub_a="subscriber_id", day_a="activation_date")
    b = subs.select(card_b="id_card_id", day_b="activation_date")
    near = a.join(b, a.card_a == b.card_b).filter(
        a.day_a.delta(b.day_b, unit="day").abs() <= BATCH_WINDOW_DAYS
    )
    batch = near.group_by(subscriber_id=near.sub_a).aggregate(card_batch_sims=near.count())
    outlet = subs.group_by(["sales_outlet", "activation_date"]).aggregate(
        outlet_day_sims=subs.count()
    )
    base = subs.select(
        "subscriber_id",
        "id_card_id",
        "sales_outlet",
        "activation_date",
        age=subs.age.cast("int64"),
        is_business=(subs.customer_type == "business").cast("int64"),
        sim_age_days=ibis.literal(as_of).delta(subs.activation_date, unit="day").cast("int64"),
    )
    out = (
        base.join(card, "id_card_id")
        .join(batch, "subscriber_id")
        .join(outlet, ["sales_outlet", "activation_date"])
        .left_join(_devices(t["devices"], as_of), "subscriber_id")
    )
    return out.select(
        "subscriber_id",
        "age",
        "is_business",
        "sim_age_days",
        "sims_per_id_card",
        "card_batch_sims",
        "outlet_day_sims",
        imeis_per_sim=out.imeis_per_sim.coalesce(0),
        sims_per_imei=out.sims_per_imei.coalesce(0),
    )


def _devices(devices: ir.Table, as_of: dt.date) -> ir.Table:
    since = ibis.literal(as_of - dt.timedelta(days=RECENT_DEVICE_DAYS)).cast("timestamp")
    recent = devices.filter(devices.last_seen >= since)
    per_imei = recent.group_by("imei_id").aggregate(sims=_count(recent.subscriber_id.nunique()))
    d = devices.left_join(per_imei, "imei_id")
    return d.group_by("subscriber_id").aggregate(
        imeis_per_sim=_count(d.imei_id.nunique()), sims_per_imei=_count(d.sims.max())
    )


def graph(t: dict[str, ir.Table], pairs: ir.Table) -> ir.Table:
    """Call-graph features: degree, two-step walks, the contacts' degree and city.

    ``pairs`` is :func:`call_pairs` of ``t["voice"]``, already distinct in (caller, callee).
    """
    return graph_of(contacts_of(pairs.select("caller", "callee")), t["subscribers"])


def graph_of(e: ir.Table, subscribers: ir.Table) -> ir.Table:
    """:func:`graph` from the undirected edges ``e`` (:func:`contacts`), per subscriber."""
    deg = e.group_by("a").aggregate(degree=e.count())
    nb = e.join(deg.select(b="a", b_degree="degree"), "b")
    city = subscribers.select("subscriber_id", "city")
    # Off-net numbers have no features: dropped before the aggregation, not after it.
    nb = nb.join(city.select(a="subscriber_id", a_city="city"), "a")
    nb = nb.left_join(city.select(b="subscriber_id", b_city="city"), "b").drop("b_right")
    onnet = nb.b_city.notnull()
    g = nb.group_by(subscriber_id=nb.a).aggregate(
        degree=nb.count(),
        two_hop_reach=nb.b_degree.sum(),
        onnet=_count(onnet.sum()),
        same_city=_count((onnet & (nb.a_city == nb.b_city)).sum()),
    )
    return g.select(
        "subscriber_id",
        "degree",
        "two_hop_reach",
        contact_mean_degree=ratio(g.two_hop_reach, g.degree),
        same_city_contact_share=ratio(g.same_city, g.onnet),
    )


def contacts(voice: ir.Table) -> ir.Table:
    """The undirected call graph: one row per (a, b) and (b, a) of numbers that spoke."""
    return contacts_of(voice.select("caller", "callee").distinct())


def contacts_of(pairs: ir.Table) -> ir.Table:
    """:func:`contacts` from the distinct (caller, callee) pairs."""
    both = ibis.union(
        pairs.select(a="caller", b="callee"), pairs.select(a="callee", b="caller"), distinct=True
    )
    return both.filter(both.a != both.b)


def fraud_features(
    t: dict[str, ir.Table], as_of: dt.date, window_days: int | None = WINDOW_DAYS
) -> ir.Table:
    """One row per subscriber of ``t["subscribers"]`` with the columns of ``FEATURES``.

    ``as_of`` is the day after the data window (SIM age and recent devices count from it).
    The records read are those of the ``window_days`` days before it (time in
    [as_of - window_days, as_of)); None reads every record of ``t``.
    """
    if window_days is not None:
        t = engines.in_window(t, as_of, window_days)
    joined = account(t, as_of)
    pairs = call_pairs(t["voice"])
    for part in [calling(t["voice"], pairs), calls_received(pairs), *usage(t), graph(t, pairs)]:
        joined = joined.left_join(part, "subscriber_id").drop("subscriber_id_right")
    return assemble(joined)


def assemble(c: ir.Table) -> ir.Table:
    """The ``FEATURES`` columns from the account facts left-joined with the measures."""
    zero = ibis.literal(0, "int64")

    def n(col: str) -> ir.IntegerValue:
        return c[col].cast("int64").coalesce(zero)

    return c.select(
        subscriber_id=c.subscriber_id,
        calls_out=n("calls_out"),
        calls_in=n("calls_in"),
        distinct_callees=n("distinct_callees"),
        distinct_callers=n("distinct_callers"),
        short_call_share=ratio(c.short_calls, c.calls_out),
        answered_share=ratio(c.answered, c.calls_out),
        night_share=ratio(c.night_calls, c.calls_out),
        mean_call_s=ratio(c.duration_total, c.calls_out),
        callback_share=ratio(c.called_back, c.callees),
        new_callee_share=ratio(c.new_callees, c.callees),
        active_hours=n("active_hours"),
        peak_hour_callees=n("peak_hour_callees"),
        peak_short_hour_callees=n("peak_short_hour_callees"),
        burstiness=ratio(c.peak_hour_calls * c.active_hours, c.calls_out),
        sms_out=n("sms_out"),
        sms_recipients=n("sms_recipients"),
        sms_in=n("sms_in"),
        data_bytes=n("data_bytes"),
        data_sessions=n("data_sessions"),
        distinct_cells=n("distinct_cells"),
        distinct_cities=n("distinct_cities"),
        max_cities_per_day=n("max_cities_per_day"),
        active_days=n("active_days"),
        age=c.age,
        is_business=c.is_business,
        sim_age_days=c.sim_age_days,
        sims_per_id_card=c.sims_per_id_card,
        card_batch_sims=c.card_batch_sims,
        outlet_day_sims=c.outlet_day_sims,
        imeis_per_sim=c.imeis_per_sim,
        sims_per_imei=c.sims_per_imei,
        call_degree=n("degree"),
        two_hop_reach=n("two_hop_reach"),
        contact_mean_degree=c.contact_mean_degree,
        same_city_contact_share=c.same_city_contact_share,
    ).order_by("subscriber_id")
