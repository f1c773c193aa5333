"""The daily build: each subscriber's visited cities of one window, into the index.

``build`` reads the location records (and the cells of calls, SMS and data sessions when
those tables are present) of the window and the day before it (so a stay running into
the window has its start and a ping-pong at midnight its context), computes stays and
visits on the engine (:mod:`telcolens.itinerary.stays`) and writes:

- ``INDEX/visits.sqlite``: the visits, for lookups (:mod:`telcolens.itinerary.index`);
- ``INDEX/stays.parquet``: the window's stays (subscriber, city, start, end) cut to its
  days, for the aggregate per city and for checks. Nothing older than the window is kept.
"""

from __future__ import annotations

import datetime as dt
import os
import time
from dataclasses import dataclass, field
from pathlib import Path

import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from telcolens import engine as engines
from telcolens.dataset import part_files
from telcolens.itinerary.index import Window, write_index
from telcolens.itinerary.stays import (
    DEFAULTS,
    SIGHTING_TABLES,
    StaySettings,
    clip,
    located,
    sightings,
)
from telcolens.itinerary.stays import stays as stays_of
from telcolens.itinerary.stays import visits as visits_of
from telcolens.progress import Progress, reporter

STAYS_FILE = "stays.parquet"


@dataclass
class Built:
    """What a build wrote and how much."""

    index: Path
    window: Window
    subscribers: int
    visits: int
    stays: int
    sources: tuple[str, ...]
    seconds: float = 0.0
    cities: dict[str, int] = field(default_factory=dict)


def window_stays(
    t: dict[str, ir.Table],
    as_of: dt.date,
    settings: StaySettings,
    sources: tuple[str, ...] = SIGHTING_TABLES,
) -> ir.Table:
    """The stays of the window answered on ``as_of``, cut to it, from the records of ``t``."""
    first, last = settings.window(as_of)
    # The window's days plus the one before (context); none after its last day.
    cut = engines.in_window(t, last + dt.timedelta(days=1), (last - first).days + 2)
    seen = located(sightings(cut, sources), t["cells"])
    return clip(stays_of(seen, settings), first, last)


def present_sources(data_dir: Path) -> tuple[str, ...]:
    """The sighting tables ``data_dir`` has records of (location_events always counts)."""
    return tuple(
        name for name in SIGHTING_TABLES if name == "location_events" or part_files(data_dir, name)
    )


def build(
    data_dir: Path,
    as_of: dt.date,
    out: Path,
    *,
    settings: StaySettings = DEFAULTS,
    con: BaseBackend | None = None,
    progress: Progress | None = None,
) -> Built:
    """Compute the window's stays and visits on ``con`` and write the index at ``out``."""
    started = time.perf_counter()
    report = reporter(progress)
    con = con or engines.connect()
    t = engines.tables(con, data_dir, require=("cells", "location_events"))
    sources = present_sources(data_dir)
    first, last = settings.window(as_of)
    window = Window(as_of=as_of, start=first, end=last, min_stay_hours=settings.min_stay_hours)
    report("stays", 0, 2)
    out.mkdir(parents=True, exist_ok=True)
    stays_path = _tmp(out)
    try:
        engines.write_parquet(con, window_stays(t, as_of, settings, sources), stays_path)
        report("visits", 1, 2)
        stay_t = con.read_parquet(str(stays_path))
        rows = con.to_pyarrow(visits_of(stay_t, as_of, settings))
        path = write_index(out, window, _rows(rows), extra_meta=_meta(settings, sources))
        os.replace(stays_path, out / STAYS_FILE)
    finally:
        stays_path.unlink(missing_ok=True)
    report("visits", 2, 2)
    cities = rows.group_by("city").aggregate([("subscriber_id", "count")]).to_pylist()
    return Built(
        index=path,
        window=window,
        subscribers=len(set(rows["subscriber_id"].to_pylist())),
        visits=rows.num_rows,
        stays=pq.ParquetFile(out / STAYS_FILE).metadata.num_rows,
        sources=sources,
        seconds=time.perf_counter() - started,
        cities={r["city"]: r["subscriber_id_count"] for r in cities},
    )


def _tmp(out: Path) -> Path:
    # Not a dot-file: Spark skips those even when named.
    return out / f"stays-{os.getpid()}.tmp.parquet"


def _rows(rows: pa.Table):
    cols = [rows[c].to_pylist() for c in ("subscriber_id", "city", "first_day", "last_day")]
    return zip(*cols, rows["hours"].to_pylist(), strict=True)


def _meta(settings: StaySettings, sources: tuple[str, ...]) -> dict[str, str]:
    return {
        "window_days": str(settings.window_days),
        "lag_days": str(settings.lag_days),
        "cumulative": str(settings.cumulative).lower(),
        "pingpong_minutes": repr(settings.pingpong_minutes),
        "boundary": settings.boundary,
        "sources": ",".join(sources),
    }
