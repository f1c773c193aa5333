"""SMS records."""

import pyarrow as pa

from telcolens.schema._table import TIMESTAMP, Column, Table

SMS = Table(
    name="sms",
    domain="sms",
    description=(
        "SMS records, one per message leg served by the operator ('MO' for the sender, "
        "'MT' for the recipient), like voice CDRs."
    ),
    key=("sender", "recipient", "send_time", "direction"),
    time="send_time",
    columns=(
        Column("sender", pa.int64(), "Pseudonym of the sending number.", pseudonym="number"),
        Column("recipient", pa.int64(), "Pseudonym of the receiving number.", pseudonym="number"),
        Column("send_time", TIMESTAMP, "Submission time (China Standard Time)."),
        Column("direction", pa.string(), "Which party the record is for.", allowed=("MO", "MT")),
        Column("cell_id", pa.int64(), "Serving cell of the served party.", nullable=True),
    ),
)
