"""From a diagnosis to the work-order queue: one order per poor line, one per shared cause.

The diagnosis writes ``diagnoses`` (one row per line poor in the window) and ``tickets``
(one row per splitter, PON port or OLT whose lines degraded together). A line whose cause
is its element's (``ticket_element`` set) gets no order of its own: the element's ticket
stands for it (its ``lines``). :func:`order_rows` turns both into the frame
:func:`telcolens.broadband.workorders.load_work_orders` reads; :func:`load_diagnosis_files`
does it from the files a day run wrote.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pyarrow.parquet as pq
from sqlalchemy.orm import Session

from telcolens.broadband.workorders import WorkOrderLoad, load_work_orders

DIAGNOSES_FILE = "diagnoses.parquet"
TICKETS_FILE = "tickets.parquet"
ORDER_COLUMNS = (
    "scenario",
    "action",
    "day",
    "first_day",
    "line_id",
    "element",
    "element_type",
    "evidence",
    "score",
    "lines",
)


def order_rows(diagnoses: pd.DataFrame, tickets: pd.DataFrame) -> pd.DataFrame:
    """The work-order frame of a diagnosis: the lines not in a ticket, then the tickets."""
    own = diagnoses[diagnoses["ticket_element"].isna()] if len(diagnoses) else diagnoses
    line_rows = pd.DataFrame(
        {
            "scenario": own.get("scenario"),
            "action": own.get("action"),
            "day": own.get("day"),
            "first_day": own.get("first_day"),
            "line_id": own.get("line_id"),
            "evidence": own.get("evidence"),
            "score": own.get("score"),
        }
    )
    ticket_rows = pd.DataFrame(
        {
            "scenario": tickets.get("scenario"),
            "action": tickets.get("action"),
            "day": tickets.get("last_day"),
            "first_day": tickets.get("first_day"),
            "element": tickets.get("element"),
            "element_type": tickets.get("level"),
            "evidence": [_ticket_evidence(r) for r in tickets.to_dict("records")],
            "lines": [list(map(int, r)) for r in tickets.get("lines", [])],
        }
    )
    frames = [f for f in (line_rows, ticket_rows) if len(f)]
    if not frames:
        return pd.DataFrame(columns=list(ORDER_COLUMNS))
    return pd.concat(frames, ignore_index=True).reindex(columns=list(ORDER_COLUMNS))


def _ticket_evidence(ticket: dict) -> str:
    """What a ticket rests on: how many of the element's lines showed it, on how many days."""
    keys = ("n_lines", "poor_lines", "element_lines", "days", "olt_id")
    return json.dumps({k: _plain(ticket.get(k)) for k in keys if ticket.get(k) is not None})


def _plain(value):
    return value.item() if hasattr(value, "item") else value


def load_diagnosis_files(session: Session, folder: Path, actor: str) -> WorkOrderLoad:
    """Open or refresh the work orders of the diagnosis a run wrote under ``folder``."""
    diagnoses = pq.read_table(folder / DIAGNOSES_FILE).to_pandas()
    tickets = pq.read_table(folder / TICKETS_FILE).to_pandas()
    return load_work_orders(session, order_rows(diagnoses, tickets), actor)
