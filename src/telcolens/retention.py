"""Retention: how many days of each dated table a data directory keeps, and the purge.

Records are kept by whole record days (``dataset.day_part``), so a purge deletes files and
never rewrites one. A table keeps the ``N`` days before the as-of day: on 2026-12-01 with 14
days, location records of 2026-11-17 .. 2026-11-30 stay and older parts go. The day
partials computed from a table (``DIR/_partials/<table>/...``, see ``telcolens.partials``)
follow its retention, so a window never combines a partial whose records are gone.

Location records are personal data with a purpose limited to the last 14 days (the
itinerary card's), so their default is 14; the others are operators' usual keeps and
meant to be set per deployment (``TELCOLENS_RETENTION_DAYS``).
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from telcolens.dataset import part_day, part_files
from telcolens.errors import BadInput
from telcolens.schema import TABLES

PARTIALS_DIR = "_partials"

# Days kept per dated table when the settings do not say.
DEFAULT_RETENTION_DAYS: dict[str, int] = {
    "location_events": 14,
    "voice": 180,
    "sms": 180,
    "data_sessions": 90,
    "broadband_kpi": 90,
    "alarms": 365,
}


def dated_tables() -> list[str]:
    """The tables whose records are dated (``Table.time``), in schema order."""
    return [name for name, table in TABLES.items() if table.time is not None]


def retention_days(overrides: Mapping[str, int] | None = None) -> dict[str, int]:
    """Days kept per dated table: the defaults with ``overrides`` applied and checked."""
    days = dict(DEFAULT_RETENTION_DAYS)
    for table in dated_tables():
        days.setdefault(table, 365)
    for table, n in (overrides or {}).items():
        if table not in days:
            raise BadInput(
                f"retention for {table!r}: not a dated table; choose from {', '.join(days)}"
            )
        if not isinstance(n, int) or n < 1:
            raise BadInput(f"retention for {table}: {n!r} is not a whole number of days >= 1")
        days[table] = n
    return days


@dataclass
class Purged:
    """What a purge deleted (or, dry, would delete): files per table, and bytes."""

    as_of: dt.date
    days: dict[str, int] = field(default_factory=dict)  # the days kept per table
    files: dict[str, list[Path]] = field(default_factory=dict)
    bytes: int = 0

    @property
    def count(self) -> int:
        return sum(len(v) for v in self.files.values())


def expired(data_dir: Path, as_of: dt.date, days: Mapping[str, int]) -> dict[str, list[Path]]:
    """Per table, its day parts and day partials older than its retention allows."""
    out: dict[str, list[Path]] = {}
    for table, keep in days.items():
        first_kept = as_of - dt.timedelta(days=keep)
        files = [f for f in part_files(data_dir, table) if _older(f, first_kept)]
        partials = data_dir / PARTIALS_DIR / table
        if partials.is_dir():
            files += sorted(f for f in partials.rglob("*.parquet") if _older(f, first_kept))
        if files:
            out[table] = files
    return out


def _older(path: Path, first_kept: dt.date) -> bool:
    day = part_day(path)
    return day is not None and day < first_kept


def purge(
    data_dir: Path,
    as_of: dt.date,
    *,
    days: Mapping[str, int] | None = None,
    dry_run: bool = False,
    on_file: Callable[[Path], None] | None = None,
    tables: Iterable[str] | None = None,
) -> Purged:
    """Delete every day part and partial older than its table's retention at ``as_of``.

    ``days`` overrides the retention of some tables (default: the settings'); ``tables``
    limits the purge to those (a capability purging its own data). Only whole files
    named as a record day are deleted; undated parts (reference tables, ingested files
    not yet split by day) are never touched. ``on_file`` is called per file.
    """
    if not data_dir.is_dir():
        raise BadInput(f"{data_dir} is not a data directory")
    if days is None:
        from telcolens.settings import get_settings

        days = get_settings().retention_days
    keep = retention_days(days)
    if tables is not None:
        wanted = set(tables)
        unknown = wanted - set(keep)
        if unknown:
            raise BadInput(f"not dated tables: {', '.join(sorted(unknown))}")
        keep = {table: n for table, n in keep.items() if table in wanted}
    report = Purged(as_of=as_of, days=keep, files=expired(data_dir, as_of, keep))
    for files in report.files.values():
        for f in files:
            report.bytes += f.stat().st_size
            if not dry_run:
                os.remove(f)
            if on_file is not None:
                on_file(f)
    return report
