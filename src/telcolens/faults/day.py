"""The fault step of ``telcolens daily``: the day's alarms correlated into incidents.

A day's run correlates the alarms raised in the two days before ``as_of``, so that a
fault that began before midnight is seen whole; its incidents keep their keys, so the
next day's load updates an incident instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt

import pandas as pd

from telcolens import csvsafe
from telcolens.capabilities import DayContext, DemoResult
from telcolens.dataset import read_table
from telcolens.errors import BadInput, NotFound
from telcolens.faults.correlate import IncidentCorrelator
from telcolens.faults.incidents import INCIDENTS_FILE, MAPPING_FILE
from telcolens.faults.lifecycle import MAJOR_DEVICES, load_incidents, neighbourhoods

WINDOW_DAYS = 2


def run_day_step(ctx: DayContext) -> DemoResult:
    if ctx.options:
        raise BadInput(f"faults has no day option {', '.join(sorted(ctx.options))}")
    start = dt.datetime.combine(ctx.as_of - dt.timedelta(days=WINDOW_DAYS), dt.time())
    end = dt.datetime.combine(ctx.as_of, dt.time())
    alarms = read_table(ctx.data_dir, "alarms").to_pandas()
    links = read_table(ctx.data_dir, "links").to_pandas()
    if links.empty:
        raise NotFound(f"{ctx.data_dir}: no links table, so alarms cannot be correlated")
    alarms = alarms[(alarms.raised_at >= start) & (alarms.raised_at < end)].copy()
    # As the network was known that day: an alarm cleared later was still active.
    alarms.loc[alarms.cleared_at >= end, "cleared_at"] = pd.NaT
    ctx.out_dir.mkdir(parents=True, exist_ok=True)
    if alarms.empty:
        # A quiet network is a result, not an error: empty files, nothing to load.
        for name in (INCIDENTS_FILE, MAPPING_FILE):
            (ctx.out_dir / name).write_text("")
        return DemoResult(summary=[("alarms -> incidents", "0 -> 0")])
    result = IncidentCorrelator().fit(links).correlate(alarms.reset_index(drop=True))
    csvsafe.write_frame(result.incidents, ctx.out_dir / INCIDENTS_FILE)
    csvsafe.write_frame(result.alarm_incidents, ctx.out_dir / MAPPING_FILE)
    around = neighbourhoods(result.incidents, result.alarm_incidents, alarms, links)
    inc = result.incidents
    major = int(((inc.severity == "critical") | (inc.device_count >= MAJOR_DEVICES)).sum())
    return DemoResult(
        summary=[
            ("alarms -> incidents", f"{len(alarms):,} -> {len(result.incidents):,}"),
            ("major incidents", f"{major}"),
        ],
        outputs=[ctx.out_dir / INCIDENTS_FILE],
        load=lambda session, actor: load_incidents(
            session, result.incidents, result.alarm_incidents, actor, topology=around
        ),
    )
