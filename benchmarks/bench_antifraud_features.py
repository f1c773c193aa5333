"""Benchmark: anti-fraud features on ~50M voice CDR rows, Ibis on DuckDB vs hand-written SQL.

    python benchmarks/bench_antifraud_features.py --data /tmp/telcolens-bench
    python benchmarks/bench_antifraud_features.py --data /tmp/telcolens-bench \
        --engines duckdb,sql,spark

Shares the province of bench_profile.py (700k subscribers x 7 days, generated if
absent). The runs are the Ibis features on DuckDB (``duckdb``) and on Spark
(``spark``), and the hand-written DuckDB SQL of antifraud_sql.py (``sql``), the
yardstick. Each run is a fresh child process, the repeats interleaved; prints the
median seconds, voice rows/s, the ratio to the SQL and the peak memory of the process
tree, and checks that every run wrote the same features.
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

RUNS = ("duckdb", "sql", "spark")


def run_one(engine: str, data: Path, out: Path) -> None:
    """Child side: compute the features once on ``engine`` (or by the hand-written SQL)."""
    if engine == "sql":
        run_sql(data, out)
        return
    from telcolens import engine as engines
    from telcolens.antifraud.daily import data_end
    from telcolens.antifraud.features import REQUIRED_TABLES, fraud_features

    started = time.perf_counter()
    con = engines.connect(engine)
    t = engines.tables(con, data, require=REQUIRED_TABLES)
    engines.write_parquet(con, fraud_features(t, data_end(con, t["voice"])), out)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def run_sql(data: Path, out: Path) -> None:
    import duckdb

    from antifraud_sql import FEATURES_SQL
    from telcolens.antifraud.features import WINDOW_DAYS

    started = time.perf_counter()
    con = duckdb.connect()
    # The as-of date as the Ibis run finds it (telcolens.antifraud.daily.data_end).
    (as_of,) = con.sql(
        f"SELECT max(start_time)::DATE + 1 FROM read_parquet('{data}/voice/*.parquet')"
    ).fetchone()
    query = FEATURES_SQL.format(data=data, as_of=as_of, window_days=WINDOW_DAYS)
    con.execute(f"COPY ({query}) TO '{out}' (FORMAT parquet, COMPRESSION zstd)")
    print(json.dumps({"seconds": time.perf_counter() - started}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_province_args(parser)
    parser.add_argument(
        "--engines", default="duckdb,sql", help=f"comma-separated from {','.join(RUNS)}"
    )
    parser.add_argument(
        "--repeat", type=int, default=3, help="repeats of the DuckDB and SQL runs (Spark once)"
    )
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
    if unknown := set(engines) - set(RUNS):
        parser.error(f"unknown runs {sorted(unknown)}; choose from {','.join(RUNS)}")
    times: dict[str, list[float]] = {e: [] for e in engines}
    peaks: dict[str, list[int]] = {e: [] for e in engines}
    outputs: dict[str, Path] = {}
    # Interleaved (duckdb, sql, duckdb, sql, ...), so that a noisy spell on this shared
    # machine slows both alike.
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
        raise SystemExit("the runs produced different features")
    print(f"features: {first.num_rows:,} subscribers x {first.num_columns - 1} features")
    base = statistics.median(times["sql"]) if "sql" in times else None
    print("\n| run | seconds (median) | voice rows/s | ratio to SQL | peak memory |")
    print("|---|---:|---:|---:|---:|")
    for engine in engines:
        s = statistics.median(times[engine])
        ratio = f"{s / base:.2f}x" if base else "n/a"
        gib = max(peaks[engine]) / 2**30
        print(f"| {engine} | {s:.1f} | {rows / s:,.0f} | {ratio} | {gib:.2f} GiB |")


if __name__ == "__main__":
    main()
