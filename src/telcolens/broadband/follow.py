"""The broadband line scores on the stream: gateway samples in, the day's scores and work
orders in the store after each micro-batch.

:func:`follow_kpi` is a stream consumer of its own (durable consumer
``<TELCOLENS_STREAM_CONSUMER>-broadband``, subject ``<prefix>.broadband_kpi``) writing the
gateways' samples into the data directory with the intake's exactly-once effect. After
each micro-batch it runs the broadband day step for the latest record day received
(``as_of`` the day after it: that day's samples so far are scored, the week up to it
diagnosed) and loads the result into the store: the day's line scores replace the ones
loaded before, and each diagnosis opens or refreshes its work order, so a day's figures
fill in as its samples arrive and no order is opened twice.
"""

from __future__ import annotations

import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from sqlalchemy import Engine
from sqlalchemy.orm import Session

from telcolens import engine as engines
from telcolens.broadband.day import run_day_step
from telcolens.capabilities import DayContext
from telcolens.dataset import table_days
from telcolens.store.db import patient
from telcolens.streams import StreamNames
from telcolens.streams.consume import BatchReport, ConsumeReport, run_consumer

log = logging.getLogger(__name__)
ACTOR = "broadband-follow"
TABLE = "broadband_kpi"


def follower_names(names: StreamNames | None = None) -> StreamNames:
    """This follower's durable consumer beside the intake's."""
    return (names or StreamNames.from_settings()).follower("broadband")


async def follow_kpi(
    data_dir: Path,
    store: Engine,
    *,
    names: StreamNames | None = None,
    url: str | None = None,
    max_wait: float = 1.0,
    once: bool = False,
    stop=None,
    engine: str = "duckdb",
) -> ConsumeReport:
    """Consume gateway samples into ``data_dir`` and keep the store's scores and work orders
    current, until ``stop`` (or, with ``once``, until a fetch finds nothing)."""
    con = engines.connect(engine)

    def on_batch(batch: BatchReport, total: ConsumeReport) -> None:
        days = table_days(data_dir, TABLE)
        if not batch.tables or not days:
            return
        as_of = days[-1] + dt.timedelta(days=1)
        work = Path(tempfile.mkdtemp(prefix="broadband-follow-"))
        try:
            result = run_day_step(DayContext(data_dir, work, as_of, con))
            with Session(store) as session, session.begin(), patient(session):
                loaded = result.load(session, ACTOR)
        finally:
            shutil.rmtree(work, ignore_errors=True)
        log.info("Batch of %s samples: scores of %s loaded (%s)", batch.rows, days[-1], loaded)

    return await run_consumer(
        data_dir,
        url=url,
        names=follower_names(names),
        max_wait=max_wait,
        once=once,
        stop=stop,
        tables=(TABLE,),
        on_batch=on_batch,
    )
