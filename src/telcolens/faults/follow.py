"""The fault correlator on the stream: alarms in, incidents in the store within seconds.

:func:`follow_alarms` is a stream consumer of its own (durable consumer
``<TELCOLENS_STREAM_CONSUMER>-faults``, subject ``<prefix>.alarms``: the receivers publish
there with ``telcolens faults receive --to-stream``) writing alarms into the data directory
with the intake's exactly-once effect. After each micro-batch it correlates the alarms of
the two days up to the latest one received (``faults.day``) and loads the incidents into
the store by key, so an incident grows as its alarms arrive and is never duplicated.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcolens.dataset import table_days
from telcolens.faults.day import correlate_window
from telcolens.store.db import patient
from telcolens.streams import StreamNames
from telcolens.streams.consume import BatchReport, ConsumeReport, run_consumer

log = logging.getLogger(__name__)
ACTOR = "faults-follow"


def follower_names(names: StreamNames | None = None) -> StreamNames:
    """This follower's durable consumer beside the intake's."""
    return (names or StreamNames.from_settings()).follower("faults")


def latest_alarm_day(data_dir: Path) -> dt.date | None:
    """The latest record day with alarms in ``data_dir``, from the parts' names alone."""
    days = table_days(data_dir, "alarms")
    return days[-1] if days else None


async def follow_alarms(
    data_dir: Path,
    store: Engine,
    *,
    names: StreamNames | None = None,
    url: str | None = None,
    max_wait: float = 1.0,
    once: bool = False,
    stop=None,
) -> ConsumeReport:
    """Consume alarms into ``data_dir`` and keep the store's incidents current, until ``stop``."""

    def on_batch(batch: BatchReport, total: ConsumeReport) -> None:
        day = latest_alarm_day(data_dir)
        if not batch.tables or day is None:
            return
        as_of = day + dt.timedelta(days=1)
        work = Path(tempfile.mkdtemp(prefix="faults-follow-"))
        try:
            window = correlate_window(data_dir, work, as_of)
            if window is None:
                return
            with Session(store) as session, session.begin(), patient(session):
                loaded = window.load(session, ACTOR)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("Batch of %s alarms: incidents up to %s loaded (%s)", batch.rows, day, loaded)

    return await run_consumer(
        data_dir,
        url=url,
        names=follower_names(names),
        max_wait=max_wait,
        once=once,
        stop=stop,
        tables=("alarms",),
        on_batch=on_batch,
    )
