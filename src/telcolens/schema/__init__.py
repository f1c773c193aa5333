"""The telcolens data model: every stored table, one module per domain.

A data directory holds one folder per table (``DIR/voice/*.parquet``) with the
schema given here; ``DIR/truth/`` holds a synthetic province's ground truth.
See docs/data-model.md.
"""

from telcolens.errors import BadInput
from telcolens.schema._table import DATE, TIMESTAMP, Column, Table
from telcolens.schema.broadband import (
    BROADBAND_COMPLAINTS,
    BROADBAND_KPI,
    BROADBAND_LINES,
    BROADBAND_REPAIRS,
)
from telcolens.schema.cells import CELLS
from telcolens.schema.data import DATA_SESSIONS
from telcolens.schema.location import LOCATION_EVENTS
from telcolens.schema.network import ALARMS, LINKS, NETWORK_ELEMENTS
from telcolens.schema.sms import SMS
from telcolens.schema.subscribers import DEVICES, SUBSCRIBERS
from telcolens.schema.voice import VOICE

TABLES: dict[str, Table] = {
    t.name: t
    for t in (
        SUBSCRIBERS,
        DEVICES,
        CELLS,
        VOICE,
        SMS,
        DATA_SESSIONS,
        LOCATION_EVENTS,
        BROADBAND_LINES,
        BROADBAND_KPI,
        BROADBAND_COMPLAINTS,
        BROADBAND_REPAIRS,
        NETWORK_ELEMENTS,
        LINKS,
        ALARMS,
    )
}


def get_table(name: str) -> Table:
    """The table called ``name``, or :class:`~telcolens.errors.BadInput` listing the known ones."""
    try:
        return TABLES[name]
    except KeyError:
        raise BadInput(f"unknown table {name!r}; known tables: {', '.join(TABLES)}") from None


__all__ = [
    "ALARMS",
    "BROADBAND_COMPLAINTS",
    "BROADBAND_KPI",
    "BROADBAND_LINES",
    "BROADBAND_REPAIRS",
    "CELLS",
    "DATA_SESSIONS",
    "DATE",
    "DEVICES",
    "LINKS",
    "LOCATION_EVENTS",
    "NETWORK_ELEMENTS",
    "SMS",
    "SUBSCRIBERS",
    "TABLES",
    "TIMESTAMP",
    "VOICE",
    "Column",
    "Table",
    "get_table",
]
