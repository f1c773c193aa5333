"""Benchmark: anti-fraud features on ~50M voice CDR rows (DuckDB; Spark optional).

    python benchmarks/bench_antifraud_features.py --data /tmp/telcolens-bench
    python benchmarks/bench_antifraud_features.py --data /tmp/telcolens-bench --engines duckdb,spark

Shares the province of bench_profile.py (700k subscribers x 7 days, generated if
absent). Each run is a fresh child process; prints seconds, voice rows/s and the
peak memory of the process tree, and checks that the engines agree.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure
from bench_profile import add_province_args, ensure_province, voice_rows


def run_one(engine: str, data: Path, out: Path) -> None:
    """Child side: compute the features once on ``engine``."""
    from telcolens import engine as engines
    from telcolens.antifraud.daily import data_end
    from telcolens.antifraud.features import REQUIRED_TABLES, fraud_features

    started = time.perf_counter()
    con = engines.connect(engine)
    t = engines.tables(con, data, require=REQUIRED_TABLES)
    engines.write_parquet(con, fraud_features(t, data_end(con, t["voice"])), out)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_province_args(parser)
    parser.add_argument("--engines", default="duckdb", help="comma-separated: duckdb,spark")
    parser.add_argument("--repeat", type=int, default=3, help="repeats on DuckDB (Spark once)")
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(args.run_one, args.data, args.out)
        return
    ensure_province(args.data, args.subscribers, args.days, args.seed)
    rows = voice_rows(args.data)
    print(f"province: {args.data}  voice CDR rows: {rows:,}")
    tmp = Path(tempfile.mkdtemp(prefix="tl-bench-af-"))
    engines = [e for e in args.engines.split(",") if e]
    times: dict[str, list[float]] = {e: [] for e in engines}
    peaks: dict[str, list[int]] = {e: [] for e in engines}
    outputs: dict[str, Path] = {}
    for i in range(args.repeat):
        for engine in engines:
            if engine == "spark" and i > 0:
                continue
            outputs[engine] = tmp / f"{engine}-{i}.parquet"
            m = measure(
                [
                    __file__,
                    "--run-one",
                    engine,
                    "--data",
                    str(args.data),
                    "--out",
                    str(outputs[engine]),
                ]
            )
            times[engine].append(json.loads(m.stdout.strip().splitlines()[-1])["seconds"])
            peaks[engine].append(m.peak_rss_bytes)
            gib = m.peak_rss_bytes / 2**30
            print(f"  {engine} run {i + 1}: {times[engine][-1]:.1f} s, peak {gib:.2f} GiB")
    tables = {e: pq.read_table(p) for e, p in outputs.items()}
    first = next(iter(tables.values()))
    if any(not t.equals(first) for t in tables.values()):
        raise SystemExit("the engines produced different features")
    print(f"features: {first.num_rows:,} subscribers x {first.num_columns - 1} features")
    print("\n| engine | seconds (median) | voice rows/s | peak memory |")
    print("|---|---:|---:|---:|")
    for engine in engines:
        s = statistics.median(times[engine])
        print(f"| {engine} | {s:.1f} | {rows / s:,.0f} | {max(peaks[engine]) / 2**30:.2f} GiB |")


if __name__ == "__main__":
    main()
