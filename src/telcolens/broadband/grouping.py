"""Shared causes: lines under one splitter, PON port or OLT that degrade together.

Fifty lines of one broken splitter need one truck, not fifty. Each day, per element of the
access network, the share of its lines that show a sign (optical: low or erring received
power, or a dark ONT; congestion: the evening slower than the same day's off-peak hours)
decides whether the cause is the element's:

* **splitter**: at least ``shared_min_lines`` of its lines and ``shared_share`` of them show
  the optical sign or are dimmed (``dim_db`` below their best day), one of them for certain
  (the sign itself), or ``dark_share`` of its ONTs went dark together (no report that day,
  or ``dark_samples`` missing and none in the evening);
* **PON port**: the same over the port, and every splitter of a port with two or more shows
  it or dims (a port with a single splitter is the same set of lines:
  ``single_splitter_level`` says which element to name);
* congestion on a **PON port**: ``shared_min_lines`` and ``shared_share`` of its lines that
  reported that day queue in the evening (the slower evening test with the evening round
  trip risen); on the **OLT** (its uplink): at least two ports and ``olt_port_share`` of
  its ports congested together.

An element shared on one day of the window stays shared on its other days where any of
its lines shows the sign (a fault's first hours, a repair's day). A line-day in a shared
element gets the element's scenario and ``ticket_element``; the
tickets (:func:`tickets`) list the element's lines, and a line in a ticket gets no ticket
of its own for that cause. Pure Ibis, like the per-line diagnosis.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import ibis
import ibis.expr.types as ir

LEVELS = ("splitter", "pon_port", "olt")
SHARED = {
    "optical_splitter": "splitter",
    "optical_port": "pon_port",
    "port_congestion": "pon_port",
    "olt_congestion": "olt",
}
TICKET_COLUMNS = (
    "element",
    "level",
    "scenario",
    "side",
    "action",
    "first_day",
    "last_day",
    "days",
    "lines",
    "n_lines",
    "poor_lines",
    "element_lines",
    "olt_id",
)


def _share(k: ir.NumericValue, n: ir.NumericValue) -> ir.FloatingValue:
    return ibis.ifelse(n > 0, k.cast("float64") / n, 0.0)


def shared_elements(t: ir.Table, s: Any) -> ir.Table:
    """``t`` (per line-day, with ``sign_optical`` and ``sign_congestion``) with the element
    each sign is shared on, if any: ``optical_level``/``optical_element`` and
    ``congestion_level``/``congestion_element`` (null: the line's own), and the shares of
    lines affected. A dark ONT under an element with the optical sign gets the sign too.

    ``s`` is a :class:`~telcolens.broadband.diagnose.Settings`.
    """
    # Dark: no report all day, or reports missing and none in the evening (an ONT that
    # lost its light; a gateway switched off for the night reports in the evening).
    dark = (t.samples == 0) | ((t.missing_samples >= s.dark_samples) & t.latency_peak_ms.isnull())
    # A full shared link queues: its lines' evening round trip rises with their evening
    # speed test. A slower evening test alone is no shared congestion: over a fast plan one
    # TCP flow is capped by the round trip and loss (Mathis et al.), which rise a little
    # in every evening, so the fast lines of a port all look slower then.
    queued = t.sign_congestion & t.rule_evening_latency
    t = t.mutate(
        _affected=t.sign_optical | t.dimmed | dark,
        _dark=dark,
        _reported=t.samples > 0,
        _queued=queued,
    )
    split = t.group_by(["day", "splitter_id"]).aggregate(
        _s_n=t.count(),
        _s_k=t._affected.sum(),
        _s_sure=t.sign_optical.sum(),
        _s_dark=t._dark.sum(),
    )
    split = split.mutate(_s_all_dark=_all_dark(split._s_dark, split._s_n, s))
    split = split.mutate(
        _s_q=(
            (split._s_k >= s.shared_min_lines)
            & (_share(split._s_k, split._s_n) >= s.shared_share)
            & (split._s_sure >= 1)
        )
        | split._s_all_dark
    )
    split = _remember(split, "splitter_id", "_s_q", split._s_sure >= 1)
    t = t.left_join(split, ["day", "splitter_id"]).drop("day_right", "splitter_id_right")
    port = t.group_by(["day", "port_id"]).aggregate(
        _p_n=t.count(),
        _p_k=t._affected.sum(),
        _p_sure=t.sign_optical.sum(),
        _p_splitters=t.splitter_id.nunique(),
        # A splitter hit by the port's fault: a line of it erring or dimmed, or all of its
        # ONTs dark together (the light lost before the splitter: a cut trunk lights none).
        _p_hit=t.splitter_id.nunique(where=t.sign_optical | t.dimmed | t._s_all_dark),
        _p_q_splitters=t.splitter_id.nunique(where=t._s_q),
        _p_reported=t._reported.sum(),
        _p_congested=(t._queued & t._reported).sum(),
        _p_dark=t._dark.sum(),
    )
    single_as_port = s.single_splitter_level == "pon_port"
    several = (port._p_splitters >= 2) & (port._p_hit == port._p_splitters)
    port = port.mutate(
        _p_q=(
            (port._p_k >= s.shared_min_lines)
            & (_share(port._p_k, port._p_n) >= s.shared_share)
            & (port._p_sure >= 1)
            & several
        )
        | ((port._p_splitters >= 2) & _all_dark(port._p_dark, port._p_n, s))
        | ((port._p_splitters == 1) & (port._p_q_splitters == 1) & single_as_port),
        _p_c=(port._p_congested >= s.shared_min_lines)
        & (_share(port._p_congested, port._p_reported) >= s.shared_share),
    )
    port = _remember(port, "port_id", "_p_q", port._p_sure >= 1)
    port = _remember(port, "port_id", "_p_c", port._p_congested >= 1)
    olt = port.mutate(olt_id=port.port_id.split("/")[0])
    olt = olt.group_by(["day", "olt_id"]).aggregate(
        _o_ports=olt.port_id.nunique(where=olt._p_reported > 0),
        _o_congested=olt.port_id.nunique(where=olt._p_c),
        _o_n=olt._p_n.sum(),
    )
    olt = olt.mutate(
        _o_c=(olt._o_congested >= 2) & (_share(olt._o_congested, olt._o_ports) >= s.olt_port_share)
    )
    olt = _remember(olt, "olt_id", "_o_c", olt._o_congested >= 1)
    t = t.left_join(port, ["day", "port_id"]).drop("day_right", "port_id_right")
    t = t.left_join(olt, ["day", "olt_id"]).drop("day_right", "olt_id_right")
    optical_level = ibis.cases(
        (t._affected & t._p_q, "pon_port"),
        (t._affected & t._s_q, "splitter"),
        else_=ibis.null("string"),
    )
    congestion_level = ibis.cases(
        (t.sign_congestion & t._o_c, "olt"),
        (t.sign_congestion & t._p_c, "pon_port"),
        else_=ibis.null("string"),
    )
    t = t.mutate(
        sign_optical=t.sign_optical | optical_level.notnull(),
        optical_level=optical_level,
        optical_element=_element(optical_level, t),
        optical_share=ibis.cases(
            (optical_level == "pon_port", _share(t._p_k, t._p_n)),
            (optical_level == "splitter", _share(t._s_k, t._s_n)),
            else_=ibis.null("float64"),
        ),
        congestion_level=congestion_level,
        congestion_element=_element(congestion_level, t),
        congestion_share=ibis.cases(
            (congestion_level == "olt", _share(t._o_congested, t._o_ports)),
            (congestion_level == "pon_port", _share(t._p_congested, t._p_reported)),
            else_=ibis.null("float64"),
        ),
        element_lines=ibis.cases(
            (optical_level == "splitter", t._s_n),
            (optical_level == "pon_port", t._p_n),
            (congestion_level == "pon_port", t._p_n),
            (congestion_level == "olt", t._o_n),
            else_=ibis.null("int64"),
        ),
    )
    return t.drop(*[c for c in t.columns if c.startswith("_")])


def _all_dark(dark: ir.IntegerValue, n: ir.IntegerValue, s: Any) -> ir.BooleanValue:
    """Most of an element's ONTs dark at once: light lost upstream of them all."""
    return (dark >= s.shared_min_lines) & (_share(dark, n) >= s.dark_share)


def _remember(days: ir.Table, key: str, flag: str, today: ir.BooleanValue) -> ir.Table:
    """``days`` (one row per day and element) with ``flag`` also set on the days the
    element shows the sign (``today``) when it was shared on some day of the window: a
    fault's first and last days, when few of its lines show it yet or still, stay on the
    element's ticket rather than becoming tickets of their own."""
    days = days.mutate(_today=today)
    ever = days.group_by(key).aggregate(_ever=days[flag].any())
    days = days.left_join(ever, key).drop(f"{key}_right")
    return days.mutate(**{flag: days[flag] | (days._ever & days._today)}).drop("_ever", "_today")


def _element(level: ir.StringValue, t: ir.Table) -> ir.StringValue:
    return ibis.cases(
        (level == "splitter", t.splitter_id),
        (level == "pon_port", t.port_id),
        (level == "olt", t.olt_id),
        else_=ibis.null("string"),
    )


def ticket_of(t: ir.Table) -> ir.Table:
    """``t`` (with ``scenario``) with ``ticket_element`` and ``ticket_level``: the shared
    element whose ticket covers the line-day, null for a cause of the line's own."""
    optical = t.scenario.isin(["optical_splitter", "optical_port"])
    congestion = t.scenario.isin(["port_congestion", "olt_congestion"])
    return t.mutate(
        ticket_element=ibis.cases(
            (optical, t.optical_element),
            (congestion, t.congestion_element),
            else_=ibis.null("string"),
        ),
        ticket_level=ibis.cases(
            (optical, t.optical_level),
            (congestion, t.congestion_level),
            else_=ibis.null("string"),
        ),
    )


def tickets(diagnosed: ir.Table, sides: Mapping[str, str]) -> ir.Table:
    """One ticket per shared element and scenario over the window, for the elements with
    at least one poor line: its lines (every line that showed the sign on a ticket day,
    sorted), how many were poor, and its first and last day."""
    t = diagnosed.filter(diagnosed.ticket_element.notnull())
    keys = ["ticket_element", "ticket_level", "scenario"]
    g = t.group_by(keys).aggregate(
        first_day=t.day.min(),
        last_day=t.day.max(),
        days=t.day.nunique(),
        lines=t.line_id.collect(distinct=True).sort(),
        n_lines=t.line_id.nunique(),
        poor_lines=t.line_id.nunique(where=t.poor),
        element_lines=t.element_lines.max(),
        olt_id=t.olt_id.min(),
    )
    g = g.filter(g.poor_lines >= 1)
    side = g.scenario.substitute(dict(sides))
    action = ibis.cases((side == "street", "field_visit"), else_="network_ticket")
    return g.select(
        element=g.ticket_element,
        level=g.ticket_level,
        scenario=g.scenario,
        side=side,
        action=action,
        first_day=g.first_day,
        last_day=g.last_day,
        days=g.days,
        lines=g.lines,
        n_lines=g.n_lines,
        poor_lines=g.poor_lines,
        element_lines=g.element_lines,
        olt_id=g.olt_id,
    ).order_by(["level", "element", "scenario"])
