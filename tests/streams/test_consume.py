"""The stream intake end to end on a real NATS JetStream: publish, consume, compare."""

from __future__ import annotations

import asyncio
import datetime as dt
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from telcolens.dataset import part_day, part_files, read_table
from telcolens.ingest import ingest_files
from telcolens.streams import Consumer, PullSource, StreamNames, connect, consume, publish_batches
from telcolens.streams._ledger import SEQS_KEY
from telcolens.streams._messages import format_ranges, parse_ranges
from tests.streams.helpers import expected_voice, publish, same_rows

DAY = dt.date(2026, 11, 2)


def test_a_day_of_voice_arrives_as_the_province_holds_it(province: Path, names, tmp_path):
    sent = publish(names, province, days=[DAY], rows_per_message=4000)
    report = consume(tmp_path, names=names, once=True, max_wait=0.5)
    want = expected_voice(province, [DAY])
    assert sent.rows == report.rows == want.num_rows > 0
    assert same_rows(read_table(tmp_path, "voice"), want)
    parts = part_files(tmp_path, "voice")
    assert [part_day(p) for p in parts] == [DAY]
    assert parts[0].name == f"day-{DAY}.s1-{sent.messages}.parquet"
    noted = pq.read_schema(parts[0]).metadata[SEQS_KEY].decode()
    assert parse_ranges(noted) == list(range(1, sent.messages + 1))


def test_records_spanning_two_days_go_to_one_part_per_day(province: Path, names, tmp_path):
    sent = publish(names, province, rows_per_message=3000)
    consume(tmp_path, names=names, once=True, max_wait=0.5, batch_rows=10_000_000)
    assert [part_day(p) for p in part_files(tmp_path, "voice")] == [DAY, DAY + dt.timedelta(1)]
    assert same_rows(read_table(tmp_path, "voice"), expected_voice(province))
    assert sent.duplicates == 0


def test_a_republished_message_is_stored_once(province: Path, names, tmp_path):
    first = publish(names, province, days=[DAY])
    again = publish(names, province, days=[DAY])
    assert again.duplicates == again.messages == first.messages
    consume(tmp_path, names=names, once=True, max_wait=0.5)
    assert same_rows(read_table(tmp_path, "voice"), expected_voice(province, [DAY]))


def test_the_stream_stores_what_ingest_stores_from_the_same_file(names, tmp_path):
    csv = tmp_path / "voice.csv"
    csv.write_text(
        "caller,callee,start_time,duration_s,direction,cell_id,imei\n"
        "13800138000,+86 139-0013-9000,2026-11-02 08:00:00,61,MO,7,490154203237518\n"
        "13900139000,13800138000,2026-11-02 23:59:59,0,MT,,\n"
        "13800138000,13700137000,2026-11-03 00:00:00,5,MO,8,490154203237518\n"
    )
    ingest_files(tmp_path / "ingested", "voice", [csv])
    from telcolens.streams import file_batches

    async def run() -> None:
        nc = await connect()
        try:
            await publish_batches(nc, names, "voice", file_batches(csv, "voice"))
        finally:
            await nc.close()

    asyncio.run(run())
    consume(tmp_path / "streamed", names=names, once=True, max_wait=0.5)
    streamed = read_table(tmp_path / "streamed", "voice")
    assert streamed.num_rows == 3
    assert same_rows(streamed, read_table(tmp_path / "ingested", "voice"))
    assert len(part_files(tmp_path / "streamed", "voice")) == 2  # one per day


def _raw_message(names: StreamNames, rows: list[dict]) -> None:
    from telcolens.schema import TABLES
    from telcolens.streams._messages import MSG_ID, ROWS, encode

    payload = encode(pa.Table.from_pylist(rows, schema=TABLES["voice"].input_schema()))

    async def run() -> None:
        nc = await connect()
        try:
            js = nc.jetstream()
            from telcolens.streams import ensure_stream

            await ensure_stream(js, names)
            headers = {MSG_ID: f"m{len(rows)}-{rows[0]['caller']}", ROWS: str(len(rows))}
            await js.publish(names.subject("voice"), payload, headers=headers)
        finally:
            await nc.close()

    asyncio.run(run())


def _row(caller: str, duration: int) -> dict:
    return {
        "caller": caller,
        "callee": "13700137000",
        "start_time": dt.datetime(2026, 11, 2, 9),
        "duration_s": duration,
        "direction": "MO",
        "cell_id": 1,
        "imei": None,
    }


def test_a_message_that_fails_the_checks_is_rejected_and_the_rest_stored(
    names, tmp_path, caplog: pytest.LogCaptureFixture
):
    _raw_message(names, [_row("13800138000", 10)])
    _raw_message(names, [_row("13900139000", -5)])  # a negative duration
    _raw_message(names, [_row("N/A", 10)])  # not a number
    _raw_message(names, [_row("13600136000", 20)])
    report = consume(tmp_path, names=names, once=True, max_wait=0.5)
    assert (report.rows, report.rejected) == (2, 2)
    assert sorted(read_table(tmp_path, "voice")["duration_s"].to_pylist()) == [10, 20]
    logged = caplog.text
    assert "rejected" in logged and "negative value" in logged
    assert "13900139000" not in logged  # numbers are masked in the log
    # Terminated, not left pending: a second run finds nothing.
    assert consume(tmp_path, names=names, once=True, max_wait=0.5).messages == 0


def test_a_message_delivered_again_without_its_ack_is_not_written_twice(
    province: Path, names, tmp_path, monkeypatch: pytest.MonkeyPatch
):
    sent = publish(names, province, days=[DAY], rows_per_message=4000)

    async def run() -> tuple[int, int]:
        source = await PullSource.open(None, names, ack_wait=1.0)
        consumer = Consumer(tmp_path, source, max_wait=0.5)
        try:
            await consumer.start()
            real_ack = source.ack

            async def withheld(deliveries) -> None:
                return None

            monkeypatch.setattr(source, "ack", withheld)
            first = await consumer.step()
            await asyncio.sleep(1.5)  # past ack_wait: the server delivers them again
            monkeypatch.setattr(source, "ack", real_ack)
            second = await consumer.step()
            assert await consumer.step() is None  # acknowledged now: nothing comes again
            return first.rows, second.redelivered
        finally:
            consumer.close()
            await source.close()

    rows, redelivered = asyncio.run(run())
    assert rows == sent.rows and redelivered == sent.messages
    assert len(part_files(tmp_path, "voice")) == 1
    assert same_rows(read_table(tmp_path, "voice"), expected_voice(province, [DAY]))


def test_two_consumers_cannot_write_into_one_directory(names, tmp_path):
    from telcolens.errors import Conflict

    async def run() -> None:
        a = await PullSource.open(None, names)
        b = await PullSource.open(None, names)
        first, second = Consumer(tmp_path, a), Consumer(tmp_path, b)
        try:
            await first.start()
            with pytest.raises(Conflict, match="another stream consumer"):
                await second.start()
        finally:
            first.close()
            await a.close()
            await b.close()

    asyncio.run(run())


def test_sequences_are_noted_as_ranges():
    assert format_ranges([9, 3, 4, 5, 11, 12]) == "3-5,9,11-12"
    assert parse_ranges("3-5,9,11-12") == [3, 4, 5, 9, 11, 12]
    assert parse_ranges(format_ranges([])) == []
