"""Location events: every time the network learns which cell a phone is in."""

import pyarrow as pa

from telcolens.schema._table import TIMESTAMP, Column, Table, subscriber_column

# area_update: the tracking-area update a phone sends on entering an area it is not
# registered in (another city, say); periodic_update: the timer's, in the same area.
EVENT_TYPES = (
    "attach",
    "detach",
    "periodic_update",
    "handover",
    "call",
    "sms",
    "data",
    "area_update",
)

LOCATION_EVENTS = Table(
    name="location_events",
    domain="location",
    description=(
        "Signalling-derived location records: attach, detach, periodic location update, "
        "tracking-area update on entering a new area, handover. A feed that also "
        "reports service use may send call/sms/data events; "
        "otherwise the cell of a call, SMS or data session is in its own record, and "
        "telcolens.profile.sightings() unions every source."
    ),
    key=("subscriber_id", "event_time", "cell_id"),
    time="event_time",
    columns=(
        subscriber_column(),
        Column("event_time", TIMESTAMP, "When the network saw the phone (China Standard Time)."),
        Column("cell_id", pa.int64(), "Cell the phone was in."),
        Column("event_type", pa.string(), "What produced the record.", allowed=EVENT_TYPES),
    ),
)
