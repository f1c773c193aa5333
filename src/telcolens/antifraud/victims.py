"""Victim early warning (预警劝阻): who flagged numbers reached, ranked by risk.

Every on-net subscriber with a call to or from a flagged number is a contact.
Risk adds points that anti-fraud centres treat as signs a scam is under way:
a long answered call (the script is being read), repeated contact, the
subscriber calling the number back, and age. Contacts with at least
WARN_POINTS are on the warning list, with the reason and the number that
called them.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir
import pandas as pd

WARNING_COLUMNS = (
    "subscriber_id",
    "fraud_number",
    "risk",
    "points",
    "reasons",
    "first_contact",
    "last_contact",
    "contacts",
    "answered",
    "longest_call_s",
    "callbacks",
    "age",
)
LONG_CALL_S, MEDIUM_CALL_S = 300, 60
OLD_AGE = 60
MAX_POINTS = 8
WARN_POINTS = 3


def contacts(voice: ir.Table, subscribers: ir.Table, flagged: ir.Table) -> ir.Table:
    """One row per (subscriber, flagged number) that spoke, with the contact's measures.

    ``flagged`` has one column, ``subscriber_id``. Flagged numbers are not
    contacts of each other.
    """
    calls = voice.select("caller", "callee", "start_time", "duration_s")
    fraud = flagged.select(f="subscriber_id")
    # An on-net call has two legs (MO and MT); distinct after the join with the few
    # flagged numbers, not over every call.
    out = calls.join(fraud, calls.caller == fraud.f).select(
        victim=calls.callee, fraud=calls.caller, t=calls.start_time, d=calls.duration_s, back=0
    )
    back = calls.join(fraud, calls.callee == fraud.f).select(
        victim=calls.caller, fraud=calls.callee, t=calls.start_time, d=calls.duration_s, back=1
    )
    out, back = out.distinct(), back.distinct()
    both = ibis.union(out, back, distinct=False)
    both = both.filter(both.victim.notin(fraud.f))
    subs = subscribers.select("subscriber_id", age=subscribers.age.cast("int64"))
    both = both.join(subs, both.victim == subs.subscriber_id)
    from_fraud = both.back == 0
    per = both.group_by(["victim", "fraud"]).aggregate(
        first_contact=both.t.min(),
        last_contact=both.t.max(),
        contacts=from_fraud.cast("int64").sum(),
        answered=(from_fraud & (both.d > 0)).cast("int64").sum(),
        longest_call_s=both.d.cast("int64").max(),
        callbacks=both.back.cast("int64").sum(),
        age=both.age.max(),
    )
    long_pts = ibis.cases(
        (per.longest_call_s >= LONG_CALL_S, 3),
        (per.longest_call_s >= MEDIUM_CALL_S, 2),
        (per.longest_call_s > 0, 1),
        else_=0,
    )
    repeat_pts = ibis.ifelse(per.contacts >= 3, 2, ibis.ifelse(per.contacts == 2, 1, 0))
    back_pts = ibis.ifelse(per.callbacks > 0, 2, 0)
    age_pts = ibis.ifelse(per.age >= OLD_AGE, 1, 0)
    points = (long_pts + repeat_pts + back_pts + age_pts).cast("int64")
    return per.mutate(points=points)


def warning_list(contact_rows: pd.DataFrame) -> pd.DataFrame:
    """Contacts with enough risk points, riskiest first, with a reason each."""
    w = contact_rows[contact_rows.points >= WARN_POINTS].copy()
    w["age"] = w["age"].astype("Int64")  # may be unknown; never shown as 72.0
    w["risk"] = w.points / MAX_POINTS
    w["reasons"] = [_reason(r) for r in w.itertuples(index=False)]
    w = w.rename(columns={"victim": "subscriber_id", "fraud": "fraud_number"})
    # A total order (ties broken by the numbers), so both engines list contacts alike,
    # whatever order their aggregation returned them in.
    w = w.sort_values(
        ["points", "longest_call_s", "subscriber_id", "fraud_number"],
        ascending=[False, False, True, True],
    )
    return w[list(WARNING_COLUMNS)].reset_index(drop=True)


def _reason(r) -> str:
    parts = []
    if r.longest_call_s >= MEDIUM_CALL_S:
        parts.append(f"a {r.longest_call_s // 60}-min call with a flagged number")
    elif r.longest_call_s > 0:
        parts.append("answered a flagged number")
    if r.contacts >= 2:
        parts.append(f"contacted {r.contacts} times")
    if r.callbacks:
        parts.append(f"called the number back {r.callbacks} time(s)")
    if not pd.isna(r.age) and r.age >= OLD_AGE:
        parts.append(f"aged {r.age}")
    return "; ".join(parts)
