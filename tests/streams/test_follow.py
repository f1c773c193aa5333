"""Followers on the stream: fraud numbers flagged within a minute, alarms into incidents."""

from __future__ import annotations

import asyncio
import json
import shutil
import time
from pathlib import Path

import pandas as pd
import sqlalchemy as sa

from telcolens.antifraud.follow import StreamFollower, follow_stream
from telcolens.antifraud.watch import FLAGS, WATCH_TABLES
from telcolens.dataset import TRUTH_DIR, part_day, part_files, table_dir
from telcolens.engine import connect
from telcolens.schema import TABLES
from telcolens.store.db import make_engine, upgrade
from tests.streams.helpers import publish


def _references(province: Path, data: Path) -> Path:
    """``data`` holding only the province's reference tables (the stream brings the rest)."""
    for name, spec in TABLES.items():
        if spec.time is None and part_files(province, name):
            shutil.copytree(table_dir(province, name), table_dir(data, name))
    return data


def test_fraud_numbers_published_on_the_stream_are_flagged_within_a_minute(
    province: Path, names, tmp_path: Path
) -> None:
    data, out = _references(province, tmp_path / "data"), tmp_path / "out"
    started = time.monotonic()
    for table in (*WATCH_TABLES, "alarms"):
        publish(names, province, table=table, rows_per_message=20_000)
    follower = StreamFollower(data, out, connect())
    total = asyncio.run(follow_stream(follower, names=names, once=True, max_wait=0.5))
    elapsed = time.monotonic() - started

    flags = [json.loads(line) for line in (out / FLAGS).read_text().splitlines()]
    assert flags and len(flags) == len(follower.flagged)
    assert max(f["seconds_to_flag"] for f in flags) < 60, flags
    planted = set(pd.read_parquet(province / TRUTH_DIR / "fraud_numbers.parquet").subscriber_id)
    assert {f["subscriber_id"] for f in flags} & planted
    assert elapsed < 300  # the whole province through, a run after each batch
    # Its own tables only: the alarms are the fault follower's.
    assert part_files(data, "voice") and not part_files(data, "alarms")
    assert all(part_day(p) for t in WATCH_TABLES for p in part_files(data, t))
    assert total.rows == sum(pd.read_parquet(table_dir(province, t)).shape[0] for t in WATCH_TABLES)


def test_alarms_on_the_stream_become_incidents_in_the_store(
    province: Path, names, tmp_path: Path
) -> None:
    from telcolens.faults.follow import follow_alarms

    data = _references(province, tmp_path / "data")
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = make_engine(url)
    upgrade(store)
    publish(names, province, table="alarms", rows_per_message=500)
    report = asyncio.run(follow_alarms(data, store, names=names, once=True, max_wait=0.5))
    assert report.rows == pd.read_parquet(table_dir(province, "alarms")).shape[0] > 0
    with store.connect() as conn:
        incidents = conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar()
    assert incidents > 0
    # Following again finds nothing new and changes nothing.
    again = asyncio.run(follow_alarms(data, store, names=names, once=True, max_wait=0.5))
    with store.connect() as conn:
        assert conn.execute(sa.text("SELECT count(*) FROM incidents")).scalar() == incidents
    assert again.rows == 0
    store.dispose()


def test_gateway_samples_on_the_stream_become_scores_and_work_orders(
    province: Path, names, tmp_path: Path
) -> None:
    from telcolens.broadband.follow import follow_kpi

    data = _references(province, tmp_path / "data")
    assert part_files(data, "broadband_lines")  # the lines are reference data
    url = f"sqlite:///{tmp_path / 'store.db'}"
    store = make_engine(url)
    upgrade(store)
    publish(names, province, table="broadband_kpi", rows_per_message=20_000)
    report = asyncio.run(follow_kpi(data, store, names=names, once=True, max_wait=0.5))
    kpi = pd.read_parquet(table_dir(province, "broadband_kpi"))
    assert report.rows == len(kpi) > 0
    last = kpi.sample_time.dt.date.max()
    sampled = kpi[kpi.sample_time.dt.date == last].line_id.nunique()
    count = "SELECT count(*) FROM {}"
    with store.connect() as conn:
        scored = conn.execute(
            sa.text("SELECT count(*) FROM broadband_line_days WHERE day = :d"), {"d": last}
        ).scalar()
        orders = conn.execute(sa.text(count.format("broadband_work_orders"))).scalar()
    assert scored == sampled and orders > 0
    # Following again finds nothing new and changes nothing.
    again = asyncio.run(follow_kpi(data, store, names=names, once=True, max_wait=0.5))
    with store.connect() as conn:
        assert conn.execute(sa.text(count.format("broadband_work_orders"))).scalar() == orders
    assert again.rows == 0
    store.dispose()
