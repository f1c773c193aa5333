"""Benchmark: a subscriber's visited-places query (``POST /api/itinerary/query``) at a fixed rate.

    python benchmarks/bench_itinerary_api.py                  # SQLite, 1,000 requests/s, 20 s
    python benchmarks/bench_itinerary_api.py --database-url postgresql+psycopg://postgres@127.0.0.1/bench

Builds an index of ``--subscribers`` subscribers (1 to 4 cities each), fills a store with
one one-time code per query to send (issued through :func:`telcolens.itinerary.otp.issue`,
texts and all, so each query finds, checks and uses up a real code), serves the app with
uvicorn in ``--workers`` processes on 127.0.0.1 (as ``telcolens serve`` does, the limits
per client address raised: every request comes from one address here), and sends
``--rate`` queries per second for ``--seconds`` seconds from ``--clients`` load processes.

The load is open-loop: request *i* is due at ``start + i / rate`` whatever the answers
before it did, and its latency runs from when it was due to when its answer was read, so
a server falling behind shows as latency rather than as a lower rate (no coordinated
omission). The client is a few lines of asyncio over kept-alive HTTP/1.1 connections, far
cheaper per request than an HTTP library, so that it takes little of the CPU the server
needs. Prints the achieved rate and the latency percentiles; fails on any answer but 200.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import multiprocessing
import os
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from sqlalchemy.orm import Session

from _measure import start_server, stop_server

HERE = Path(__file__).resolve().parent
CITIES = [f"City {i:02d}" for i in range(17)]
TIMEOUT_S = 10.0  # an answer later than this counts as none (status 0)


def bench_app():
    """The app as ``telcolens serve`` builds it, without limits per client address."""
    from telcolens.api.app import app_from_settings
    from telcolens.itinerary import otp

    app = app_from_settings()
    app.state.itinerary_rules = otp.Rules(queries_per_address=10**9, codes_per_address=10**9)
    return app


def number(i: int) -> str:
    return f"13{i:09d}"


def build_index(path: Path, subscribers: int, seed: int = 0) -> None:
    from telcolens.itinerary.index import Window, write_index
    from telcolens.privacy import pseudonymise_many

    rng = np.random.default_rng(seed)
    start = dt.date(2026, 11, 16)
    ids = pseudonymise_many([number(i) for i in range(subscribers)]).to_pylist()
    rows = []
    for sid in ids:
        for city in rng.choice(len(CITIES), size=int(rng.integers(1, 5)), replace=False):
            first = start + dt.timedelta(days=int(rng.integers(0, 10)))
            last = first + dt.timedelta(days=int(rng.integers(0, 4)))
            rows.append((sid, CITIES[city], first, last, float(rng.integers(4, 200))))
    window = Window(dt.date(2026, 11, 30), start, dt.date(2026, 11, 29), 4.0)
    write_index(path, window, rows)


def fill(url: str, queries: int) -> list[tuple[str, str]]:
    """A migrated store holding one live code for each of ``queries`` numbers; (number, code)."""
    from telcolens.itinerary import otp
    from telcolens.store.db import make_engine, upgrade

    engine = make_engine(url)
    upgrade(engine)
    rules = otp.Rules(ttl=dt.timedelta(hours=2), codes_per_address=10**9)
    out = []
    with Session(engine) as s, s.begin():
        for i in range(queries):
            n = number(i)  # in the index while i < subscribers
            out.append((n, otp.issue(s, n, address=None, rules=rules)))
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.exec_driver_sql("VACUUM ANALYZE")
    engine.dispose()
    return out


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def serve(url: str, index: Path, port: int, args: argparse.Namespace) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "uvicorn", "--factory", "--app-dir", str(HERE)]
    cmd += ["bench_itinerary_api:bench_app", "--host", "127.0.0.1", "--port", str(port)]
    cmd += ["--workers", str(args.workers), "--log-level", "warning", "--no-access-log"]
    env = {
        **os.environ,
        "TELCOLENS_DATABASE_URL": url,
        "TELCOLENS_ITINERARY_INDEX": str(index),
        "TELCOLENS_API_THREADS": str(args.api_threads),
    }
    return start_server(cmd, port, env)


def _request(port: int, body: bytes) -> bytes:
    head = (
        f"POST /api/itinerary/query HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    )
    return head.encode() + body


async def _send(reader, writer, payload: bytes) -> int:
    writer.write(payload)
    status_line = await reader.readline()
    length = 0
    while (line := await reader.readline()) not in (b"\r\n", b""):
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    await reader.readexactly(length)
    return int(status_line.split()[1])


async def _load(port: int, work, start: float, rate: float, offset: int, step: int, conns: int):
    """Send ``work[i]`` at ``start + (offset + i*step) / rate``; (latencies s, statuses, end).

    Over ``conns`` connections opened beforehand: a request due while all are busy waits
    for one, and that wait counts in its latency (a browser or a proxy has a pool too).
    """
    pool: asyncio.Queue = asyncio.Queue()
    for _ in range(conns):
        pool.put_nowait(await asyncio.open_connection("127.0.0.1", port))
    latencies: list[float] = []
    statuses: dict[int, int] = {}

    async def one(i: int, n: str, code: str) -> None:
        due = start + (offset + i * step) / rate
        conn = await pool.get()
        payload = _request(port, json.dumps({"number": n, "code": code}).encode())
        try:
            status = await asyncio.wait_for(_send(*conn, payload), TIMEOUT_S)
        except (TimeoutError, OSError, asyncio.IncompleteReadError):
            status = 0  # no answer: the connection is dropped, a fresh one replaces it
            conn[1].close()
            conn = await asyncio.open_connection("127.0.0.1", port)
        latencies.append(time.time() - due)
        statuses[status] = statuses.get(status, 0) + 1
        pool.put_nowait(conn)

    tasks = []
    for i, (n, code) in enumerate(work):
        wait = start + (offset + i * step) / rate - time.time()
        if wait > 0:
            await asyncio.sleep(wait)
        tasks.append(asyncio.create_task(one(i, n, code)))
    await asyncio.gather(*tasks)
    ended = time.time()
    while not pool.empty():
        pool.get_nowait()[1].close()
    return latencies, statuses, ended


def _client(port, work, rate, offset, step, conns, ready, go, start, out) -> None:
    ready.put(offset)
    go.wait()  # every client started (imports done) before the first request is due
    out.put(asyncio.run(_load(port, work, start.value, rate, offset, step, conns)))


def drive(port: int, work: list[tuple[str, str]], rate: float, clients: int, conns: int) -> dict:
    """Send ``work`` at ``rate`` per second from ``clients`` processes; the figures."""
    ctx = multiprocessing.get_context("spawn")
    out, ready, go, at = ctx.Queue(), ctx.Queue(), ctx.Event(), ctx.Value("d", 0.0)
    procs = [
        ctx.Process(
            target=_client,
            args=(port, work[k::clients], rate, k, clients, conns, ready, go, at, out),
        )
        for k in range(clients)
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get()
    at.value = start = time.time() + 0.2
    go.set()
    results = [out.get() for _ in procs]
    for p in procs:
        p.join()
    latencies = np.concatenate([np.asarray(r[0]) for r in results])
    statuses: dict[int, int] = {}
    for r in results:
        for code, n in r[1].items():
            statuses[code] = statuses.get(code, 0) + n
    ended = max(r[2] for r in results)
    p50, p90, p99, p999 = np.percentile(latencies, [50, 90, 99, 99.9]) * 1000
    return {
        "requests": len(latencies),
        "achieved_per_s": round(len(latencies) / (ended - start), 1),
        "p50_ms": round(p50, 2),
        "p90_ms": round(p90, 2),
        "p99_ms": round(p99, 2),
        "p99.9_ms": round(p999, 2),
        "max_ms": round(float(latencies.max()) * 1000, 2),
        "statuses": statuses,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--database-url", help="Store to fill (default: a new SQLite file).")
    ap.add_argument("--rate", type=float, default=1000.0, help="Queries per second.")
    ap.add_argument("--seconds", type=float, default=20.0)
    ap.add_argument("--subscribers", type=int, default=100_000, help="Numbers in the index.")
    ap.add_argument("--workers", type=int, default=2, help="Server worker processes.")
    ap.add_argument("--api-threads", type=int, default=2, help="TELCOLENS_API_THREADS.")
    ap.add_argument("--clients", type=int, default=2, help="Load-generating processes.")
    ap.add_argument("--connections", type=int, default=32, help="Per load process.")
    ap.add_argument("--warmup", type=int, default=500, help="Queries sent first, not counted.")
    args = ap.parse_args()
    total = int(args.rate * args.seconds)
    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{Path(tmp) / 'bench.db'}"
        index = Path(tmp) / "index"
        build_index(index, args.subscribers)
        pairs = fill(url, args.warmup + total)
        port = free_port()
        proc = serve(url, index, port, args)
        try:
            warm = drive(port, pairs[: args.warmup], min(args.rate, 200.0), 1, args.connections)
            result = drive(port, pairs[args.warmup :], args.rate, args.clients, args.connections)
        finally:
            stop_server(proc)
    if set(warm["statuses"]) != {200} or set(result["statuses"]) != {200}:
        raise SystemExit(f"answers other than 200 (0: none): {warm['statuses']} {result}")
    backend = url.split(":", 1)[0].split("+", 1)[0]
    print(
        json.dumps(
            {
                "route": "POST /api/itinerary/query (one-time code checked and used, audited)",
                "store": backend,
                "rate_asked_per_s": args.rate,
                "seconds": args.seconds,
                "workers": args.workers,
                "api_threads": args.api_threads,
                "subscribers": args.subscribers,
                "cpus": os.cpu_count(),
                **result,
            },
            indent=2,
        )
    )


if __name__ == "__main__":
    main()
