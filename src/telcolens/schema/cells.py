"""Radio cells: where they are and which technology they serve."""

import pyarrow as pa

from telcolens.schema._table import Column, Table

CELLS = Table(
    name="cells",
    domain="cells",
    description="One row per radio cell (4G or 5G) with its site position.",
    key=("cell_id",),
    columns=(
        Column("cell_id", pa.int64(), "Global cell identity (ECI for 4G, NCI for 5G)."),
        Column("site_id", pa.int64(), "eNodeB / gNodeB the cell belongs to."),
        Column("lat", pa.float64(), "Latitude (WGS84).", minimum=-90, maximum=90, unit="deg"),
        Column("lon", pa.float64(), "Longitude (WGS84).", minimum=-180, maximum=180, unit="deg"),
        Column("city", pa.string(), "Prefecture-level city the cell is in."),
        Column("county", pa.string(), "County-level division code the cell is in."),
        Column("rat", pa.string(), "Radio access technology.", allowed=("4G", "5G")),
    ),
)
