"""Benchmark: the daily incremental features (day partials) vs the full 7-day recomputation.

    python benchmarks/bench_daily.py --data /tmp/tl-bench-daily                 # 20k x 37 days
    python benchmarks/bench_daily.py --data /tmp/tl-bench-daily-100k --subscribers 100000

Generates a province of ``--subscribers`` x ``--days`` (parts named by date) unless
``--data`` holds one, computes the day partials of the first window once (the seed, timed
apart), then for each of ``--as-of-days`` consecutive as-of days (the first one
``window`` days after the first record day) runs, each in a fresh child process:

- incremental: ``window_features`` (the new day's partials, the window state rolled from
  the day before's, then the features from it);
- rebuilt: the same with no state of the day before (the state built from the union of the
  window's partials: the first run, or the one after a gap or a late part);
- full: ``fraud_features`` over the 7-day window from the raw records.

Checks that both wrote identical features, and prints the medians, their ratio and the
peak memory of each (the largest resident set of the child's process tree).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import re
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure

WINDOW = 7


def run_one(kind: str, data: Path, as_of: dt.date, out: Path) -> None:
    """Child side: the features of ``as_of`` once, the way ``kind`` says."""
    from telcolens import engine as engines
    from telcolens.antifraud.features import REQUIRED_TABLES, fraud_features
    from telcolens.antifraud.partials import window_features
    from telcolens.antifraud.rolling import state_dir

    started = time.perf_counter()
    con = engines.connect("duckdb")
    if kind in ("incremental", "rebuilt"):
        if kind == "rebuilt":
            # The incremental run of this day dropped the day before's state: without
            # this day's, the state is built from the partials.
            shutil.rmtree(state_dir(data, as_of))
        expr = window_features(con, data, as_of, window_days=WINDOW)
    else:
        expr = fraud_features(engines.tables(con, data, require=REQUIRED_TABLES), as_of, WINDOW)
    engines.write_parquet(con, expr, out)
    print(json.dumps({"seconds": time.perf_counter() - started}))


def ensure_province(data: Path, subscribers: int, days: int, seed: int) -> dt.date:
    """Generate the province unless ``data`` holds one; date its parts; its first day."""
    from telcolens.dataset import day_part, table_days
    from telcolens.simulate import generate_province

    start = dt.date(2026, 11, 2)  # generate_province's default
    if not (data / "voice").is_dir():
        started = time.perf_counter()
        generate_province(data, subscribers=subscribers, days=days, seed=seed, start=start)
        print(f"generated in {time.perf_counter() - started:.0f} s")
    for f in data.glob("*/day-*.parquet"):
        # The generator may still name parts by day index (day-000): date them.
        if m := re.fullmatch(r"day-(\d{3})(\..*)?\.parquet", f.name):
            day = start + dt.timedelta(days=int(m.group(1)))
            f.rename(f.with_name(f"{day_part(day)}{m.group(2) or ''}.parquet"))
    resplit(data)
    return table_days(data, "voice")[0]


def resplit(data: Path) -> None:
    """Move records that sit in another day's part into a part of their own day.

    The generator writes an SMS sent just after midnight into the previous day's part;
    the partials go by part (the dataset's contract), the full run by record time.
    """
    import pyarrow.compute as pc

    from telcolens.dataset import day_part, part_day, write_part
    from telcolens.schema import TABLES

    for name in ("voice", "sms", "data_sessions", "location_events"):
        spec = TABLES[name]
        for f in sorted((data / name).glob("day-*.parquet")):
            if ".spill-" in f.name:
                continue
            t = pq.read_table(f, schema=spec.arrow_schema())
            days = pc.cast(t[spec.time], "date32")
            stray = pc.not_equal(days, pa.scalar(part_day(f), pa.date32()))
            if not pc.any(stray).as_py():
                continue
            moved = t.filter(stray)
            for day in set(pc.cast(moved[spec.time], "date32").to_pylist()):
                rows = moved.filter(pc.equal(pc.cast(moved[spec.time], "date32"), day))
                write_part(data, spec, rows, day_part(day, f"spill-{part_day(f)}"))
            write_part(data, spec, t.filter(pc.invert(stray)), f.name.removesuffix(".parquet"))
            print(f"moved {moved.num_rows} {name} records out of {f.name}")


def disk_use(data: Path) -> tuple[int, int, int]:
    """Bytes of the raw dated records, of their day partials and of the window state."""
    from telcolens.antifraud.rolling import WINDOW_DIR
    from telcolens.retention import PARTIALS_DIR
    from telcolens.schema import TABLES

    raw = sum(
        f.stat().st_size
        for name, t in TABLES.items()
        if t.time is not None and name in ("voice", "sms", "data_sessions", "location_events")
        for f in (data / name).glob("day-*.parquet")
    )
    files = list((data / PARTIALS_DIR).rglob("*.parquet"))
    state = sum(f.stat().st_size for f in files if WINDOW_DIR in f.parts)
    return raw, sum(f.stat().st_size for f in files) - state, state


def child(kind: str, data: Path, as_of: dt.date, out: Path) -> tuple[float, int]:
    m = measure(
        [__file__, "--run-one", kind, "--data", str(data), "--as-of", str(as_of), "--out", str(out)]
    )
    return json.loads(m.stdout.strip().splitlines()[-1])["seconds"], m.peak_rss_bytes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path("/tmp/tl-bench-daily"))
    parser.add_argument("--subscribers", type=int, default=20_000)
    parser.add_argument("--days", type=int, default=37, help="record days to generate")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--as-of-days", type=int, default=30, help="consecutive as-of days")
    parser.add_argument(
        "--first-as-of",
        type=dt.date.fromisoformat,
        help="first as-of day (default: first full window)",
    )
    parser.add_argument(
        "--kinds",
        default="incremental,rebuilt,full",
        help="runs per as-of day, comma-separated (full is always run: it is the yardstick)",
    )
    parser.add_argument("--run-one", help=argparse.SUPPRESS)
    parser.add_argument("--as-of", type=dt.date.fromisoformat, help=argparse.SUPPRESS)
    parser.add_argument("--out", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.run_one:
        run_one(args.run_one, args.data, args.as_of, args.out)
        return
    first_day = ensure_province(args.data, args.subscribers, args.days, args.seed)
    first = args.first_as_of or first_day + dt.timedelta(days=WINDOW)
    n = min(args.as_of_days, (first_day + dt.timedelta(days=args.days) - first).days + 1)
    as_ofs = [first + dt.timedelta(days=i) for i in range(n)]
    tmp = Path(tempfile.mkdtemp(prefix="tl-bench-daily-"))
    # The seed: the first window's partials and state (a deployment computes them once).
    seed_s, seed_rss = child("incremental", args.data, as_ofs[0] - dt.timedelta(days=1), tmp / "s")
    print(f"seed (partials, state, features): {seed_s:.1f} s, peak {seed_rss / 2**30:.2f} GiB")
    kinds = [k for k in ("incremental", "rebuilt") if k in args.kinds.split(",")] + ["full"]
    runs: dict[str, list[tuple[float, int]]] = {kind: [] for kind in kinds}
    for as_of in as_ofs:
        outs = {}
        for kind in runs:
            outs[kind] = tmp / f"{kind}-{as_of}.parquet"
            runs[kind].append(child(kind, args.data, as_of, outs[kind]))
        ful = pq.read_table(outs["full"])
        for kind in kinds[:-1]:
            if not pq.read_table(outs[kind]).equals(ful):
                raise SystemExit(f"{as_of}: the {kind} features differ from the full ones")
        line = ", ".join(
            f"{k} {s:.1f} s {m / 2**30:.2f} GiB"
            for k, (s, m) in ((k, v[-1]) for k, v in runs.items())
        )
        print(f"  as of {as_of}: {line}, identical ({ful.num_rows:,} rows)")
    raw, partials, state = disk_use(args.data)
    print(
        f"\non disk: raw records {raw / 2**20:,.0f} MiB, day partials {partials / 2**20:,.0f} MiB,"
        f" window state {state / 2**20:,.0f} MiB"
    )
    med = {k: statistics.median(s for s, _ in v) for k, v in runs.items()}
    peak = {k: statistics.median(m for _, m in v) for k, v in runs.items()}
    print(f"{args.subscribers:,} subscribers, {n} as-of days, all features identical\n")
    print("| run | seconds (median) | ratio to full | peak memory (median) | ratio to full |")
    print("|---|---:|---:|---:|---:|")
    for kind in runs:
        print(
            f"| {kind} | {med[kind]:.1f} | {med[kind] / med['full']:.2f} | "
            f"{peak[kind] / 2**30:.2f} GiB | {peak[kind] / peak['full']:.2f} |"
        )


if __name__ == "__main__":
    main()
