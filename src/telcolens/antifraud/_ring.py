"""The window's per-subscriber measures, one column per day: rings that roll by renaming.

The day partials keyed by subscriber alone (calls made and their peak hours, SMS received,
data) are small, but a window of them is seven files to read and combine. A ring keeps
one partial's window in one row per subscriber, ``<measure>_<k>`` for day *k* of the
window (0 the oldest), so a day run drops day 0 by renaming ``_1`` to ``_0`` and so on and
adds the new day as the last columns: no subtraction (peaks are maxima), nothing read again.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import ibis
import ibis.expr.types as ir
from ibis.backends import BaseBackend

from telcolens.antifraud.partials import _window_partial

SUMS = ("calls_out", "short_calls", "answered", "night_calls", "duration_total", "active_hours")
PEAKS = ("peak_hour_calls", "peak_hour_callees", "peak_short_hour_callees")
# Per ring: the day partial (table, name) it keeps and its measures; a subscriber has a row
# of a day when the first measure is there.
RINGS: dict[str, tuple[tuple[str, str], tuple[str, ...]]] = {
    "calls": (("voice", "callers"), SUMS + PEAKS),
    "sms_in": (("sms", "recipients"), ("sms_in",)),
    "data": (("data_sessions", "users"), ("data_bytes", "data_sessions")),
}


def _columns(measures: tuple[str, ...], n: int) -> list[str]:
    return [f"{m}_{k}" for m in measures for k in range(n)]


def build(con: BaseBackend, data_dir: Path, name: str, days: list[dt.date]) -> ir.Table:
    """The ring ``name`` of the window ``days`` from its day partials."""
    (table, partial), measures = RINGS[name]
    p = _window_partial(con, data_dir, [table], partial, days, with_day=True)
    # One row per subscriber and day: the max over a day's rows is its row's value.
    return p.group_by("subscriber_id").aggregate(
        **{f"{m}_{k}": p[m].max(where=p.day == d) for m in measures for k, d in enumerate(days)}
    )


def roll(
    con: BaseBackend, data_dir: Path, name: str, old: ir.Table, days: list[dt.date]
) -> ir.Table:
    """The ring ``name`` of the window ``days`` from ``old``, that of a day earlier."""
    (table, partial), measures = RINGS[name]
    n = len(days)
    shifted = old.select(
        "subscriber_id", **{f"{m}_{k}": old[f"{m}_{k + 1}"] for m in measures for k in range(n - 1)}
    )
    if n > 1:
        shifted = shifted.filter(
            ibis.or_(*(shifted[f"{measures[0]}_{k}"].notnull() for k in range(n - 1)))
        )
    new = _window_partial(con, data_dir, [table], partial, days[-1:])
    new = new.select("subscriber_id", **{f"{m}_{n - 1}": new[m] for m in measures})
    j = shifted.outer_join(new, "subscriber_id")
    sid = j.subscriber_id.coalesce(j.subscriber_id_right)
    return j.select(subscriber_id=sid, **{c: j[c] for c in _columns(measures, n)})


def measures(rings: dict[str, ir.Table], n: int) -> dict[str, ir.Table]:
    """Per ring, the window's measures of the subscribers with a row on some day."""
    zero = ibis.literal(0, "int64")
    out = {}
    for name, (_, ms) in RINGS.items():
        r = rings[name]
        days = {m: [r[f"{m}_{k}"].cast("int64").coalesce(zero) for k in range(n)] for m in ms}
        # Counts are >= 0 and some day has a row: 0 for the days without one is neutral.
        values = {
            m: (v[0] if n == 1 else ibis.greatest(*v)) if m in PEAKS else sum(v[1:], v[0])
            for m, v in days.items()
        }
        present = ibis.or_(*(r[f"{ms[0]}_{k}"].notnull() for k in range(n)))
        out[name] = r.filter(present).select("subscriber_id", **values)
    return out
