"""Publishing a province's records, and what the data directory should then hold."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc

from telcolens.dataset import read_table
from telcolens.schema import TABLES
from telcolens.streams import PublishReport, StreamNames, connect, province_batches
from telcolens.streams import publish_batches as _publish

# Every column: rows equal in the natural key but not otherwise still sort the same way.
VOICE_KEY = [(c, "ascending") for c in TABLES["voice"].names]


def publish(
    names: StreamNames,
    province: Path,
    table: str = "voice",
    days: list[dt.date] | None = None,
    rows_per_message: int = 5_000,
) -> PublishReport:
    async def run() -> PublishReport:
        nc = await connect()
        try:
            batches = province_batches(province, table, days)
            return await _publish(nc, names, table, batches, rows_per_message=rows_per_message)
        finally:
            await nc.close()

    return asyncio.run(run())


def expected_voice(province: Path, days: list[dt.date] | None = None) -> pa.Table:
    """The province's voice rows as the stream delivers them: IMEIs are not replayed."""
    data = read_table(province, "voice")
    if days is not None:
        data = data.filter(pc.is_in(pc.cast(data["start_time"], pa.date32()), pa.array(days)))
    imei = data.schema.get_field_index("imei_id")
    return data.set_column(imei, "imei_id", pa.nulls(data.num_rows, pa.int64()))


def same_rows(got: pa.Table, want: pa.Table) -> bool:
    """Equal as multisets of rows (order of parts and rows aside)."""
    return got.num_rows == want.num_rows and got.sort_by(VOICE_KEY).equals(want.sort_by(VOICE_KEY))
