"""The lookup index: each subscriber's visited cities for one window, in a SQLite file.

``telcolens itinerary build`` computes the visits on the engine and writes them here;
the query API, the SMS channel and ``telcolens itinerary query`` read them. One file per
build (``INDEX/visits.sqlite``), replaced atomically: a reader sees the old window or
the new one, never half of each. Rows are keyed by the subscriber's pseudonym (never
the raw number) in a ``WITHOUT ROWID`` table, so a lookup is one B-tree descent.
"""

from __future__ import annotations

import datetime as dt
import os
import sqlite3
import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

from telcolens.errors import BadInput
from telcolens.privacy import mask, pseudonymise

INDEX_FILE = "visits.sqlite"

_SCHEMA = """
CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL) WITHOUT ROWID;
CREATE TABLE visits (
    subscriber_id INTEGER NOT NULL,
    city TEXT NOT NULL,
    first_day TEXT NOT NULL,
    last_day TEXT NOT NULL,
    hours REAL NOT NULL,
    PRIMARY KEY (subscriber_id, city)
) WITHOUT ROWID;
"""


@dataclass(frozen=True)
class CityVisit:
    """One city a subscriber stayed in: first and last day seen there, longest stay (h)."""

    city: str
    first_day: dt.date
    last_day: dt.date
    hours: float

    def to_json(self) -> dict:
        return {
            "city": self.city,
            "first_day": self.first_day.isoformat(),
            "last_day": self.last_day.isoformat(),
        }


@dataclass(frozen=True)
class Window:
    """The days an index covers (both ends included) and the day it was built for."""

    as_of: dt.date
    start: dt.date
    end: dt.date
    min_stay_hours: float

    def to_json(self) -> dict:
        return {
            "as_of": self.as_of.isoformat(),
            "from": self.start.isoformat(),
            "to": self.end.isoformat(),
            "min_stay_hours": self.min_stay_hours,
        }


@dataclass(frozen=True)
class Answer:
    """What a query returns: the window and the cities, earliest first seen first."""

    window: Window
    cities: tuple[CityVisit, ...] = field(default_factory=tuple)

    def to_json(self, number: str | None = None) -> dict:
        out = {"window": self.window.to_json(), "cities": [c.to_json() for c in self.cities]}
        if number is not None:
            out = {"number": mask(number), **out}
        return out


def write_index(
    path: Path,
    window: Window,
    visits: Iterable[tuple[int, str, dt.date, dt.date, float]],
    *,
    extra_meta: dict[str, str] | None = None,
) -> Path:
    """Write ``path/visits.sqlite`` from (subscriber_id, city, first_day, last_day, hours) rows.

    Written to a temporary file beside the index and renamed over it, so a reader never
    sees a half-written index and a failed build leaves the previous one in place.
    """
    path.mkdir(parents=True, exist_ok=True)
    final = path / INDEX_FILE
    tmp = path / f".{INDEX_FILE}.{os.getpid()}.tmp"
    tmp.unlink(missing_ok=True)
    con = sqlite3.connect(tmp)
    try:
        con.executescript(_SCHEMA)
        meta = {**window_meta(window), **(extra_meta or {})}
        con.executemany("INSERT INTO meta VALUES (?, ?)", sorted(meta.items()))
        con.executemany(
            "INSERT INTO visits VALUES (?, ?, ?, ?, ?)",
            (
                (int(s), str(c), _day(f).isoformat(), _day(last).isoformat(), float(h))
                for s, c, f, last, h in visits
            ),
        )
        con.commit()
    except BaseException:
        con.close()
        tmp.unlink(missing_ok=True)
        raise
    con.close()
    os.replace(tmp, final)
    return final


def window_meta(window: Window) -> dict[str, str]:
    return {
        "as_of": window.as_of.isoformat(),
        "window_start": window.start.isoformat(),
        "window_end": window.end.isoformat(),
        "min_stay_hours": repr(window.min_stay_hours),
    }


def _day(value: object) -> dt.date:
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


class VisitIndex:
    """A read-only handle on a built index; safe to share between threads."""

    def __init__(self, path: Path) -> None:
        file = path / INDEX_FILE if path.is_dir() else path
        if not file.is_file():
            raise BadInput(f"{path}: no itinerary index here; run `telcolens itinerary build`")
        self.file = file
        self._local = threading.local()
        meta = dict(self._con().execute("SELECT key, value FROM meta").fetchall())
        self.window = Window(
            as_of=dt.date.fromisoformat(meta["as_of"]),
            start=dt.date.fromisoformat(meta["window_start"]),
            end=dt.date.fromisoformat(meta["window_end"]),
            min_stay_hours=float(meta["min_stay_hours"]),
        )
        self.meta = meta

    def _con(self) -> sqlite3.Connection:
        # One read-only connection per thread: sqlite3 connections are not shared.
        con = getattr(self._local, "con", None)
        if con is None:
            con = sqlite3.connect(f"file:{self.file}?mode=ro", uri=True, check_same_thread=False)
            self._local.con = con
        return con

    def lookup(self, subscriber_id: int) -> Answer:
        """The cities of one pseudonymised subscriber; an empty list when never seen."""
        rows = (
            self._con()
            .execute(
                "SELECT city, first_day, last_day, hours FROM visits WHERE subscriber_id = ? "
                "ORDER BY first_day, city",
                (int(subscriber_id),),
            )
            .fetchall()
        )
        cities = tuple(
            CityVisit(c, dt.date.fromisoformat(f), dt.date.fromisoformat(last), h)
            for c, f, last, h in rows
        )
        return Answer(self.window, cities)

    def lookup_number(self, number: str) -> Answer:
        """The cities of a raw number, pseudonymised as ingest does."""
        return self.lookup(pseudonymise(number))

    def city_totals(self) -> list[tuple[str, int]]:
        """Subscribers with a stay per city, most first: the console's aggregate map."""
        return (
            self._con()
            .execute("SELECT city, COUNT(*) AS n FROM visits GROUP BY city ORDER BY n DESC, city")
            .fetchall()
        )

    def __len__(self) -> int:
        return self._con().execute("SELECT COUNT(DISTINCT subscriber_id) FROM visits").fetchone()[0]


class LatestIndex:
    """The newest build at ``path``: the index opened again when a build has replaced it.

    A build renames a new ``visits.sqlite`` over the old one; an open connection would
    keep reading the old, unlinked file (and the old window) for as long as it lives. The
    file is looked at (one ``stat``) at most every ``recheck_s`` seconds; 0 is every use.
    """

    def __init__(self, path: Path, recheck_s: float = 0.0) -> None:
        self.path = Path(path)
        self.recheck_s = recheck_s
        self._lock = threading.Lock()
        self._index: VisitIndex | None = None
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")

    def get(self) -> VisitIndex:
        """The current index; :class:`BadInput` while there is none at ``path``."""
        index = self._index
        if index is not None and time.monotonic() - self._checked < self.recheck_s:
            return index
        with self._lock:
            file = self.path / INDEX_FILE if self.path.is_dir() else self.path
            try:
                st = os.stat(file)
            except FileNotFoundError:
                self._index = None
                raise BadInput(
                    f"{self.path}: no itinerary index here; run `telcolens itinerary build`"
                ) from None
            stamp = (st.st_ino, st.st_mtime_ns, st.st_size)
            if stamp != self._stamp or self._index is None:
                self._index, self._stamp = VisitIndex(self.path), stamp
            self._checked = time.monotonic()
            return self._index

    def lookup_number(self, number: str) -> Answer:
        """The answer for a raw number from the newest build."""
        return self.get().lookup_number(number)
