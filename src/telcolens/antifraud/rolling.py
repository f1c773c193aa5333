"""The rolling window state: the window's distinct sets, kept from one as-of day to the next.

The features' distinct counts (callees, callers, SMS recipients, cells, cities, days, the
call graph and callbacks) need the window's distinct *sets*, and a union of seven days of
per-day sets is almost as large as the records. Instead the window ending before ``as_of``
keeps them, aggregated over the window, beside the partials::

    DIR/_partials/_window/as-of-2026-11-10/links.parquet      a <= b, mask, per direction
                                                               first and last call, MO and
                                                               MT legs
    DIR/_partials/_window/as-of-2026-11-10/sms.parquet        sender, recipient, mask, SMS
    DIR/_partials/_window/as-of-2026-11-10/sightings.parquet  subscriber, cell, mask
    DIR/_partials/_window/as-of-2026-11-10/ring-*.parquet     per subscriber, the window's
                                                               days side by side (``_ring``)
    DIR/_partials/_window/as-of-2026-11-10/manifest.parquet   the digests of the window's
                                                               day partials it was made from

``mask`` has bit *k* set when the key occurs on day *k* of the window (0 the oldest). The
state of ``as_of`` comes from that of the day before: masks shift one day (the leaving day
drops out, exactly), the new day's partial is merged in (sum, min, max), and the keys that
occurred on the leaving day and stay in the window get their sums, first and last call
recomputed from the remaining days' partials: a minimum cannot be undone by subtraction, so
only those keys are read again. Everything else is integer and timestamp arithmetic on the
same values the union of the partials would combine, so the features are identical.

The state of the day before is used only when its manifest still matches the window's
partials (a late part of an old day changes that day's digest); otherwise, and on the first
run, the state is built from the union of the window's partials.
"""

from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import ibis
import ibis.expr.types as ir
import pyarrow as pa
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from telcolens import engine as engines
from telcolens.antifraud import _ring
from telcolens.antifraud.features import graph_of
from telcolens.antifraud.partials import (
    INPUTS,
    SOURCES,
    _read,
    _stored_digest,
    _window_partial,
    partial_path,
    window_days_of,
)
from telcolens.retention import PARTIALS_DIR

WINDOW_DIR = "_window"
# Part of every manifest: bump it when the state's definition changes.
STATE_VERSION = "3"
MANIFEST = "manifest"
# The per-subscriber measures, one column per day (``_ring``): ring-calls.parquet...
RING = "ring"


@dataclass(frozen=True)
class State:
    """One window state: the day partial it is made from, its key and value columns."""

    table: str  # "" for every record table
    partial: str
    keys: tuple[str, ...]
    values: dict[str, str]  # column -> how it combines: "sum", "min" or "max"


_DIRECTED = {"first": "min", "last": "max", "mo": "sum", "mt": "sum"}
STATES: dict[str, State] = {
    # A link and its two directions in one row: callbacks compare a pair with its reverse,
    # and the call graph's edges are the links, so neither needs a self-join.
    "links": State(
        "voice",
        "links",
        ("a", "b"),
        {f"{c}_{d}": how for d in ("ab", "ba") for c, how in _DIRECTED.items()},
    ),
    "sms": State("sms", "senders", ("sender", "recipient"), {"n": "sum"}),
    "sightings": State("", "sightings", ("subscriber_id", "cell_id"), {}),
}


def state_dir(data_dir: Path, as_of: dt.date) -> Path:
    """Where the window state of ``as_of`` is kept."""
    return Path(data_dir) / PARTIALS_DIR / WINDOW_DIR / f"as-of-{as_of.isoformat()}"


def _manifest(data_dir: Path, days: list[dt.date]) -> dict[tuple[dt.date, str], str | None]:
    """Per (day, source table): the digest of the day partials the state reads."""
    return {
        (day, table): _stored_digest(partial_path(data_dir, table, INPUTS, day))
        for day in days
        for table in SOURCES
    }


def _stored_manifest(path: Path) -> dict[tuple[dt.date, str], str | None] | None:
    f = path / f"{MANIFEST}.parquet"
    if not f.is_file():
        return None
    rows = pq.read_table(f).to_pylist()
    if not rows or rows[0]["version"] != STATE_VERSION:
        return None
    return {(r["day"], r["table"]): r["digest"] for r in rows}


def _write_manifest(path: Path, manifest: dict[tuple[dt.date, str], str | None]) -> None:
    rows = [{"day": d, "table": t, "digest": g} for (d, t), g in manifest.items()]
    table = pa.Table.from_pylist(
        [{**r, "version": STATE_VERSION} for r in rows],
        schema=pa.schema(
            [
                ("day", pa.date32()),
                ("table", pa.string()),
                ("digest", pa.string()),
                ("version", pa.string()),
            ]
        ),
    )
    tmp = path / f".{MANIFEST}.parquet.tmp"
    pq.write_table(table, tmp)
    tmp.replace(path / f"{MANIFEST}.parquet")


def _day_partial(con: BaseBackend, data_dir: Path, name: str, days: list[dt.date]) -> ir.Table:
    """The rows of one state's partial over ``days``, with a ``day`` column."""
    st = STATES[name]
    sources = [st.table] if st.table else list(SOURCES)
    t = _window_partial(con, data_dir, sources, st.partial, days, with_day=True)
    return t.select(*st.keys, *st.values, "day")


def _bit(days: list[dt.date], day: ir.Value) -> ir.IntegerValue:
    """``1 << k`` for ``day`` the k-th of ``days`` (a case over the window's days)."""
    case = ibis.cases(*((day == d, 1 << k) for k, d in enumerate(days)), else_=0)
    return case.cast("int64")


def _aggregate(t: ir.Table, values: dict[str, str]) -> dict[str, ir.Value]:
    return {c: getattr(t[c], how)() for c, how in values.items()}


def _build(con: BaseBackend, data_dir: Path, name: str, days: list[dt.date]) -> ir.Table:
    """One state from the union of the window's partials."""
    st = STATES[name]
    t = _day_partial(con, data_dir, name, days)
    # One row per key and day first, so that the sum of the days' bits is their union.
    t = t.group_by([*st.keys, "day"]).aggregate(**_aggregate(t, st.values))
    return t.group_by(list(st.keys)).aggregate(
        mask=_bit(days, t.day).sum(), **_aggregate(t, st.values)
    )


def _roll(
    con: BaseBackend, data_dir: Path, name: str, old: ir.Table, days: list[dt.date]
) -> ir.Table:
    """One state of the window ``days`` from ``old``, that of the window a day earlier."""
    st = STATES[name]
    keys, values = list(st.keys), st.values
    cols = [*keys, "mask", *values]
    shifted = old.mutate(mask=old.mask >> 1, left=(old.mask & 1) == 1)
    kept = shifted.filter(shifted.mask != 0)
    parts = [kept.filter(~kept.left).select(*cols)]
    if values:
        # Keys that occurred on the leaving day: their sums, first and last call again
        # from the remaining days (a minimum cannot be undone).
        stale = kept.filter(kept.left).select(*keys, "mask")
        rest = _day_partial(con, data_dir, name, days[:-1]).semi_join(stale, keys)
        fresh = rest.group_by(keys).aggregate(**_aggregate(rest, values))
        parts.append(stale.join(fresh, keys).select(*cols))
    else:
        parts.append(kept.filter(kept.left).select(*cols))
    window = ibis.union(*parts, distinct=False)
    new = _day_partial(con, data_dir, name, days[-1:])
    # A keyed partial has one row per key; the sightings of the record tables overlap.
    new = new.select(*keys, *values) if values else new.select(*keys).distinct()
    new = new.mutate(new_mask=ibis.literal(1 << (len(days) - 1), "int64"))
    j = window.outer_join(new, keys)
    merged: dict[str, ir.Value] = {k: j[k].coalesce(j[f"{k}_right"]) for k in keys}
    merged["mask"] = j.mask.coalesce(0) + j.new_mask.coalesce(0)
    for c, how in values.items():
        x, y = j[c], j[f"{c}_right"]
        if how == "sum":
            merged[c] = (x.coalesce(0) + y.coalesce(0)).cast(new[c].type())
        else:
            pick = ibis.least if how == "min" else ibis.greatest
            merged[c] = pick(x, y).coalesce(x).coalesce(y)
    return j.select(**merged)


def window_state(
    con: BaseBackend, data_dir: Path, as_of: dt.date, window_days: int
) -> dict[str, ir.Table]:
    """The window state of ``as_of`` (rolled from the day before's, or built), on ``con``.

    The window's day partials must be current (``write_day_partials``). Returns the states
    by name, read from their files.
    """
    days = window_days_of(as_of, window_days)
    here = state_dir(data_dir, as_of)
    want = _manifest(data_dir, days)
    if _stored_manifest(here) != want:
        yesterday = as_of - dt.timedelta(days=1)
        before = state_dir(data_dir, yesterday)
        had = _stored_manifest(before)
        # The day before's window minus its first day is this window minus its last.
        usable = (
            had is not None
            and {d for d, _ in had} == set(window_days_of(yesterday, window_days))
            and all(had.get(k) == want[k] for k in want if k[0] < days[-1])
        )
        shutil.rmtree(here, ignore_errors=True)
        here.mkdir(parents=True)
        for name in STATES:
            if usable:
                expr = _roll(con, data_dir, name, _read(con, [before / f"{name}.parquet"]), days)
            else:
                expr = _build(con, data_dir, name, days)
            engines.write_parquet(con, expr, here / f"{name}.parquet")
        for name in _ring.RINGS:
            file = f"{RING}-{name}.parquet"
            if usable:
                ring = _ring.roll(con, data_dir, name, _read(con, [before / file]), days)
            else:
                ring = _ring.build(con, data_dir, name, days)
            engines.write_parquet(con, ring, here / file)
        # Written last: the state is complete and made from these partials.
        _write_manifest(here, want)
        _drop_older(data_dir, as_of)
    states = {name: _read(con, [here / f"{name}.parquet"]) for name in STATES}
    rings = {name: _read(con, [here / f"{RING}-{name}.parquet"]) for name in _ring.RINGS}
    return {**states, **{f"{RING}-{name}": t for name, t in rings.items()}}


def _drop_older(data_dir: Path, as_of: dt.date) -> None:
    """Remove the states of as-of days before ``as_of``: only a later day rolls from it."""
    for d in (Path(data_dir) / PARTIALS_DIR / WINDOW_DIR).glob("as-of-*"):
        if d.name < state_dir(data_dir, as_of).name:
            shutil.rmtree(d, ignore_errors=True)


def window_measures(
    days: list[dt.date], t: dict[str, ir.Table], state: dict[str, ir.Table]
) -> list[ir.Table]:
    """The record measures of the window, one table per family, from its state."""
    rings = {name: state[f"{RING}-{name}"] for name in _ring.RINGS}
    per_day = _ring.measures(rings, len(days))
    made = per_day["calls"]
    voice = _voice_of(state["links"])
    # As in the features: callers with calls made; receivers of at least one MT leg.
    called = voice.filter(voice.distinct_callees > 0)
    calling = made.join(
        called.select("subscriber_id", "distinct_callees", "callees", "called_back", "new_callees"),
        "subscriber_id",
    )
    into = voice.filter(voice.distinct_callers > 0)
    received = into.select("subscriber_id", "calls_in", "distinct_callers")
    sent = state["sms"]
    sms_out = sent.group_by(subscriber_id=sent.sender).aggregate(
        sms_out=sent.n.sum(), sms_recipients=sent.count()
    )
    sms_in, data_use = per_day["sms_in"], per_day["data"]
    mobility = mobility_of_masks(state["sightings"], t["cells"], len(days))
    links = state["links"].filter(lambda s: s.a != s.b)
    edges = ibis.union(links.select("a", "b"), links.select(a=links.b, b=links.a), distinct=False)
    graph = graph_of(edges, t["subscribers"])
    return [calling, received, sms_out, sms_in, data_use, mobility, graph]


def _voice_of(links: ir.Table) -> ir.Table:
    """Per number, from the links: distinct callees, callbacks, calls received and callers.

    Each link gives a row to each of its two numbers (one to a number that called itself,
    its own reverse): the pair it calls (``out``), the reverse of that pair (``back``,
    for ``features.callbacks``) and the pair that calls it (``into``).
    """
    self_loop = links.a == links.b

    def end(who: str, out: str, back: str) -> ir.Table:
        def pick(col: str, d: str) -> ir.Value:
            return ibis.ifelse(self_loop, links[f"{col}_{out}"], links[f"{col}_{d}"])

        return links.select(
            subscriber_id=links[who],
            first_out=links[f"first_{out}"],
            mo_out=links[f"mo_{out}"],
            first_in=pick("first", back),
            last_in=pick("last", back),
            mt_in=pick("mt", back),
        )

    e = ibis.union(end("a", "ab", "ba"), end("b", "ba", "ab").filter(~self_loop), distinct=False)
    out = e.first_out.notnull()
    called_back = out & e.last_in.notnull() & (e.last_in > e.first_out)
    new = out & (e.first_in.isnull() | (e.first_in > e.first_out))
    return e.group_by("subscriber_id").aggregate(
        distinct_callees=_count((e.mo_out > 0).sum()),
        callees=_count(out.sum()),
        called_back=_count(called_back.sum()),
        new_callees=_count(new.sum()),
        calls_in=e.mt_in.sum(),
        distinct_callers=_count((e.mt_in > 0).sum()),
    )


def _count(x: ir.Value) -> ir.IntegerValue:
    return x.cast("int64")


def mobility_of_masks(seen: ir.Table, cells: ir.Table, window_days: int) -> ir.Table:
    """``features.mobility_of`` from the sightings state (subscriber, cell, day mask).

    Per (subscriber, city), the days it was seen there; a day's cities are those with its
    bit, the active days those with its bit in any row (a cell without a city included).
    """
    located = seen.left_join(cells.select("cell_id", "city"), "cell_id").drop("cell_id_right")
    moves = located.group_by("subscriber_id").aggregate(
        distinct_cells=located.cell_id.nunique(), distinct_cities=located.city.nunique()
    )
    bits = range(window_days)
    by_city = located.group_by(["subscriber_id", "city"]).aggregate(
        **{f"d{k}": ((located.mask >> k) & 1).max() for k in bits}
    )
    has_city = by_city.city.notnull()
    per_day = by_city.group_by("subscriber_id").aggregate(
        **{f"any{k}": by_city[f"d{k}"].max() for k in bits},
        **{f"cities{k}": ibis.ifelse(has_city, by_city[f"d{k}"], 0).sum() for k in bits},
    )
    cities = [per_day[f"cities{k}"] for k in bits]
    busiest = cities[0] if len(cities) == 1 else ibis.greatest(*cities)
    days = per_day.select(
        "subscriber_id",
        active_days=sum((per_day[f"any{k}"] for k in bits), ibis.literal(0, "int64")),
        max_cities_per_day=busiest.cast("int64"),
    )
    return moves.join(days, "subscriber_id")
