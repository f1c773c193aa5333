"""Sinks that store alarms in batches: :class:`ParquetSink` appends parts to a data
directory's ``alarms`` table; ``stream_sink.StreamSink`` publishes them to the stream."""

from __future__ import annotations

import logging
import threading
import uuid
from collections import OrderedDict
from datetime import datetime
from pathlib import Path
from typing import Any

import pyarrow as pa

from telcolens.dataset import day_part, split_days, write_part
from telcolens.errors import TelcolensError
from telcolens.faults.receivers._alarm import Alarm, now_cst
from telcolens.schema.network import ALARMS

log = logging.getLogger("telcolens.faults.receivers")


class BatchSink:
    """Collects alarms and stores them in batches (:meth:`_store`, a subclass's).

    A batch is stored every ``max_rows`` alarms or ``max_seconds`` seconds,
    whichever comes first, by a background thread (so the receivers' event loop
    never waits on the disk or the network), and once more on :meth:`close`.

    The table is append-only, so a clear becomes a second row: it reuses the
    ``alarm_id`` of the open raise of the same ``(ne_id, alarm_type)`` that this sink
    has seen, with that raise's ``raised_at`` and severity, and sets ``cleared_at``.
    Readers take, per ``alarm_id``, the row with ``cleared_at`` where there is one.
    A clear whose raise this sink never saw gets a new ``alarm_id`` and, if its
    source does not say when the alarm began, ``raised_at = cleared_at``.

    If storing fails (disk full, stream unreachable) the rows are kept and retried at the
    next flush; beyond ``max_pending`` rows the oldest are dropped and counted in ``dropped``.
    """

    def __init__(
        self,
        *,
        max_rows: int = 1000,
        max_seconds: float = 5.0,
        max_pending: int = 1_000_000,
        max_open: int = 1_000_000,
    ) -> None:
        self.max_rows = max_rows
        self.max_seconds = max_seconds
        self.max_pending = max_pending
        self.max_open = max_open
        self.written = 0
        self.parts = 0
        self.dropped = 0
        self._rows: list[dict] = []
        self._open: OrderedDict[tuple[str, str], tuple[str, datetime, str]] = OrderedDict()
        self._lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._wake = threading.Event()
        self._closed = threading.Event()
        self._thread: threading.Thread | None = None

    def __call__(self, alarm: Alarm) -> None:
        with self._lock:
            self._rows.append(self._row(alarm))
            if len(self._rows) > self.max_pending:
                excess = len(self._rows) - self.max_pending
                del self._rows[:excess]
                self.dropped += excess
            full = len(self._rows) >= self.max_rows
        if full:
            self._wake.set()

    def start(self) -> BatchSink:
        """Start the background flushing thread; returns self."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name="alarm-sink", daemon=True)
            self._thread.start()
        return self

    def close(self) -> None:
        """Stop the thread and write what is left."""
        self._closed.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join()
            self._thread = None
        self.flush()

    def __enter__(self) -> BatchSink:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def pending(self) -> int:
        return len(self._rows)

    def flush(self) -> int:
        """Write the collected rows as one part now; returns how many were written."""
        with self._write_lock:
            with self._lock:
                rows, self._rows = self._rows, []
            if not rows:
                return 0
            try:
                self._store(pa.Table.from_pylist(rows, schema=ALARMS.arrow_schema()))
            # Deliberately broad: the sink's thread must outlive a failed write (a full
            # disk, or a bug) and keep the rows for the next try. Not a CLI or API
            # catch-all: anything but an OSError logs its traceback, to be fixed.
            except Exception as exc:
                log.warning(
                    "alarm sink: storing %d alarms failed: %r",
                    len(rows),
                    exc,
                    # A full disk or an unreachable stream says it all.
                    exc_info=not isinstance(exc, OSError | TelcolensError),
                )
                with self._lock:
                    self._rows[:0] = rows
                return 0
            self.written += len(rows)
            self.parts += 1
            return len(rows)

    @property
    def where(self) -> str:
        """Where the alarms go, in words."""
        raise NotImplementedError

    def _store(self, data: pa.Table) -> None:
        """Store one batch of rows (the ``alarms`` table's schema); raise if it fails."""
        raise NotImplementedError

    def _run(self) -> None:
        while not self._closed.is_set():
            self._wake.wait(self.max_seconds)
            self._wake.clear()
            if not self._closed.is_set():
                self.flush()

    def _row(self, alarm: Alarm) -> dict:
        key = (alarm.ne_id, alarm.alarm_type)
        if not alarm.is_clear:
            alarm_id = uuid.uuid4().hex
            self._open[key] = (alarm_id, alarm.raised_at, alarm.severity)  # type: ignore[assignment]
            self._open.move_to_end(key)
            if len(self._open) > self.max_open:
                self._open.popitem(last=False)  # forget the oldest open alarm
            return _as_row(alarm, alarm_id, alarm.raised_at, alarm.severity)  # type: ignore[arg-type]
        opened = self._open.pop(key, None)
        if opened is None:
            return _as_row(alarm, uuid.uuid4().hex, alarm.raised_at or alarm.at, alarm.severity)
        alarm_id, raised_at, severity = opened
        return _as_row(alarm, alarm_id, raised_at, severity)


class ParquetSink(BatchSink):
    """Writes the alarms as Parquet parts of ``DIR/alarms/``.

    Each part appears whole or not at all (:func:`telcolens.dataset.write_part` renames
    it into place).
    """

    def __init__(self, data_dir: str | Path, **batching: Any) -> None:
        super().__init__(**batching)
        self.data_dir = Path(data_dir)

    @property
    def where(self) -> str:
        return str(self.data_dir)

    def _store(self, data: pa.Table) -> None:
        # One part per record day of the batch (day-2026-11-30.receive-...), so day runs
        # and retention find the alarms by name like every other record.
        name = _part_name()
        for day, piece in split_days(ALARMS, data):
            write_part(self.data_dir, ALARMS, piece, day_part(day, name) if day else name)


def _as_row(alarm: Alarm, alarm_id: str, raised_at: datetime, severity: str) -> dict:
    return {
        "alarm_id": alarm_id,
        "ne_id": alarm.ne_id,
        "alarm_type": alarm.alarm_type,
        "severity": severity,
        "raised_at": raised_at,
        "cleared_at": alarm.cleared_at,
        "text": alarm.text,
        "source": alarm.source,
    }


def _part_name() -> str:
    # Sorted by time, unique across receivers writing to the same directory.
    return f"receive-{now_cst():%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
