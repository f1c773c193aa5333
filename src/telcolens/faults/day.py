"""The fault step of ``telcolens daily``: the day's alarms correlated into incidents.

A day's run correlates the alarms raised in the two days before ``as_of``, so that a
fault that began before midnight is seen whole; its incidents keep their keys, so the
next day's load updates an incident instead of adding a second one.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import pandas as pd
from sqlalchemy.orm import Session

from telcolens import csvsafe
from telcolens.capabilities import DayContext, DemoResult
from telcolens.dataset import read_table
from telcolens.errors import BadInput, NotFound
from telcolens.faults.correlate import IncidentCorrelator, Incidents
from telcolens.faults.incidents import INCIDENTS_FILE, MAPPING_FILE
from telcolens.faults.lifecycle import MAJOR_DEVICES, load_incidents, neighbourhoods

WINDOW_DAYS = 2


@dataclass
class Window:
    """The incidents correlated from the alarms of the days before ``as_of``."""

    incidents: Incidents
    alarms: pd.DataFrame
    links: pd.DataFrame

    def load(self, session: Session, actor: str) -> object:
        """Put the incidents into the store (by key: a re-run updates, never duplicates)."""
        inc = self.incidents
        around = neighbourhoods(inc.incidents, inc.alarm_incidents, self.alarms, self.links)
        return load_incidents(session, inc.incidents, inc.alarm_incidents, actor, topology=around)


def correlate_window(data_dir: Path, out_dir: Path, as_of: dt.date) -> Window | None:
    """Correlate the alarms raised in the WINDOW_DAYS before ``as_of``; write the CSV files.

    None when no alarm was raised then (the files are written empty).
    """
    start = dt.datetime.combine(as_of - dt.timedelta(days=WINDOW_DAYS), dt.time())
    end = dt.datetime.combine(as_of, dt.time())
    days = [as_of - dt.timedelta(days=i) for i in range(WINDOW_DAYS, 0, -1)]
    alarms = read_table(data_dir, "alarms", days).to_pandas()
    links = read_table(data_dir, "links").to_pandas()
    if links.empty:
        raise NotFound(f"{data_dir}: no links table, so alarms cannot be correlated")
    alarms = alarms[(alarms.raised_at >= start) & (alarms.raised_at < end)].copy()
    # As the network was known that day: an alarm cleared later was still active.
    alarms.loc[alarms.cleared_at >= end, "cleared_at"] = pd.NaT
    out_dir.mkdir(parents=True, exist_ok=True)
    if alarms.empty:
        # A quiet network is a result, not an error: empty files, nothing to load.
        for name in (INCIDENTS_FILE, MAPPING_FILE):
            (out_dir / name).write_text("")
        return None
    result = IncidentCorrelator().fit(links).correlate(alarms.reset_index(drop=True))
    csvsafe.write_frame(result.incidents, out_dir / INCIDENTS_FILE)
    csvsafe.write_frame(result.alarm_incidents, out_dir / MAPPING_FILE)
    return Window(result, alarms, links)


def run_day_step(ctx: DayContext) -> DemoResult:
    if ctx.options:
        raise BadInput(f"faults has no day option {', '.join(sorted(ctx.options))}")
    window = correlate_window(ctx.data_dir, ctx.out_dir, ctx.as_of)
    if window is None:
        return DemoResult(summary=[("alarms -> incidents", "0 -> 0")])
    inc = window.incidents.incidents
    major = int(((inc.severity == "critical") | (inc.device_count >= MAJOR_DEVICES)).sum())
    return DemoResult(
        summary=[
            ("alarms -> incidents", f"{len(window.alarms):,} -> {len(inc):,}"),
            ("major incidents", f"{major}"),
        ],
        outputs=[ctx.out_dir / INCIDENTS_FILE],
        load=window.load,
    )
