"""Mobile data sessions (xDR summaries per application)."""

import pyarrow as pa

from telcolens.schema._table import TIMESTAMP, Column, Table, subscriber_column

APPS = ("video", "social", "web", "gaming", "maps", "messaging", "payment", "other")

DATA_SESSIONS = Table(
    name="data_sessions",
    domain="data",
    description="Data sessions summarised per subscriber, application class and cell.",
    key=("subscriber_id", "start_time", "app"),
    time="start_time",
    columns=(
        subscriber_column(),
        Column("start_time", TIMESTAMP, "Session start (China Standard Time)."),
        Column("duration_s", pa.int32(), "Session length.", minimum=0, maximum=86_400, unit="s"),
        Column("app", pa.string(), "Application class from DPI.", allowed=APPS),
        Column("bytes_up", pa.int64(), "Uplink volume.", minimum=0, unit="bytes"),
        Column("bytes_down", pa.int64(), "Downlink volume.", minimum=0, unit="bytes"),
        Column("cell_id", pa.int64(), "Serving cell at session start.", nullable=True),
    ),
)
