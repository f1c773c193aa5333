"""Benchmark: score and diagnose N million broadband line-days (issue 13, part 6).

    python benchmarks/bench_broadband.py                            # 1 million, DuckDB
    python benchmarks/bench_broadband.py --line-days 10000000       # the acceptance size
    python benchmarks/bench_broadband.py --engine spark --line-days 1000000

A seed province (``--subscribers`` x ``--days``, generated unless ``--data`` holds one)
gives real line-days: its gateways' KPI samples reduced once (``line_days``, timed apart:
the reduction is the day step's). Its line-days and lines are then tiled to N line-days
(copy k of a line is line ``line_id + k x 10^10`` under ``OLT k-<olt>``, so every copy has
its own splitters, ports and OLTs, and the per-day peers and shared elements are the
seed's), written as Parquet. In a fresh child process, timed with its peak memory: read
them, score every line-day (the perception score as one Ibis expression), add the dark
line-days, the peers and the window, diagnose, group the shared causes, and write the
diagnoses and tickets. The line-day count is the grid's (lines x days), dark ones included.

DuckDB runs under ``--memory-limit`` (8GB by default, spilling into the work folder): left
to itself it takes 80% of the machine's memory, about 15 GiB at 10 million line-days, which
a machine shared with other jobs may not have. ``--stages`` materialises and times each
stage instead of the one fused query (slower in all; it shows where the time goes):

    python benchmarks/bench_broadband.py --line-days 10000000 --stages
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _measure import measure

COPY = 10**10  # added to a line id per copy: seed ids are below 6e9


def seed_province(data: Path | None, subscribers: int, days: int, seed: int, work: Path) -> Path:
    """``data``, or a province generated under ``work``."""
    if data is not None:
        return data
    from telcolens.simulate import generate_province

    out = work / "province"  # made again when a --work folder is reused
    generate_province(
        out, subscribers=subscribers, days=days, seed=seed, progress=False, overwrite=True
    )
    return out


def tile(province: Path, line_days: int, work: Path) -> dict:
    """The seed's line-days and lines tiled to about ``line_days`` grid rows, as Parquet."""
    from telcolens import engine as engines
    from telcolens.broadband.line_days import line_days as reduce

    con = engines.connect("duckdb")
    t = engines.tables(con, province, require=("broadband_kpi", "broadband_lines"))
    started = time.perf_counter()
    base = con.create_table("bench_base", reduce(t["broadband_kpi"]), temp=True)
    reduced_s = time.perf_counter() - started
    samples = con.execute(t["broadband_kpi"].count())
    con.create_table("bench_lines", t["broadband_lines"], temp=True)
    n_lines = con.execute(con.table("bench_lines").count())
    days = sorted(con.execute(base.select("day").distinct())["day"])
    copies = max(1, math.ceil(line_days / (n_lines * len(days))))
    con.raw_sql(
        f"""COPY (SELECT * REPLACE (line_id + k * {COPY} AS line_id)
                  FROM bench_base, range({copies}) AS r(k))
            TO '{work / "line_days.parquet"}' (FORMAT parquet, COMPRESSION zstd)"""
    )
    con.raw_sql(
        f"""COPY (SELECT * REPLACE (line_id + k * {COPY} AS line_id,
                                    CAST(k AS VARCHAR) || '-' || olt_id AS olt_id,
                                    CAST(k AS VARCHAR) || '-' || splitter_id AS splitter_id)
                  FROM bench_lines, range({copies}) AS r(k))
            TO '{work / "lines.parquet"}' (FORMAT parquet, COMPRESSION zstd)"""
    )
    return {
        "seed_lines": n_lines,
        "seed_samples": samples,
        "seed_line_days": con.execute(base.count()),
        "reduce_seconds": round(reduced_s, 2),
        "copies": copies,
        "days": [str(d.date() if hasattr(d, "date") else d) for d in days],
        "line_days": copies * n_lines * len(days),
    }


def _connect(engine: str, work: Path):
    """The engine's connection; DuckDB spilling past its memory limit into ``work``.

    The limit comes from ``TELCOLENS_DUCKDB_MEMORY_LIMIT`` (``--memory-limit`` sets it);
    unset, DuckDB takes 80% of the machine's memory, which a shared machine may not have."""
    from telcolens import engine as engines

    con = engines.connect(engine)
    if engine == "duckdb":
        con.raw_sql(f"SET temp_directory = '{work / 'duckdb_tmp'}'")
    return con


def child(work: Path, engine: str, days: list[str], out: Path) -> None:
    """Child side: read the tiled line-days, score, diagnose, write; print the counts."""
    import pyarrow.parquet as pq

    from telcolens.broadband.diagnose import diagnose_frame, frame_of, write_diagnosis

    started = time.perf_counter()
    con = _connect(engine, work)
    measured = con.read_parquet(str(work / "line_days.parquet"), table_name="bench_line_days")
    lines = con.read_parquet(str(work / "lines.parquet"), table_name="bench_lines")
    window = [dt.date.fromisoformat(d) for d in days]
    result = diagnose_frame(frame_of(measured, lines, window))
    d, k = write_diagnosis(con, result, out)
    print(
        json.dumps(
            {
                "seconds_in_child": round(time.perf_counter() - started, 1),
                "diagnoses": pq.read_metadata(d).num_rows,
                "tickets": pq.read_metadata(k).num_rows,
            }
        )
    )


def stages(work: Path, days: list[str], out: Path) -> None:
    """Child side on DuckDB with each stage materialised as a table and timed (``--stages``):
    where the time goes. The one fused query of :func:`child` is faster than their sum."""
    from telcolens import engine as engines
    from telcolens.broadband import grouping
    from telcolens.broadband.diagnose import (
        SIDES,
        Settings,
        diagnose_line_days,
        diagnoses_of,
        flagged,
        frame_of,
        signs,
    )
    from telcolens.broadband.perception import score_expr

    con = _connect("duckdb", work)
    seconds: dict[str, float] = {}

    def timed(name: str, make):
        started = time.perf_counter()
        result = make()
        seconds[name] = round(time.perf_counter() - started, 1)
        return result

    def table(name: str, expr):
        return timed(name, lambda: con.create_table(f"bench_{name}", expr, temp=True))

    measured = table("read", con.read_parquet(str(work / "line_days.parquet")))
    lines = con.create_table("bench_lines", con.read_parquet(str(work / "lines.parquet")))
    table("score", score_expr(measured, columns=("score",)))
    window = [dt.date.fromisoformat(d) for d in days]
    frame = table("frame", frame_of(measured, lines, window))
    s = Settings()
    signed = table("signs", signs(frame, s))
    table("shared_elements", grouping.shared_elements(signed, s))
    diagnosed = table("diagnose", flagged(diagnose_line_days(frame, s)))
    out.mkdir(parents=True, exist_ok=True)
    timed(
        "write_diagnoses",
        lambda: engines.write_parquet(con, diagnoses_of(diagnosed), out / "diagnoses.parquet"),
    )
    timed(
        "tickets",
        lambda: engines.write_parquet(
            con, grouping.tickets(diagnosed, SIDES), out / "tickets.parquet"
        ),
    )
    print(json.dumps({"stage_seconds": seconds}))


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--line-days", type=int, default=1_000_000)
    p.add_argument("--engine", choices=("duckdb", "spark"), default="duckdb")
    p.add_argument("--data", type=Path, help="A province to tile (default: generate one).")
    p.add_argument("--subscribers", type=int, default=20_000)
    p.add_argument("--days", type=int, default=7)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--work", type=Path, help="Folder for the tiled data (default: a temp dir).")
    p.add_argument(
        "--stages",
        action="store_true",
        help="DuckDB: materialise and time each stage (read, score, frame, signs, shared "
        "elements, diagnose, diagnoses, tickets) to see where the time goes.",
    )
    p.add_argument(
        "--memory-limit",
        default="8GB",
        help="DuckDB's memory_limit (TELCOLENS_DUCKDB_MEMORY_LIMIT) in the timed child; "
        "'' for DuckDB's default, 80%% of the machine's memory (default: %(default)s).",
    )
    p.add_argument("--child", nargs=3, metavar=("WORK", "DAYS", "OUT"), help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.stages and args.engine != "duckdb":
        p.error("--stages is for DuckDB")
    if args.child:
        work, days, out = args.child
        if args.stages:
            stages(Path(work), days.split(","), Path(out))
        else:
            child(Path(work), args.engine, days.split(","), Path(out))
        return
    with tempfile.TemporaryDirectory(prefix="tl-bench-broadband-") as tmp:
        work = args.work or Path(tmp)
        work.mkdir(parents=True, exist_ok=True)
        province = seed_province(args.data, args.subscribers, args.days, args.seed, work)
        setup = tile(province, args.line_days, work)
        if args.memory_limit:
            os.environ["TELCOLENS_DUCKDB_MEMORY_LIMIT"] = args.memory_limit
        run = measure(
            [
                __file__,
                "--engine",
                args.engine,
                *(["--stages"] if args.stages else []),
                "--child",
                str(work),
                ",".join(setup["days"]),
                str(work / "out"),
            ]
        )
        counts = json.loads(run.stdout.strip().splitlines()[-1])
        report = {
            "engine": args.engine,
            "duckdb_memory_limit": (
                os.environ.get("TELCOLENS_DUCKDB_MEMORY_LIMIT") if args.engine == "duckdb" else None
            ),
            **setup,
            "seconds": round(run.seconds, 1),
            "peak_rss_gib": round(run.peak_rss_bytes / 2**30, 2),
            "line_days_per_second": round(setup["line_days"] / run.seconds),
            **counts,
        }
        print(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
