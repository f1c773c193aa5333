"""Benchmark: the visited-places build (stays and visits of a 14-day window) on each engine.

    python benchmarks/bench_itinerary_build.py                          # 100,000 subscribers
    python benchmarks/bench_itinerary_build.py --subscribers 20000 --engine spark

Generates a province of ``--subscribers`` x 16 days (or uses ``--data``), then, in a fresh
child process per engine, builds the index for the window ending on its last day: every
sighting of voice, SMS, data sessions and location events, ping-pong filtered, cut into
stays, the visits written to SQLite. Prints JSON: sightings read, seconds, peak memory.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

START = dt.date(2026, 11, 2)
DAYS = 16


def _child(data: Path, engine: str, out: Path) -> None:
    from telcolens import engine as engines
    from telcolens.itinerary.build import build

    con = engines.connect(engine)
    started = time.perf_counter()
    built = build(data, START + dt.timedelta(days=DAYS - 1), out, con=con)
    seconds = time.perf_counter() - started
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
    print(json.dumps({"engine": engine, "seconds": round(seconds, 1), "peak_gib": round(peak, 2),
                      "subscribers": built.subscribers, "visits": built.visits,
                      "stays": built.stays}))  # fmt: skip


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--subscribers", type=int, default=100_000)
    ap.add_argument("--engine", choices=["duckdb", "spark", "both"], default="both")
    ap.add_argument("--data", type=Path, default=None)
    ap.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        _child(Path(args.child[0]), args.child[1], Path(args.child[2]))
        return
    work = Path(tempfile.mkdtemp(prefix="itinerary-bench-"))
    data = args.data
    if data is None:
        from telcolens.simulate import generate_province

        data = work / "data"
        started = time.perf_counter()
        generate_province(data, subscribers=args.subscribers, days=DAYS, seed=1, start=START)
        print(f"generated in {time.perf_counter() - started:.0f} s", file=sys.stderr)
    import duckdb

    sightings = sum(
        duckdb.sql(f"SELECT count(*) FROM read_parquet('{data}/{t}/*.parquet')").fetchone()[0]
        for t in ("location_events", "voice", "sms", "data_sessions")
    )
    engines = ["duckdb", "spark"] if args.engine == "both" else [args.engine]
    for engine in engines:
        out = subprocess.run(
            [sys.executable, __file__, "--child", str(data), engine, str(work / f"idx-{engine}")],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        result = json.loads(out.stdout.strip().splitlines()[-1])
        print(json.dumps({**result, "records": sightings, "days": DAYS}))


if __name__ == "__main__":
    main()
