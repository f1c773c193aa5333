"""Benchmark: TR-181 Bulk Data reports posted through the real collector endpoint on loopback.

    .venv/bin/python benchmarks/bench_bulkdata.py                  # 10 s, 16 gateways
    .venv/bin/python benchmarks/bench_bulkdata.py --seconds 30 --gateways 64 --per-post 4

Registers ``--gateways`` gateway credentials in a temporary data directory, serves
``POST /api/broadband/bulkdata`` with uvicorn in its own process (one worker), and has one
client thread per gateway post its reports for ``--seconds``: NameValuePair JSON, gzip
(``HTTP.Compression`` GZIP), ``--per-post`` report instances each (1 is the current report
alone; more are retained failed ones), every report a new collection time, keep-alive HTTP
Basic as a gateway sends it. Prints JSON: requests, reports and rows per second, latency
percentiles, and the rows found in the data directory afterwards (each accepted report once:
nothing lost, nothing doubled). Fails on any non-2xx answer.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import os
import platform
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

import httpx
import numpy as np

from telcolens.broadband.gateways import gateways_path, register_gateway
from telcolens.dataset import part_files, read_table
from telcolens.schema import BROADBAND_KPI

START = 1_764_000_000  # 2025-11-25 00:00 CST
STA = "Device.WiFi.MultiAP.APDevice.1.Radio.1.AP.1.AssociatedDevice"


def serve(data_dir: str, port: int, linger: float) -> None:
    """Child process: the collector's router in a bare app, on 127.0.0.1:port."""
    import uvicorn
    from fastapi import FastAPI

    from telcolens.api import errors
    from telcolens.broadband.collector_api import install, router

    app = FastAPI()
    app.include_router(router)
    errors.install(app)
    install(app, data_dir, linger=linger)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def report(gateway: int, k: int) -> dict:
    """The ``k``-th 15-minute report of a gateway: optics, two Wi-Fi clients, CPU, uptime."""
    rng = np.random.default_rng(gateway * 1_000_003 + k)
    return {
        "CollectionTime": START + 900 * k,
        "Device.DeviceInfo.SerialNumber": f"BENCH{gateway:08d}",
        "Device.DeviceInfo.UpTime": 100_000 + 900 * k,
        "Device.DeviceInfo.ProcessStatus.CPUUsage": int(rng.integers(2, 60)),
        "Device.Optical.Interface.1.OpticalSignalLevel": int(rng.integers(-27_000, -15_000))
        // 2
        * 2,
        "Device.Optical.Interface.1.TransmitOpticalLevel": 2_000,
        **{f"{STA}.{c}.SignalStrength": int(rng.integers(60, 140)) for c in (1, 2)},
        **{f"{STA}.{c}.LastDataDownlinkRate": int(rng.integers(50_000, 900_000)) for c in (1, 2)},
        **{f"{STA}.{c}.Stats.PacketsSent": 1_000 * k + c for c in (1, 2)},
        **{f"{STA}.{c}.Stats.RetransCount": 10 * k + c for c in (1, 2)},
    }


def client(port: int, gateway: int, per_post: int, until: float, out: dict, lock) -> None:
    token = base64.b64encode(f"gw-{gateway}:{password(gateway)}".encode()).decode()
    headers = {
        "Authorization": f"Basic {token}",
        "Content-Type": "application/json",
        "Content-Encoding": "gzip",
        "BBF-Report-Format": "NameValuePair",
    }
    latencies, reports, accepted, k = [], 0, 0, 1  # report 0 was the warm-up
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
        while time.perf_counter() < until:
            body = gzip.compress(
                json.dumps({"Report": [report(gateway, k + i) for i in range(per_post)]}).encode()
            )
            started = time.perf_counter()
            r = http.post("/api/broadband/bulkdata", content=body, headers=headers)
            latencies.append(time.perf_counter() - started)
            if r.status_code != 200:
                raise SystemExit(f"gateway {gateway}: {r.status_code} {r.text}")
            reports += per_post
            accepted += r.json()["accepted"]
            k += per_post
    with lock:
        out["latencies"] += latencies
        out["reports"] += reports
        out["accepted"] += accepted


def password(gateway: int) -> str:
    return f"bench-password-{gateway:06d}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--gateways", type=int, default=16, help="client threads, one each")
    parser.add_argument("--per-post", type=int, default=1, help="report instances per POST")
    parser.add_argument(
        "--linger", type=float, default=0.02, help="seconds the writer waits to fill a batch"
    )
    parser.add_argument("--serve", nargs=2, metavar=("DIR", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]), args.linger)
        return
    with tempfile.TemporaryDirectory(prefix="bench-bulkdata-") as tmp:
        data = Path(tmp) / "data"
        for g in range(args.gateways):
            register_gateway(
                gateways_path(data),
                username=f"gw-{g}",
                password=password(g),
                line_id=g,
                serial_number=f"BENCH{g:08d}",
            )
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        server = subprocess.Popen(
            [
                sys.executable,
                __file__,
                "--serve",
                str(data),
                str(port),
                "--linger",
                str(args.linger),
            ],
            env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            _wait(port)
            result = _drive(port, args)
        finally:
            server.terminate()
            server.wait(timeout=30)
        stored = read_table(data, BROADBAND_KPI)
        keys = set(
            zip(stored["line_id"].to_pylist(), stored["sample_time"].to_pylist(), strict=True)
        )
        result.update(
            rows_stored=stored.num_rows,
            distinct_keys=len(keys),
            parts=len(part_files(data, BROADBAND_KPI)),
            nothing_lost_or_doubled=stored.num_rows == len(keys) == result["rows"],
        )
    print(json.dumps(result, indent=2))


def _drive(port: int, args: argparse.Namespace) -> dict:
    # One unmeasured report per gateway first: its credential is hashed once (Argon2), then
    # remembered, as for a gateway reporting every interval.
    _warm(port, args.gateways)
    out = {"latencies": [], "reports": 0, "accepted": 0}
    lock = threading.Lock()
    started = time.perf_counter()
    until = started + args.seconds
    threads = [
        threading.Thread(target=client, args=(port, g, args.per_post, until, out, lock))
        for g in range(args.gateways)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.perf_counter() - started
    lat = np.array(out["latencies"]) * 1000
    return {
        "machine": f"{platform.machine()}, {os.cpu_count()} CPUs, "
        f"Python {platform.python_version()}",
        "seconds": round(elapsed, 2),
        "gateways": args.gateways,
        "reports_per_post": args.per_post,
        "linger_s": args.linger,
        "requests": len(lat),
        "requests_per_s": round(len(lat) / elapsed, 1),
        "reports_per_s": round(out["reports"] / elapsed, 1),
        "rows_per_s": round(out["accepted"] / elapsed, 1),
        "latency_ms": {
            p: round(float(np.percentile(lat, q)), 1) for p, q in (("p50", 50), ("p99", 99))
        },
        "rows": out["accepted"] + args.gateways,  # with the warm-up reports
    }


def _warm(port: int, gateways: int) -> None:
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=60) as http:
        for g in range(gateways):
            token = base64.b64encode(f"gw-{g}:{password(g)}".encode()).decode()
            body = json.dumps({"Report": [report(g, 0)]}).encode()
            headers = {"Authorization": f"Basic {token}", "Content-Type": "application/json"}
            r = http.post("/api/broadband/bulkdata", content=body, headers=headers)
            if r.status_code != 200:
                raise SystemExit(f"warm-up of gateway {g}: {r.status_code} {r.text}")


def _wait(port: int, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise SystemExit(f"the collector did not start on port {port}")


if __name__ == "__main__":
    main()
