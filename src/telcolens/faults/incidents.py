"""The incidents step over a data directory: its alarms and links in, two CSV files out."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from telcolens import csvsafe
from telcolens.dataset import read_table
from telcolens.errors import NotFound
from telcolens.faults.correlate import IncidentCorrelator, Incidents

INCIDENTS_FILE, MAPPING_FILE = "incidents.csv", "alarm_incidents.csv"


def correlate_dir(
    data: Path, out: Path, causes: frozenset[tuple[str, str]] | None = None
) -> tuple[Incidents, pd.DataFrame, pd.DataFrame]:
    """Correlate the alarms of ``data``, write incidents.csv and alarm_incidents.csv.

    Returns the incidents and the alarms and links they came from.
    """
    alarms = read_table(data, "alarms").to_pandas()
    links = read_table(data, "links").to_pandas()
    if alarms.empty or links.empty:
        raise NotFound(f"{data}: needs both an alarms and a links table with rows")
    result = IncidentCorrelator(causes=causes).fit(links).correlate(alarms)
    out.mkdir(parents=True, exist_ok=True)
    csvsafe.write_frame(result.incidents, out / INCIDENTS_FILE)
    csvsafe.write_frame(result.alarm_incidents, out / MAPPING_FILE)
    return result, alarms, links
