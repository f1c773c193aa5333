"""Watch mode on the stream: flag fraud numbers seconds after their records are published.

:func:`follow_stream` is a stream consumer of its own (durable consumer
``<TELCOLENS_STREAM_CONSUMER>-antifraud``) writing the CDR and location tables into the
data directory with the intake's exactly-once effect (``telcolens.streams``); after each
micro-batch is durably written and acknowledged it runs the day again (the current day's
partials are recomputed, the week's others reused), publishes the run as ``OUT/latest/``
and appends the numbers new on the fraud list to ``OUT/flags.jsonl``, each with the time
its batch was fetched and the seconds until it was flagged. Alarms on the stream are the
fault follower's (``telcolens faults follow``): this consumer acknowledges them unwritten.

A restart carries on: the consumer's ledger is in the data directory's parts, and numbers
already in ``flags.jsonl`` are not flagged twice.
"""

from __future__ import annotations

import asyncio
import logging
import shutil
import time
import uuid
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from ibis.backends import BaseBackend

from telcolens.antifraud.daily import run_day
from telcolens.antifraud.watch import (
    FLAGS,
    ID,
    LATEST,
    WATCH_TABLES,
    _append,
    _iso,
    _log_unexpected,
    _publish,
    read_flagged,
)
from telcolens.privacy import mask
from telcolens.streams import StreamNames
from telcolens.streams.consume import BatchReport, ConsumeReport, run_consumer

log = logging.getLogger(__name__)


@dataclass
class StreamFollower:
    """Runs the day after each batch the consumer wrote; keeps the flags file."""

    data_dir: Path
    out: Path
    con: BaseBackend
    model_dir: Path | None = None
    rules_path: Path | None = None
    whitelist: Path | None = None
    reinstatements: Path | None = None
    flagged: list[dict] = field(default_factory=list)  # what this follower appended
    _known: set[int] = field(default_factory=set)

    def __post_init__(self) -> None:
        self.out.mkdir(parents=True, exist_ok=True)
        flags = self.out / FLAGS
        flags.touch()
        self._known = read_flagged(flags)

    def on_batch(self, batch: BatchReport, total: ConsumeReport) -> None:
        if not batch.tables:
            return  # only other consumers' messages, or redeliveries
        fetched = time.time() - batch.seconds
        tmp = self.out / f".latest-{uuid.uuid4().hex}"
        started = time.perf_counter()
        try:
            result = run_day(
                self.data_dir,
                tmp,
                con=self.con,
                model_dir=self.model_dir,
                rules_path=self.rules_path,
                whitelist=self.whitelist,
                reinstatements=self.reinstatements,
            )
        except Exception as exc:  # a failed run must not stop the intake; the next catches up
            _log_unexpected(exc, "the run")
            shutil.rmtree(tmp, ignore_errors=True)
            log.error("Run failed: %s", mask(f"{type(exc).__name__}: {exc}"))
            return
        _publish(tmp, self.out / LATEST)
        now = time.time()
        new = result.fraud_list[~result.fraud_list[ID].isin(list(self._known))]
        entries = [
            {
                ID: int(getattr(row, ID)),
                "flagged_at": _iso(now),
                "batch_fetched_at": _iso(fetched),
                "seconds_to_flag": round(now - fetched, 3),
                "score": float(row.score) if pd.notna(row.score) else None,
                "flagged_by": row.flagged_by,
                "reasons": row.reasons,
            }
            for row in new.itertuples(index=False)
        ]
        if entries:
            _append(self.out / FLAGS, entries)
            self._known.update(e[ID] for e in entries)
            self.flagged += entries
        log.info(
            "Batch of %s rows (%s): run as of %s in %.1f s, %d new on the list",
            f"{batch.rows:,}",
            ", ".join(batch.tables),
            result.as_of,
            time.perf_counter() - started,
            len(entries),
        )


def follower_names(names: StreamNames | None = None) -> StreamNames:
    """This follower's durable consumer beside the intake's."""
    return (names or StreamNames.from_settings()).follower("antifraud")


async def follow_stream(
    follower: StreamFollower,
    *,
    names: StreamNames | None = None,
    url: str | None = None,
    max_wait: float = 1.0,
    once: bool = False,
    stop: asyncio.Event | None = None,
) -> ConsumeReport:
    """Consume the CDR and location tables into ``follower.data_dir`` until ``stop``."""
    return await run_consumer(
        follower.data_dir,
        url=url,
        names=follower_names(names),
        max_wait=max_wait,
        once=once,
        stop=stop,
        tables=WATCH_TABLES,
        on_batch=follower.on_batch,
    )
