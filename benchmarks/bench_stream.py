"""Stream intake: voice CDRs published on NATS JetStream, consumed into a data directory.

Draws ``--records`` raw voice CDRs (numbers of ``--subscribers`` subscribers as text,
IMEIs on most records, two record days), publishes them on a stream of the benchmark's
own as Arrow IPC messages of ``--rows-per-message`` rows, then runs the consumer in a
child process until the stream is drained: checks, pseudonymisation, day parts written
and fsynced, acks. Reports records/s for the publisher and for the consumer (first
batch fetched to last batch acknowledged), the consumer's peak RSS, and checks that the
data directory holds exactly the records published. Prints JSON.

    .venv/bin/python benchmarks/bench_stream.py --records 3000000
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import resource
import tempfile
import time
import uuid

import numpy as np
import pyarrow as pa

from telcolens.dataset import part_files
from telcolens.schema import VOICE
from telcolens.streams import StreamNames, connect, delete_stream, publish_batches, run_consumer

CHUNK = 500_000


def draw(records: int, subscribers: int, seed: int = 5) -> list[pa.RecordBatch]:
    """Raw voice CDRs over two days, in time order, in input-schema batches."""
    rng = np.random.default_rng(seed)
    numbers = (13_000_000_000 + rng.choice(8_999_999_999, subscribers, replace=False)).astype("S11")
    imeis = (490_000_000_000_000 + rng.integers(0, 10**13, subscribers)).astype("S15")
    start = np.datetime64("2026-11-02T00:00:00", "us")
    offsets = np.sort(rng.integers(0, 2 * 86_400_000_000, records))
    batches = []
    for lo in range(0, records, CHUNK):
        n = min(CHUNK, records - lo)
        caller, callee = rng.integers(0, subscribers, n), rng.integers(0, subscribers, n)
        imei = pa.array(imeis[caller].astype(str))
        batches.append(
            pa.RecordBatch.from_arrays(
                [
                    pa.array(numbers[caller].astype(str)),
                    pa.array(numbers[callee].astype(str)),
                    pa.array(start + offsets[lo : lo + n]),
                    pa.array(rng.integers(0, 600, n, dtype=np.int32)),
                    pa.array(np.where(rng.random(n) < 0.5, "MO", "MT")),
                    pa.array(rng.integers(1, 20_000, n)),
                    pa.array(imei, mask=rng.random(n) < 0.1),  # 10% without an IMEI
                ],
                schema=VOICE.input_schema(),
            )
        )
    return batches


async def _publish(names: StreamNames, batches, rows_per_message: int):
    nc = await connect()
    try:
        return await publish_batches(nc, names, "voice", batches, rows_per_message=rows_per_message)
    finally:
        await nc.close()


def _consume(names: StreamNames, data_dir: str, batch_rows: int, out) -> None:
    """Child process: drain the stream; send back the timings and peak RSS."""
    stamps: list[float] = []

    def on_batch(batch, total) -> None:
        stamps.append(time.monotonic() - batch.seconds)
        stamps.append(time.monotonic())

    started = time.monotonic()
    total = asyncio.run(
        run_consumer(data_dir, names=names, batch_rows=batch_rows, once=True, on_batch=on_batch)
    )
    out.send(
        {
            "rows": total.rows,
            "batches": total.batches,
            "parts": total.parts,
            "sustained_s": stamps[-1] - stamps[0],
            "wall_s": time.monotonic() - started,
            "peak_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        }
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=3_000_000)
    parser.add_argument("--subscribers", type=int, default=1_000_000)
    parser.add_argument("--rows-per-message", type=int, default=5_000)
    parser.add_argument("--batch-rows", type=int, default=200_000)
    args = parser.parse_args()

    batches = draw(args.records, args.subscribers)
    tag = uuid.uuid4().hex[:10]
    names = StreamNames(f"TL_BENCH_{tag}", f"tl_bench_{tag}", "intake")
    try:
        sent = asyncio.run(_publish(names, batches, args.rows_per_message))
        with tempfile.TemporaryDirectory(prefix="bench-stream-") as data_dir:
            here, there = mp.Pipe()
            child = mp.get_context("spawn").Process(
                target=_consume, args=(names, data_dir, args.batch_rows, there)
            )
            child.start()
            consumed = here.recv()
            child.join()
            import pyarrow.parquet as pq

            stored = sum(pq.read_metadata(p).num_rows for p in part_files(data_dir, "voice"))
    finally:

        async def drop() -> None:
            nc = await connect()
            await delete_stream(nc.jetstream(), names)
            await nc.close()

        asyncio.run(drop())
    result = {
        "records": args.records,
        "subscribers": args.subscribers,
        "rows_per_message": args.rows_per_message,
        "batch_rows": args.batch_rows,
        "messages": sent.messages,
        "publisher_records_per_s": round(sent.rows / sent.seconds),
        "consumer_records_per_s": round(consumed["rows"] / consumed["sustained_s"]),
        "consumer": consumed,
        "stored_records": stored,
        "exactly_once": stored == sent.rows == consumed["rows"],
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
    }
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
