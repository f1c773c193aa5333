"""Day partials: per-day aggregates of the records that combine exactly into window features.

A day run used to read the whole window (7 days) of raw records. Instead, each record day
gets small partial aggregates once, computed from that day's parts alone::

    DIR/_partials/voice/links/day-2026-11-03.parquet        per link a <= b, all legs, each
                                                             direction (a->b, b->a): first and
                                                             last call, MO and MT legs
    DIR/_partials/voice/callers/day-2026-11-03.parquet      per MO caller: calls, short,
                                                             answered, night, duration; the
                                                             day's active hours and peak hours
    DIR/_partials/voice/sightings/day-2026-11-03.parquet    distinct (subscriber, cell)
    DIR/_partials/sms/senders/...                            per (sender, recipient): SMS sent
    DIR/_partials/sms/recipients/...                         per recipient: SMS received
    DIR/_partials/sms/sightings/...
    DIR/_partials/data_sessions/users/...                    per subscriber: bytes, sessions
    DIR/_partials/data_sessions/sightings/...
    DIR/_partials/location_events/sightings/...
    DIR/_partials/<table>/inputs/day-2026-11-03.parquet     the digest of the day's parts
                                                             the partials were computed from

:func:`window_features` combines the partials of the window's days with the account facts
into exactly what ``fraud_features`` computes from the raw records of the window. Sums,
counts and maxima combine by sum and max (a clock hour never spans two days). Distinct
counts over the window (callees, callers, SMS recipients, cells, cities, days, the call
graph) combine by union: the partials keep each day's exact distinct set (of links, of
(subscriber, cell)), never a sketch, so there is no estimation error to state. The union
of those sets is kept from one as-of day to the next as the rolling window state
(``telcolens.antifraud.rolling``), so a day run merges in one day instead of seven.

A record is counted in the day of the part it sits in (the dataset's contract is that a
part holds only its day's records), where ``fraud_features`` goes by the record's time: the
two agree exactly when the contract holds.

Partials sit under the table they are computed from, so the retention purge deletes them
with that table's records (``telcolens.retention``). Reference tables (subscribers, cells,
devices) are read when combining, never baked into a partial.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import os
from collections.abc import Callable
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from telcolens import engine as engines
from telcolens.antifraud.features import (
    WINDOW_DAYS,
    account,
    assemble,
    calling_hours,
    calls_made,
)
from telcolens.dataset import day_files, day_part
from telcolens.profile.pipeline import sightings
from telcolens.progress import Progress, reporter
from telcolens.retention import PARTIALS_DIR
from telcolens.schema import TABLES

# Part of every input digest: bump it when a partial's definition changes, and every
# day's partials are recomputed on their next use.
PARTIALS_VERSION = "2"
# The partial that records which parts a day's partials were computed from.
INPUTS = "inputs"


def _count(x: ir.Value) -> ir.IntegerValue:
    return x.cast("int64")


def _voice_links(voice: ir.Table) -> ir.Table:
    """Per link of two numbers (a <= b), all legs: per direction first/last call, MO, MT legs.

    Direction ``ab`` is a calling b (a number calling itself included), ``ba`` b calling a:
    callbacks compare a pair with its reverse, which one row holds.
    """
    a, b = ibis.least(voice.caller, voice.callee), ibis.greatest(voice.caller, voice.callee)
    t = voice.mutate(a=a, b=b, ab=voice.caller <= voice.callee)
    out = {}
    for d, on in (("ab", t.ab), ("ba", ~t.ab)):
        out[f"first_{d}"] = t.start_time.min(where=on)
        out[f"last_{d}"] = t.start_time.max(where=on)
        out[f"mo_{d}"] = _count((on & (t.direction == "MO")).sum())
        out[f"mt_{d}"] = _count((on & (t.direction == "MT")).sum())
    return t.group_by(["a", "b"]).aggregate(**out)


def _voice_callers(voice: ir.Table) -> ir.Table:
    mo = voice.filter(voice.direction == "MO")
    # Distinct callees do not add up over days: they come from the pairs.
    return calls_made(mo).drop("distinct_callees").join(calling_hours(mo), "subscriber_id")


def _sms_senders(sms: ir.Table) -> ir.Table:
    mo = sms.filter(sms.direction == "MO")
    return mo.group_by(["sender", "recipient"]).aggregate(n=mo.count())


def _sms_recipients(sms: ir.Table) -> ir.Table:
    mt = sms.filter(sms.direction == "MT")
    return mt.group_by(subscriber_id=mt.recipient).aggregate(sms_in=mt.count())


def _data_users(data: ir.Table) -> ir.Table:
    return data.group_by("subscriber_id").aggregate(
        data_bytes=(data.bytes_up + data.bytes_down).sum().cast("int64"),
        data_sessions=data.count(),
    )


def _sightings_of(table: str) -> Callable[[ir.Table], ir.Table]:
    def day_sightings(records: ir.Table) -> ir.Table:
        # The profile's sightings with the other record tables empty: one source's share.
        t = {name: ibis.memtable(TABLES[name].empty()) for name in SOURCES}
        seen = sightings({**t, table: records})
        return seen.select("subscriber_id", "cell_id").distinct()

    return day_sightings


SOURCES = ("voice", "sms", "data_sessions", "location_events")
# Per source table, its partials: name -> the expression over one day's records.
PARTIALS: dict[str, dict[str, Callable[[ir.Table], ir.Table]]] = {
    "voice": {"links": _voice_links, "callers": _voice_callers},
    "sms": {"senders": _sms_senders, "recipients": _sms_recipients},
    "data_sessions": {"users": _data_users},
    "location_events": {},
}
for _source in SOURCES:
    PARTIALS[_source]["sightings"] = _sightings_of(_source)


def partial_path(data_dir: str | os.PathLike[str], table: str, name: str, day: dt.date) -> Path:
    """Where the partial ``name`` of ``table``'s records of ``day`` is stored."""
    return Path(data_dir) / PARTIALS_DIR / table / name / f"{day_part(day)}.parquet"


def _digest(parts: list[Path]) -> str:
    h = hashlib.sha256(PARTIALS_VERSION.encode())
    for f in parts:
        st = f.stat()
        h.update(f"{f.name}\0{st.st_size}\0{st.st_mtime_ns}\n".encode())
    return h.hexdigest()


def _stored_digest(path: Path) -> str | None:
    if not path.is_file():
        return None
    return pq.read_table(path, columns=["digest"]).column("digest")[0].as_py()


def _read(con: BaseBackend, files: list[Path], day: dt.date | None = None) -> ir.Table:
    """The union of Parquet ``files``, each with a ``day`` column when ``day`` is given."""
    tables = []
    for f in files:
        # Named by path and state, so a replaced file is never read through a stale view.
        st = f.stat()
        tag = hashlib.sha1(f"{f.resolve()}\0{st.st_mtime_ns}\0{st.st_size}".encode())
        t = con.read_parquet(str(f), table_name=f"tl_p_{tag.hexdigest()[:16]}")
        tables.append(t if day is None else t.mutate(day=ibis.literal(day)))
    return tables[0] if len(tables) == 1 else ibis.union(*tables, distinct=False)


def write_day_partials(
    con: BaseBackend, data_dir: str | os.PathLike[str], day: dt.date
) -> list[Path]:
    """Compute and store the partials of ``day`` for each source table; the files written.

    A table's partials are recomputed only when its parts of ``day`` changed since they
    were written (a late part, a rewritten one: their names, sizes and times are the
    digest); partials of a day whose parts are gone are deleted.
    """
    written: list[Path] = []
    for table, defs in PARTIALS.items():
        parts = day_files(data_dir, table, [day])
        marker = partial_path(data_dir, table, INPUTS, day)
        if not parts:
            for name in [*defs, INPUTS]:
                partial_path(data_dir, table, name, day).unlink(missing_ok=True)
            continue
        digest = _digest(parts)
        if _stored_digest(marker) == digest:
            continue
        records = _read(con, parts)
        for name, define in defs.items():
            written.append(
                engines.write_parquet(
                    con, define(records), partial_path(data_dir, table, name, day)
                )
            )
        # Written last: the marker says the day's partials are complete and current.
        inputs = pa.table({"digest": [digest], "parts": [",".join(f.name for f in parts)]})
        written.append(engines.write_parquet(con, ibis.memtable(inputs), marker))
    return written


def _window_partial(
    con: BaseBackend,
    data_dir: Path,
    sources: list[str],
    name: str,
    days: list[dt.date],
    *,
    with_day: bool = False,
) -> ir.Table:
    """The union over ``days`` (and ``sources``) of one partial; empty with its schema if none."""
    tables = []
    for table in sources:
        for day in days:
            path = partial_path(data_dir, table, name, day)
            if path.is_file():
                tables.append(_read(con, [path], day if with_day else None))
    if tables:
        return ibis.union(*tables, distinct=False)
    empty = PARTIALS[sources[0]][name](ibis.memtable(TABLES[sources[0]].empty()))
    if with_day:
        empty = empty.mutate(day=ibis.literal(days[0]))
    return ibis.memtable(empty.schema().to_pyarrow().empty_table())


def window_days_of(as_of: dt.date, window_days: int = WINDOW_DAYS) -> list[dt.date]:
    """The record days of the window before ``as_of``, oldest first."""
    return [as_of - dt.timedelta(days=window_days - i) for i in range(window_days)]


def window_features(
    con: BaseBackend,
    data_dir: str | os.PathLike[str],
    as_of: dt.date,
    *,
    window_days: int = WINDOW_DAYS,
    progress: Progress | None = None,
) -> ir.Table:
    """``fraud_features`` over the ``window_days`` days before ``as_of``, from day partials.

    Computes the partials the window's days lack (or whose parts changed) and the window
    state (rolled from the day before's where that is still current, else built from the
    partials), then returns the features (an Ibis expression on ``con``) combined from the
    state, the per-subscriber partials and the account facts. Equal to
    ``fraud_features(tables(con, data_dir), as_of, window_days)`` when every record sits in
    the part of its day.

    Parameters
    ----------
    progress
        Reported ``"day partials"`` once per day of the window (step *i* of
        ``window_days + 1``), then ``"window features"``.
    """
    data_dir = Path(data_dir)
    report = reporter(progress)
    days = window_days_of(as_of, window_days)
    for i, day in enumerate(days):
        report("day partials", i, len(days) + 1)
        write_day_partials(con, data_dir, day)
    report("window features", len(days), len(days) + 1)
    # The rolling state builds on this module's day partials, hence imported here.
    from telcolens.antifraud.rolling import window_measures, window_state

    state = window_state(con, data_dir, as_of, window_days)
    t = engines.tables(con, data_dir, require=("subscribers",))
    joined = account(t, as_of)
    for part in window_measures(days, t, state):
        joined = joined.left_join(part, "subscriber_id").drop("subscriber_id_right")
    return assemble(joined)
