"""Voice call detail records (CDRs)."""

import pyarrow as pa

from telcolens.schema._table import TIMESTAMP, Column, Table

VOICE = Table(
    name="voice",
    domain="voice",
    description=(
        "Voice CDRs as the switch writes them: one record per call leg served by the "
        "operator. 'MO' (mobile-originated) is written for the caller, 'MT' "
        "(mobile-terminated) for the callee; a call between two of our subscribers has "
        "both, a call to or from another network has one. Cell and IMEI are those of the "
        "served party."
    ),
    key=("caller", "callee", "start_time", "direction"),
    time="start_time",
    columns=(
        Column("caller", pa.int64(), "Pseudonym of the calling number.", pseudonym="number"),
        Column("callee", pa.int64(), "Pseudonym of the called number.", pseudonym="number"),
        Column("start_time", TIMESTAMP, "Call set-up time (China Standard Time)."),
        Column(
            "duration_s",
            pa.int32(),
            "Conversation time; 0 for an unanswered call.",
            minimum=0,
            maximum=86_400,
            unit="s",
        ),
        Column("direction", pa.string(), "Which party the record is for.", allowed=("MO", "MT")),
        Column("cell_id", pa.int64(), "Serving cell of the served party.", nullable=True),
        Column(
            "imei_id",
            pa.int64(),
            "Pseudonym of the served party's IMEI.",
            nullable=True,
            pseudonym="imei",
            source_name="imei",
        ),
    ),
)
