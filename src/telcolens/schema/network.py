"""Network elements, the links between them, and their alarms."""

import pyarrow as pa

from telcolens.schema._table import TIMESTAMP, Column, Table

NE_TYPES = (
    "core_router",
    "aggregation_switch",
    "access_switch",
    "olt",
    "enodeb",
    "gnodeb",
    "power_unit",
)
SEVERITIES = ("critical", "major", "minor", "warning", "indeterminate")

NETWORK_ELEMENTS = Table(
    name="network_elements",
    domain="network",
    description="Managed devices of the transport, access and radio network.",
    key=("ne_id",),
    columns=(
        Column("ne_id", pa.string(), "Network element identifier."),
        Column("ne_type", pa.string(), "Kind of element.", allowed=NE_TYPES),
        Column("city", pa.string(), "Prefecture-level city."),
        Column("county", pa.string(), "County-level division code.", nullable=True),
        Column("lat", pa.float64(), "Latitude (WGS84).", minimum=-90, maximum=90, unit="deg"),
        Column("lon", pa.float64(), "Longitude (WGS84).", minimum=-180, maximum=180, unit="deg"),
        Column("vendor", pa.string(), "Equipment vendor.", nullable=True),
    ),
)

LINKS = Table(
    name="links",
    domain="network",
    description="Physical or logical links; a_ne_id is the upstream end where there is one.",
    key=("link_id",),
    columns=(
        Column("link_id", pa.string(), "Link identifier."),
        Column("a_ne_id", pa.string(), "Upstream element."),
        Column("b_ne_id", pa.string(), "Downstream element."),
        Column(
            "link_type",
            pa.string(),
            "Medium or dependency.",
            allowed=("fibre", "microwave", "power"),
        ),
        Column("capacity_gbps", pa.float64(), "Capacity.", nullable=True, minimum=0, unit="Gbit/s"),
    ),
)

ALARMS = Table(
    name="alarms",
    domain="network",
    description="Alarms raised by network elements, normalised from SNMP, syslog, VES or CSV.",
    key=("alarm_id",),
    time="raised_at",
    columns=(
        Column("alarm_id", pa.string(), "Identifier of this alarm occurrence."),
        Column("ne_id", pa.string(), "Element that raised it."),
        Column("alarm_type", pa.string(), "Normalised alarm type (e.g. LOS, LINK_DOWN)."),
        Column("severity", pa.string(), "ITU-T X.733 perceived severity.", allowed=SEVERITIES),
        Column("raised_at", TIMESTAMP, "When it was raised (China Standard Time)."),
        Column("cleared_at", TIMESTAMP, "When it cleared; empty while active.", nullable=True),
        Column("text", pa.string(), "Free text from the source.", nullable=True),
        Column(
            "source",
            pa.string(),
            "Where it came from.",
            allowed=("snmp", "syslog", "ves", "csv", "simulated"),
        ),
    ),
)
