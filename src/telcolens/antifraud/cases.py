"""Case files: the evidence behind each flagged number, one JSON file per number.

A case holds what an analyst and the anti-fraud centre need to act: score and
reasons, the rules it matched, the measures behind them, its account links
(ID card, outlet, device), first and last call seen, how many subscribers it
reached and how many of them are on the warning list, and sample calls.
Numbers appear as pseudonyms only.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pandas as pd
from ibis.backends import BaseBackend

from telcolens.antifraud.victims import WARN_POINTS

SAMPLE_CALLS = 10
EVIDENCE = (
    "calls_out",
    "distinct_callees",
    "short_call_share",
    "answered_share",
    "callback_share",
    "new_callee_share",
    "peak_short_hour_callees",
    "night_share",
    "sms_out",
    "distinct_cities",
    "sim_age_days",
    "sims_per_id_card",
    "sims_per_imei",
    "call_degree",
)


def sample_calls(voice: ir.Table, flagged: ir.Table, n: int = SAMPLE_CALLS) -> ir.Table:
    """The latest ``n`` calls each flagged number made, with its first and last call time.

    One pass over the calls: the first and last times are window aggregates over all of
    the number's calls, carried on each sampled row.
    """
    mo = voice.filter(voice.direction == "MO")
    mo = mo.join(flagged, mo.caller == flagged.subscriber_id)
    ranked = mo.mutate(
        rn=ibis.row_number().over(group_by="caller", order_by=ibis.desc("start_time")),
        first_seen=mo.start_time.min().over(group_by="caller"),
        last_seen=mo.start_time.max().over(group_by="caller"),
    )
    return ranked.filter(ranked.rn < n).select(
        "caller", "callee", "start_time", "duration_s", "cell_id", "first_seen", "last_seen"
    )


def activity(voice: ir.Table, cells: ir.Table, flagged: ir.Table) -> ir.Table:
    """Where each flagged number called from: calls per (number, cell), with the cell's place.

    A cell missing from ``cells`` keeps its counts with its place unknown (null).
    """
    mo = voice.filter((voice.direction == "MO") & voice.cell_id.notnull())
    mo = mo.join(flagged, mo.caller == flagged.subscriber_id)
    per = mo.group_by(subscriber_id=mo.caller, cell_id=mo.cell_id).aggregate(calls=ibis._.count())
    place = cells.select("cell_id", "city", "lat", "lon")
    return per.left_join(place, "cell_id").select(
        "subscriber_id", "cell_id", "city", "lat", "lon", "calls"
    )


def write_cases(
    con: BaseBackend,
    t: dict[str, ir.Table],
    folder: Path,
    fraud_list: pd.DataFrame,
    feats: pd.DataFrame,
    sims: pd.DataFrame,
    contact_rows: pd.DataFrame,
    as_of: dt.date,
) -> int:
    """Write ``folder/<subscriber_id>.json`` for every listed number; returns the count."""
    folder.mkdir(parents=True, exist_ok=True)
    for old in folder.glob("*.json"):
        old.unlink()  # a re-run replaces the day's cases
    if fraud_list.empty:
        return 0
    flagged = ibis.memtable(fraud_list[["subscriber_id"]])
    calls = con.to_pyarrow(sample_calls(t["voice"], flagged)).to_pandas()
    times = calls.groupby("caller")[["first_seen", "last_seen"]].first()
    feats = feats.set_index("subscriber_id")
    reached = contact_rows.groupby("fraud").agg(
        reached=("victim", "size"),
        answered=("answered", lambda s: int((s > 0).sum())),
        warned=("points", lambda s: int((s >= WARN_POINTS).sum())),
    )
    by_caller = {k: g for k, g in calls.groupby("caller")}
    for row in fraud_list.itertuples(index=False):
        sid = int(row.subscriber_id)
        case = {
            "subscriber_id": sid,
            "as_of": as_of.isoformat(),
            "score": round(float(row.score), 4),
            "flagged_by": row.flagged_by,
            "rules": [r for r in row.rules.split(", ") if r],
            "reasons": row.reasons,
            "first_seen": _ts(times["first_seen"].get(sid)),
            "last_seen": _ts(times["last_seen"].get(sid)),
            "evidence": {k: plain(feats.at[sid, k]) for k in EVIDENCE},
            "account": {
                "id_card_id": plain(sims.at[sid, "id_card_id"]),
                "sales_outlet": sims.at[sid, "sales_outlet"],
                "imei_id": plain(sims.at[sid, "imei_id"]),
            },
            "subscribers_reached": _reach(reached, sid),
            "sample_calls": _calls(by_caller.get(sid)),
        }
        (folder / f"{sid}.json").write_text(json.dumps(case, indent=2, ensure_ascii=False))
    return len(fraud_list)


def _reach(reached: pd.DataFrame, sid: int) -> dict[str, int]:
    if sid not in reached.index:
        return {"reached": 0, "answered": 0, "warned": 0}
    return {k: int(v) for k, v in reached.loc[sid].items()}


def _calls(g: pd.DataFrame | None) -> list[dict[str, object]]:
    if g is None:
        return []
    g = g.sort_values("start_time", ascending=False)
    return [
        {
            "callee": int(c.callee),
            "start_time": _ts(c.start_time),
            "duration_s": int(c.duration_s),
            "cell_id": plain(c.cell_id),
        }
        for c in g.itertuples(index=False)
    ]


def _ts(v) -> str | None:
    return None if v is None or pd.isna(v) else pd.Timestamp(v).isoformat()


def plain(v):
    """A pandas/numpy scalar as a plain Python value (None for missing), for JSON."""
    if v is None or pd.isna(v):
        return None
    return v.item() if hasattr(v, "item") else v
