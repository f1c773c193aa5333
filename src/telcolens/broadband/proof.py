"""Did the repairs work? The before/after perception score and complaint rate per scenario.

A repair on the operator's books (``broadband_repairs``: a remote fix, a field visit or a
network ticket, on a line or on a splitter, PON port or OLT, and whether the ticket was
closed as fixed) is judged on the lines it touched: a line repair on its line, an element's
on every line under the element. For each repaired line the ``window`` days before the
repair day and the ``window`` days after it (the repair day itself is neither) give

* the mean perception score before and after, and how many of the days were poor;
* the complaints the line's customer made in each (``broadband_complaints``);
* the **scenario** the diagnosis named on the line's last poor day before the repair
  (``not_diagnosed`` when the line was not poor in the days before: a repair the diagnosis
  did not ask for).

Per scenario and action: lines and repairs judged, the two mean scores, the complaint
rate before and after (complaints per 100 lines per week), the share of poor lines that
recovered (no poor day after), how many tickets were closed as fixed and how many of those
lines were still poor after: the "repaired" line whose customer is as unhappy as before.
A repair is judged only when both windows lie inside the scored days (a repair of the last
``window`` days waits for its after-window). Pure Ibis: DuckDB and Spark run it alike.
"""

from __future__ import annotations

import datetime as dt

import ibis
import ibis.expr.types as ir

from telcolens.errors import BadInput

WINDOW_DAYS = 7  # a week each side: a weekday/weekend mix on both
NOT_DIAGNOSED = "not_diagnosed"
PROOF_COLUMNS = (
    "scenario",
    "action",
    "repairs",
    "lines",
    "score_before",
    "score_after",
    "score_change",
    "poor_before",
    "recovered",
    "complaints_before",
    "complaints_after",
    "closed_as_fixed",
    "fixed_still_poor",
    "first_repair_day",
    "last_repair_day",
)


def repaired_lines(repairs: ir.Table, lines: ir.Table) -> ir.Table:
    """One row per repair and line it touched: ``repair_id``, ``line_id``, ``repair_day``,
    ``action``, ``closed_as_fixed`` (an element's repair touches every line under it)."""
    r = repairs.mutate(repair_day=repairs.repair_time.date())
    keep = ("repair_id", "repair_day", "action", "closed_as_fixed")
    own = r.filter(r.line_id.notnull()).select(*keep, "line_id")
    meta = lines.select(
        "line_id",
        splitter=lines.splitter_id,
        pon_port=lines.olt_id.concat("/", lines.pon_port.cast("string")),
        olt=lines.olt_id,
    )
    parts = [own]
    for kind in ("splitter", "pon_port", "olt"):
        on = r.filter((r.element_type == kind) & r.line_id.isnull()).drop("line_id")
        j = on.join(meta, on.element_id == meta[kind])
        parts.append(j.select(*keep, "line_id"))
    return ibis.union(*parts).distinct()


def _complaints(touched: ir.Table, complaints: ir.Table, lo: int, hi: int) -> ir.Table:
    c = complaints.select("line_id", cday=complaints.complaint_time.date())
    j = touched.join(
        c,
        (touched.line_id == c.line_id)
        & (c.cday >= touched.repair_day + ibis.interval(days=lo))
        & (c.cday <= touched.repair_day + ibis.interval(days=hi)),
    )
    return j.group_by(["repair_id", touched.line_id]).aggregate(n=j.count())


def proof_lines(
    scored: ir.Table,
    repairs: ir.Table,
    lines: ir.Table,
    complaints: ir.Table,
    *,
    window: int = WINDOW_DAYS,
) -> ir.Table:
    """Per repair and line: the score, poor days and complaints before and after, and the
    scenario diagnosed before. ``scored``: line-days with ``line_id``, ``day``, ``score``,
    ``poor`` and ``scenario`` (the diagnosis's :attr:`Diagnosis.line_days`)."""
    if window < 1:
        raise BadInput("the before and after windows are at least one day")
    s = scored.select("line_id", "day", "score", "poor", "scenario")
    span = s.aggregate(first=s.day.min(), last=s.day.max())
    touched = repaired_lines(repairs, lines).cross_join(span)
    w = ibis.interval(days=window)
    touched = touched.filter(
        (touched.repair_day - w >= touched.first) & (touched.repair_day + w <= touched.last)
    ).drop("first", "last")
    j = touched.join(
        s,
        (touched.line_id == s.line_id)
        & (s.day >= touched.repair_day - w)
        & (s.day <= touched.repair_day + w)
        & (s.day != touched.repair_day),
    )
    before, after = j.day < j.repair_day, j.day > j.repair_day
    per = j.group_by(
        ["repair_id", touched.line_id, "repair_day", "action", "closed_as_fixed"]
    ).aggregate(
        score_before=ibis.ifelse(before, j.score, ibis.null("float64")).mean(),
        score_after=ibis.ifelse(after, j.score, ibis.null("float64")).mean(),
        poor_days_before=(before & j.poor).cast("int64").sum(),
        poor_days_after=(after & j.poor).cast("int64").sum(),
        scenario=ibis.ifelse(before & j.poor, j.scenario, ibis.null("string")).argmax(
            ibis.ifelse(before & j.poor, j.day, ibis.null("date"))
        ),
    )
    per = per.filter(per.score_before.notnull() & per.score_after.notnull())
    for name, lo, hi in (("before", -window, -1), ("after", 1, window)):
        n = _complaints(touched, complaints, lo, hi).rename(**{f"complaints_{name}": "n"})
        per = per.left_join(n, ["repair_id", "line_id"]).drop("repair_id_right", "line_id_right")
        per = per.mutate(**{f"complaints_{name}": ibis.coalesce(per[f"complaints_{name}"], 0)})
    return per.mutate(
        scenario=ibis.ifelse(
            per.poor_days_before > 0,
            ibis.coalesce(per.scenario, NOT_DIAGNOSED),
            NOT_DIAGNOSED,
        )
    )


def proof(per_line: ir.Table, *, window: int = WINDOW_DAYS) -> ir.Table:
    """Per scenario and action, from :func:`proof_lines`; most lines first."""
    t = per_line
    was_poor = t.poor_days_before > 0
    weekly = 100.0 * 7 / window  # complaints per 100 lines per week
    fixed = t.closed_as_fixed.fill_null(False)
    out = t.group_by(["scenario", "action"]).aggregate(
        repairs=t.repair_id.nunique(),
        lines=t.count(),
        score_before=t.score_before.mean(),
        score_after=t.score_after.mean(),
        poor_before=was_poor.cast("int64").sum(),
        recovered_lines=(was_poor & (t.poor_days_after == 0)).cast("int64").sum(),
        complaints_before=t.complaints_before.sum().cast("float64") * weekly / t.count(),
        complaints_after=t.complaints_after.sum().cast("float64") * weekly / t.count(),
        closed_as_fixed=fixed.cast("int64").sum(),
        fixed_still_poor=(fixed & (t.poor_days_after > 0)).cast("int64").sum(),
        first_repair_day=t.repair_day.min(),
        last_repair_day=t.repair_day.max(),
    )
    out = out.mutate(
        score_change=out.score_after - out.score_before,
        recovered=ibis.ifelse(
            out.poor_before > 0,
            out.recovered_lines.cast("float64") / out.poor_before,
            ibis.null("float64"),
        ),
    )
    return out.select(*PROOF_COLUMNS).order_by([ibis.desc("lines"), "scenario", "action"])


def proof_of(
    scored: ir.Table,
    repairs: ir.Table,
    lines: ir.Table,
    complaints: ir.Table,
    *,
    window: int = WINDOW_DAYS,
) -> ir.Table:
    """:func:`proof` of :func:`proof_lines`: the table the day step and the CLI write."""
    per_line = proof_lines(scored, repairs, lines, complaints, window=window)
    return proof(per_line, window=window)


def judged_until(last_day: dt.date, window: int = WINDOW_DAYS) -> dt.date:
    """The newest repair day a proof over days up to ``last_day`` can judge."""
    return last_day - dt.timedelta(days=window)
