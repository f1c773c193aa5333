"""Watch mode: flag fraud numbers seconds after their CDR files arrive (docs/antifraud.md).

A :class:`Watcher` polls an inbox; each file unchanged between two looks is ingested,
the whole window re-run with :func:`~telcolens.antifraud.daily.run_day` into
``OUT/latest/``, and numbers new on the fraud list appended to ``OUT/flags.jsonl``.
State is only on disk (``done/``, ``failed/``, ``flags.jsonl``, the ingest log): a file
moves to ``done/`` after its flags are written, and ingest skips what it already holds,
so a restarted watcher carries on where it stopped.

What the watcher does (files taken, flags raised, runs) it logs on this module's logger,
at INFO, WARNING for a file ignored or left, ERROR for a failure; ``telcolens antifraud
watch`` shows those records as lines on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import re
import shutil
import threading
import time
import traceback
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd
from ibis.backends import BaseBackend

from telcolens.antifraud.daily import DayResult, run_day
from telcolens.errors import TelcolensError
from telcolens.ingest import FileReport, IngestError, ingest_files
from telcolens.privacy import mask
from telcolens.schema import TABLES

log = logging.getLogger(__name__)

ID = "subscriber_id"
ACCEPTED = (".csv", ".csv.gz", ".parquet")
IN_PROGRESS = (".tmp", ".part")
WATCH_TABLES = ("voice", "sms", "data_sessions", "location_events")
WATCH_NAMES = ", ".join(WATCH_TABLES)
DEFAULT_TABLE = "voice"
DONE, FAILED, LATEST, FLAGS = "done", "failed", "latest", "flags.jsonl"
RUN_OPTIONS = ("con", "model_dir", "rules_path", "whitelist", "reinstatements")
# --once gives a file still being written this many looks to settle before giving up.
DRAIN_ROUNDS = 30


def table_for(name: str) -> str:
    """The table a delivered file belongs to, from its name's prefix (voice by default).

    Raises IngestError for a prefix that is a table outside :data:`WATCH_TABLES`, or a
    word that only starts a table name (``data_...``): guessing would misfile records.
    """
    low = name.lower()
    for table in sorted(TABLES, key=len, reverse=True):
        if re.match(rf"{table}(?=[_\-.\d])", low):
            if table not in WATCH_TABLES:
                raise IngestError(name, f"not a {WATCH_NAMES} file: use telcolens ingest")
            return table
    word = re.match(r"[a-z]+", low)
    if word and any(t.startswith(word.group()) for t in TABLES):
        raise IngestError(
            name,
            f"unknown table prefix {word.group()!r}: "
            f"start the name with one of {WATCH_NAMES} (no prefix: voice)",
        )
    return DEFAULT_TABLE


@dataclass(frozen=True)
class Delivery:
    """A file seen in the inbox: its size and mtime at the last look, and when first seen."""

    path: Path
    size: int
    mtime_ns: int
    seen_at: float


@dataclass
class FileOutcome:
    """What became of one delivered file."""

    name: str
    table: str | None
    status: str  # "ingested", "already ingested" or "failed"
    rows: int
    seen_at: float
    finished_at: float
    new_flags: int = 0
    error: str | None = None

    @property
    def seconds(self) -> float:
        """From first seen to moved into done/ or failed/."""
        return self.finished_at - self.seen_at


@dataclass
class Watcher:
    """Polls ``inbox``, ingests into ``data_dir``, re-runs the day into ``out/latest``.

    The run options (``con``, ``model_dir``, ``rules_path``, ``whitelist``,
    ``reinstatements``) are those of :func:`run_day`. ``outcomes`` and ``flags`` collect
    what this watcher did: one entry per file, and the lines it added to flags.jsonl.

    Every run uses the one connection ``con`` rather than a fresh one per file: each
    run registers the data directory's tables anew (:func:`telcolens.engine.tables`),
    so it reads the files ingested since the last, and a reused connection spares each
    file the engine's start-up (a Spark session's seconds count against time-to-flag).
    The runs are one after another, on the thread that polls, so the connection is never
    used by two at once.
    """

    inbox: Path
    data_dir: Path
    out: Path
    con: BaseBackend = field(kw_only=True)
    model_dir: Path | None = None
    rules_path: Path | None = None
    whitelist: Path | None = None
    reinstatements: Path | None = None
    outcomes: list[FileOutcome] = field(default_factory=list)
    flags: list[dict] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.inbox, self.data_dir, self.out = Path(self.inbox), Path(self.data_dir), Path(self.out)
        self._seen: dict[str, Delivery] = {}
        self._ignored: set[str] = set()
        self._known: set[int] | None = None

    def start(self) -> None:
        """Read the flags reported so far; on a first start, record the list as it stands.

        Numbers already flagged by the data present at the first start go to
        ``flags.jsonl`` with no file, so they are not later reported as new.
        """
        if self._known is not None:
            return
        for folder in (self.inbox / DONE, self.inbox / FAILED, self.out):
            folder.mkdir(parents=True, exist_ok=True)
        flags = self.out / FLAGS
        if flags.exists():
            self._known = read_flagged(flags)
            log.info("%s numbers already reported in %s", f"{len(self._known):,}", flags)
            return
        self._known = set()
        result = self._run()
        entries = self._new_flags(result, [], time.time()) if result else []
        _append(flags, entries)
        log.info("Starting list: %s numbers flagged before any new file", f"{len(entries):,}")

    def poll_once(self) -> list[FileOutcome]:
        """One look at the inbox: process the files unchanged since the previous look."""
        self.start()
        ready = self._look()
        if not ready:
            return []
        outcomes, ingested = self._ingest(ready)
        if ingested:
            outcomes += self._flag_and_file(ingested)
        for d in ready:
            self._seen.pop(d.path.name, None)
        self.outcomes += outcomes
        return outcomes

    def run(self, stop: threading.Event, poll: float = 2.0) -> None:
        """Poll every ``poll`` seconds until ``stop`` is set."""
        self.start()
        log.info("Watching %s every %s s", self.inbox, f"{poll:g}")
        while not stop.is_set():
            self.poll_once()
            stop.wait(poll)

    def drain(self, settle: float = 2.0) -> list[FileOutcome]:
        """Process what is in the inbox now, looking every ``settle`` seconds, then return."""
        before = len(self.outcomes)
        self.poll_once()
        for _ in range(DRAIN_ROUNDS):
            if not self._seen:
                break
            time.sleep(settle)
            self.poll_once()
        for d in self._seen.values():
            log.warning("%s kept changing; left in the inbox", mask(d.path.name))
        return self.outcomes[before:]

    def _look(self) -> list[Delivery]:
        now, ready, current = time.time(), [], {}
        for path in sorted(self.inbox.iterdir()):
            if not self._candidate(path):
                continue
            try:
                st = path.stat()
            except FileNotFoundError:  # renamed away between listing and stat
                continue
            prev = self._seen.get(path.name)
            d = Delivery(path, st.st_size, st.st_mtime_ns, prev.seen_at if prev else now)
            current[path.name] = d
            if prev and (prev.size, prev.mtime_ns) == (d.size, d.mtime_ns):
                ready.append(d)
        self._seen = current
        return ready

    def _candidate(self, path: Path) -> bool:
        name = path.name.lower()
        if name.startswith(".") or name.endswith(IN_PROGRESS) or not path.is_file():
            return False
        if name.endswith(ACCEPTED):
            return True
        if path.name not in self._ignored:
            self._ignored.add(path.name)
            log.warning("Ignoring %s: not %s", mask(path.name), ", ".join(ACCEPTED))
        return False

    def _ingest(self, ready: list[Delivery]) -> tuple[list[FileOutcome], list[tuple]]:
        """Ingest by table; a failing batch is retried file by file to isolate the bad one.

        Any error sends the file to failed/ (even a full disk: move it back to retry),
        since a file that crashed the watcher would crash it again on every restart.
        These catch-alls are deliberate: the watcher is a long-running service, not a CLI
        command; an error that is not one telcolens raises logs its traceback.
        """
        failed, groups = [], {}
        for d in ready:
            try:
                groups.setdefault(table_for(d.path.name), []).append(d)
            except IngestError as exc:
                failed.append(self._fail(d, None, exc))
        ingested: list[tuple[Delivery, str, FileReport]] = []
        for table, batch in groups.items():
            try:
                ingested += self._ingest_batch(table, batch)
            except Exception:  # retried file by file below, where it is reported
                for d in batch:
                    try:
                        ingested += self._ingest_batch(table, [d])
                    except Exception as exc:
                        _log_unexpected(exc, f"ingesting {d.path.name}")
                        failed.append(self._fail(d, table, exc))
        return failed, ingested

    def _ingest_batch(self, table: str, batch: list[Delivery]) -> list[tuple]:
        report = ingest_files(self.data_dir, table, [d.path for d in batch])
        return [(d, table, f) for d, f in zip(batch, report, strict=True)]

    def _fail(self, d: Delivery, table: str | None, exc: Exception) -> FileOutcome:
        message = mask(str(exc) if isinstance(exc, IngestError) else f"{d.path}: {exc!r}")
        dest = _move(d.path, self.inbox / FAILED)
        if dest is not None:
            dest.with_name(f"{dest.name}.error.txt").write_text(message + "\n", encoding="utf-8")
        log.error("%s failed: %s", mask(d.path.name), message)
        return FileOutcome(d.path.name, table, "failed", 0, d.seen_at, time.time(), error=message)

    def _flag_and_file(self, ingested: list[tuple]) -> list[FileOutcome]:
        batch = [d for d, _, _ in ingested]
        result = self._run()
        entries = self._new_flags(result, batch, time.time()) if result else []
        _append(self.out / FLAGS, entries)
        self.flags += entries
        for e in entries:
            log.info(
                "NEW FLAG %s by %s, %.1f s after %s was seen",
                e[ID],
                e["flagged_by"],
                e["seconds_to_flag"],
                mask(e["file"]),
            )
        outcomes = []
        for d, table, f in ingested:
            _move(d.path, self.inbox / DONE)
            o = FileOutcome(d.path.name, table, f.status, f.rows, d.seen_at, time.time())
            o.new_flags = len(entries)
            outcomes.append(o)
            log.info(
                "%s: %s rows %s into %s, %d new flag(s), done %.1f s after it was seen",
                mask(o.name),
                f"{o.rows:,}",
                o.status,
                table,
                o.new_flags,
                o.seconds,
            )
        return outcomes

    def _run(self) -> DayResult | None:
        """run_day into a fresh folder, then swap it in as ``latest``; None if it fails."""
        tmp = self.out / f".latest-{uuid.uuid4().hex}"
        started = time.perf_counter()
        try:
            result = run_day(self.data_dir, tmp, **{k: getattr(self, k) for k in RUN_OPTIONS})
        except Exception as exc:  # a failed run must not stop the watcher; the next one catches up
            _log_unexpected(exc, "the run")
            shutil.rmtree(tmp, ignore_errors=True)
            log.error("Run failed: %s", mask(f"{type(exc).__name__}: {exc}"))
            return None
        _publish(tmp, self.out / LATEST)
        seconds = time.perf_counter() - started
        log.info(
            "Run as of %s: %s on the list (%.1f s)",
            result.as_of,
            f"{len(result.fraud_list):,}",
            seconds,
        )
        return result

    def _new_flags(self, result: DayResult, batch: list[Delivery], now: float) -> list[dict]:
        assert self._known is not None
        new = result.fraud_list[~result.fraud_list[ID].isin(list(self._known))]
        first = min(batch, key=lambda d: d.seen_at) if batch else None
        entries = [_entry(row, batch, first, now) for row in new.itertuples(index=False)]
        self._known.update(e[ID] for e in entries)
        return entries


def watch(
    inbox: Path,
    data_dir: Path,
    out: Path,
    *,
    poll: float = 2.0,
    once: bool = False,
    stop: threading.Event | None = None,
    **options,
) -> list[FileOutcome]:
    """Watch ``inbox`` until ``stop`` is set (or, with ``once``, until it is processed).

    ``options`` are :class:`Watcher`'s run options (``con`` among them). Returns what
    became of each file.
    """
    watcher = Watcher(Path(inbox), Path(data_dir), Path(out), **options)
    if once:
        return watcher.drain(settle=poll)
    watcher.run(stop or threading.Event(), poll)
    return watcher.outcomes


def read_flagged(path: Path) -> set[int]:
    """The numbers in a ``flags.jsonl`` (a line cut short by a crash is skipped)."""
    known = set()
    for line in path.read_text("utf-8").splitlines():
        try:
            known.add(int(json.loads(line)[ID]))
        except (ValueError, KeyError, TypeError):
            continue
    return known


def _entry(row, batch: list[Delivery], first: Delivery | None, now: float) -> dict:
    return {
        ID: int(getattr(row, ID)),
        "flagged_at": _iso(now),
        "file": ", ".join(d.path.name for d in batch) or None,
        "file_seen_at": _iso(first.seen_at) if first else None,
        "seconds_to_flag": round(now - first.seen_at, 3) if first else None,
        "score": float(row.score) if pd.notna(row.score) else None,
        "flagged_by": row.flagged_by,
        "reasons": row.reasons,
    }


def _append(path: Path, entries: list[dict]) -> None:
    with open(path, "a", encoding="utf-8") as f:
        f.write("".join(json.dumps(e, ensure_ascii=False) + "\n" for e in entries))
        f.flush()
        os.fsync(f.fileno())


def _move(path: Path, folder: Path) -> Path | None:
    """Move ``path`` into ``folder`` without overwriting; None if it has gone meanwhile."""
    folder.mkdir(parents=True, exist_ok=True)
    dest, n = folder / path.name, 0
    while dest.exists() or dest.with_name(f"{dest.name}.error.txt").exists():
        n += 1
        dest = folder / f"{path.name}.{n}"
    try:
        os.replace(path, dest)
    except FileNotFoundError:  # taken back by whoever delivered it
        return None
    return dest


def _publish(tmp: Path, latest: Path) -> None:
    # A reader of latest/ sees the old run or the new one (or, for an instant, none),
    # never half of one.
    old = latest.with_name(f".{latest.name}-old-{uuid.uuid4().hex}")
    if latest.exists():
        os.replace(latest, old)
    os.replace(tmp, latest)
    shutil.rmtree(old, ignore_errors=True)


def _iso(seconds: float) -> str:
    return datetime.fromtimestamp(seconds, UTC).isoformat(timespec="milliseconds")


def _log_unexpected(exc: Exception, doing: str) -> None:
    """Log the traceback of an error telcolens did not raise on purpose: a bug to fix."""
    if not isinstance(exc, TelcolensError):  # masked: the traceback may quote a CDR
        trace = "".join(traceback.format_exception(exc)).rstrip()
        log.error("watch: %s failed\n%s", doing, mask(trace))
