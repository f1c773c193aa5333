"""Benchmark: the usage profile on ~50M voice CDR rows, Ibis on DuckDB vs hand-written SQL vs Spark.

    python benchmarks/bench_profile.py --data /tmp/tl-bench    # generate if absent, then time
    python benchmarks/bench_profile.py --data /tmp/tl-bench --runs ibis-duckdb,sql-duckdb --repeat 3

Each run is a fresh child process (so the JVM start is counted for Spark, and
memory is measured per run). Prints rows/s, the ratio to hand-written SQL and
peak memory, and checks that every run produced the same profile.
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

RUNS = ("ibis-duckdb", "sql-duckdb", "ibis-spark")


def run_one(kind: str, data: Path, out: Path) -> None:
    """Child side: compute the profile once the way ``kind`` says."""
    started = time.perf_counter()
    if kind == "sql-duckdb":
        import duckdb

        from profile_sql import PROFILE_SQL

        duckdb.connect().execute(PROFILE_SQL.format(data=data, out=out))
    else:
        from telcolens import engine as engines
        from telcolens.profile import compute_profile

        compute_profile(data, out, con=engines.connect(kind.removeprefix("ibis-")))
    print(json.dumps({"seconds": time.perf_counter() - started}))


def ensure_province(data: Path, subscribers: int, days: int, seed: int) -> float | None:
    """Generate the province unless ``data`` already holds one; returns generation seconds."""
    if (data / "voice").is_dir():
        return None
    from telcolens.simulate import generate_province

    summary = generate_province(data, subscribers=subscribers, days=days, seed=seed)
    return summary.seconds


def voice_rows(data: Path) -> int:
    files = sorted((data / "voice").glob("*.parquet"))
    return sum(pq.ParquetFile(f).metadata.num_rows for f in files)


def add_province_args(parser: argparse.ArgumentParser) -> None:
    """The benchmark province: where it is, and its size if it must be generated."""
    parser.add_argument("--data", type=Path, default=Path("/tmp/telcolens-bench"))
    parser.add_argument("--subscribers", type=int, default=700_000)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_province_args(parser)
    parser.add_argument("--runs", default=",".join(RUNS), help=f"comma-separated from {RUNS}")
    parser.add_argument(
        "--repeat", type=int, default=3, help="repeats of the DuckDB runs (Spark runs once)"
    )
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("--run-one", choices=RUNS, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(args.run_one, args.data, args.out)
        return

    gen_seconds = ensure_province(args.data, args.subscribers, args.days, args.seed)
    rows = voice_rows(args.data)
    print(f"province: {args.data}  voice CDR rows: {rows:,}")
    if gen_seconds:
        print(f"generation: {gen_seconds:.1f} s = {rows / gen_seconds:,.0f} voice rows/s")
    results: dict[str, dict[str, float]] = {}
    outputs: dict[str, Path] = {}
    tmp = Path(tempfile.mkdtemp(prefix="tl-bench-"))
    kinds = [k for k in args.runs.split(",") if k]
    times: dict[str, list[float]] = {k: [] for k in kinds}
    peaks: dict[str, list[int]] = {k: [] for k in kinds}
    # Repeats are interleaved (a, b, a, b, ...) so that a noisy spell on this shared
    # machine slows every kind alike instead of one kind's whole series.
    for i in range(args.repeat):
        for kind in kinds:
            if kind == "ibis-spark" and i > 0:
                continue  # one Spark run: minutes each, and not the ratio we track
            outputs[kind] = tmp / f"{kind}-{i}.parquet"
            m = measure(
                [__file__, "--run-one", kind, "--data", str(args.data), "--out", str(outputs[kind])]
            )
            times[kind].append(json.loads(m.stdout.strip().splitlines()[-1])["seconds"])
            peaks[kind].append(m.peak_rss_bytes)
            print(
                f"  {kind} run {i + 1}: {times[kind][-1]:.1f} s, "
                f"peak {peaks[kind][-1] / 2**30:.2f} GiB"
            )
    for kind in kinds:
        median = statistics.median(times[kind])
        results[kind] = {
            "seconds": median,
            "peak_gib": max(peaks[kind]) / 2**30,
            "rows_per_s": rows / median,
        }
    _check_equal(outputs)
    _report(results, rows)
    if args.json:
        args.json.write_text(json.dumps({"voice_rows": rows, "results": results}, indent=2))


def _check_equal(outputs: dict[str, Path]) -> None:
    tables = {k: pq.read_table(p) for k, p in outputs.items()}
    first_kind, first = next(iter(tables.items()))
    for kind, table in tables.items():
        if not table.equals(first):
            raise SystemExit(f"{kind} and {first_kind} produced different profiles")
    print(f"all runs produced the same {first.num_rows:,}-row profile")


def _report(results: dict[str, dict[str, float]], rows: int) -> None:
    base = results.get("sql-duckdb", {}).get("seconds")
    print("\n| run | seconds (median) | voice rows/s | ratio to SQL | peak memory |")
    print("|---|---:|---:|---:|---:|")
    for kind, r in results.items():
        ratio = f"{r['seconds'] / base:.2f}x" if base else "n/a"
        print(
            f"| {kind} | {r['seconds']:.1f} | {r['rows_per_s']:,.0f} | {ratio} | "
            f"{r['peak_gib']:.2f} GiB |"
        )


if __name__ == "__main__":
    main()
