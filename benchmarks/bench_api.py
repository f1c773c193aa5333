"""Benchmark: the case-list endpoint under 50 concurrent clients on loopback.

    python benchmarks/bench_api.py                       # SQLite, 20,000 cases
    python benchmarks/bench_api.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Fills a store with ``--cases`` cases shaped like real ones (a 2 KB evidence file
each, a mix of statuses), starts ``telcolens serve`` in its own process, logs in,
and drives ``GET /api/antifraud/cases`` with wrk (Debian package ``wrk``):
``--clients`` connections, each sending its next request a random think time
(exponential, mean ``--think-ms``) after the last was answered; 0 sends at once,
the saturation test, where latency is mostly queueing at the server. Prints
requests/s and the latency percentiles wrk measured for each think time; fails on
any non-2xx answer.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
from pathlib import Path

import httpx
import numpy as np
from sqlalchemy import insert
from sqlalchemy.orm import Session

from _measure import start_server, stop_server
from telcolens.antifraud.models import FraudCase
from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user

PASSWORD = "benchmark-password"
STATUSES = ("new", "under_review", "confirmed", "cleared")
SCENARIOS = {
    "queue, first page": "/api/antifraud/cases?status=new&page_size=50",
    "all cases, page 100": "/api/antifraud/cases?page=100&page_size=50",
    "one day's flags": "/api/antifraud/cases?flagged_on={day}&page_size=50",
}


def fill(url: str, cases: int, seed: int = 0) -> dt.date:
    """A migrated store with ``cases`` cases over 30 days; returns the last day."""
    rng = np.random.default_rng(seed)
    engine = make_engine(url)
    upgrade(engine)
    last = dt.date(2026, 11, 30)
    evidence = {
        "evidence": {f"measure_{i}": float(i) for i in range(14)},
        "sample_calls": [
            {"callee": 123456789 * k, "start_time": "2026-11-29T10:00:00", "duration_s": 12}
            for k in range(10)
        ],
        "reasons": "rule burst_caller: many short calls to strangers; model: sims_per_imei high",
    }
    with Session(engine) as s, s.begin():
        create_user(s, "bench", "fraud_analyst", PASSWORD, actor="bench")
        ids = rng.choice(2**62, size=cases, replace=False) - 2**61
        for start in range(0, cases, 5000):
            rows = []
            for k in range(start, min(cases, start + 5000)):
                day = last - dt.timedelta(days=int(rng.integers(0, 30)))
                rows.append(
                    {
                        "subscriber_id": int(ids[k]),
                        "status": STATUSES[int(rng.choice(4, p=[0.4, 0.1, 0.3, 0.2]))],
                        "score": float(rng.random()),
                        "flagged_by": "model",
                        "rules": ["burst_caller"],
                        "reasons": evidence["reasons"],
                        "evidence": evidence,
                        "first_flagged": day,
                        "last_flagged": day,
                    }
                )
            s.execute(insert(FraudCase), rows)
    if engine.dialect.name == "postgresql":
        # What autovacuum does soon after a bulk load: statistics and the visibility map
        # that lets a count read the index alone.
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE fraud_cases")
    engine.dispose()
    return last


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, port: int, args: argparse.Namespace) -> subprocess.Popen:
    cmd = [str(Path(sys.executable).parent / "telcolens"), "serve", "--database-url", url]
    cmd += ["--port", str(port), "--workers", str(args.workers)]
    env = {**os.environ, "TELCOLENS_API_THREADS": str(args.api_threads)}
    return start_server(cmd, port, env)


# wrk calls delay() before each request on a connection: the client's think time, drawn
# from an exponential distribution with the given mean, so that clients do not move in
# lock-step (a constant delay keeps all 50 arriving at once, in waves).
THINK_LUA = """
local mean = tonumber(os.getenv('THINK_MS'))
function setup(thread) thread:set('seed', math.random(1, 1e9)) end
function init(args) math.randomseed(seed) end
function delay()
  if mean == 0 then return 0 end
  return math.floor(-mean * math.log(1 - math.random()))
end
"""


def wrk(url: str, token: str, args: argparse.Namespace, think_ms: int) -> dict[str, float]:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(THINK_LUA)
    cmd = ["wrk", f"-t{args.threads}", f"-c{args.clients}", f"-d{args.seconds}s", "--latency"]
    cmd += ["--timeout", "10s", "-s", script.name, "-H", f"Authorization: Bearer {token}", url]
    out = subprocess.run(
        cmd,
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "THINK_MS": str(think_ms)},
    ).stdout
    os.unlink(script.name)
    if "Non-2xx" in out or "Socket errors" in out:
        raise SystemExit(f"errors under load:\n{out}")
    pct = {p: _ms(v) for p, v in re.findall(r"^\s+(50|75|90|99)%\s+(\S+)", out, re.M)}
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    return {"requests_per_s": rps, **{f"p{p}_ms": v for p, v in pct.items()}}


def _ms(text: str) -> float:
    value, unit = re.fullmatch(r"([\d.]+)(us|ms|s)", text).groups()
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="Store to fill (default: a new SQLite file).")
    ap.add_argument("--cases", type=int, default=20_000)
    ap.add_argument("--clients", type=int, default=50)
    ap.add_argument("--seconds", type=int, default=20)
    ap.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    ap.add_argument("--threads", type=int, default=1, help="wrk threads.")
    ap.add_argument("--api-threads", type=int, default=2, help="TELCOLENS_API_THREADS.")
    ap.add_argument(
        "--think-ms",
        default="0,250,1000",
        help="Comma-separated think times between a client's requests (ms).",
    )
    args = ap.parse_args()
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: apt-get install wrk")
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        last = fill(url, args.cases)
        port = free_port()
        proc = serve(url, port, args)
        try:
            base = f"http://127.0.0.1:{port}"
            login = httpx.post(
                f"{base}/api/auth/login", json={"name": "bench", "password": PASSWORD}
            )
            token = login.json()["token"]
            results = {}
            for name, path in SCENARIOS.items():
                full = base + path.format(day=last.isoformat())
                httpx.get(full, headers={"Authorization": f"Bearer {token}"}).raise_for_status()
                for think in (int(t) for t in args.think_ms.split(",")):
                    results[f"{name}, think {think} ms"] = wrk(full, token, args, think)
        finally:
            stop_server(proc)
    backend = url.split(":", 1)[0]
    print(
        json.dumps(
            {
                "store": backend,
                "cases": args.cases,
                "clients": args.clients,
                "workers": args.workers,
                "api_threads": args.api_threads,
                "cpus": os.cpu_count(),
                "results": results,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
