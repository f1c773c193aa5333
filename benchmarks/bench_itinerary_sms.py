"""Answers per second of the SMS channel through a real SMSC on loopback.

Builds an index of ``--queries`` subscribers (two cities each), starts the tests' Perl
SMSC (Net::SMPP, ``telcolens/itinerary/loopback_smsc.pl``) with one ``CXMYD`` per subscriber to
deliver as ``deliver_sm``, and runs the ESME (``telcolens.itinerary.smpp``) at
``--rate`` submit_sm/s with a window of ``--window``. The clock runs from the bind to
the last ``submit_sm_resp``: each answer is looked up, queued in the SQLite outbox,
submitted in UCS-2 and acknowledged. Prints JSON; target 200 answers/s or more.

    .venv/bin/python benchmarks/bench_itinerary_sms.py --queries 2000
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from telcolens.itinerary.index import VisitIndex, Window, write_index
from telcolens.itinerary.loopback import LOOPBACK_SMSC
from telcolens.itinerary.smpp import Esme, LocalOutbox, SmppSettings
from telcolens.privacy import pseudonymise

SMSC = LOOPBACK_SMSC


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--queries", type=int, default=2000)
    parser.add_argument("--rate", type=float, default=5000, help="submit_sm per second cap")
    parser.add_argument("--window", type=int, default=50)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench-sms-") as tmp:
        folder = Path(tmp)
        numbers = [f"139{i:08d}" for i in range(args.queries)]
        day = dt.date(2026, 11, 20)
        window = Window(dt.date(2026, 11, 30), dt.date(2026, 11, 17), dt.date(2026, 11, 30), 4)
        rows = [(pseudonymise(n), c, day, day, 6.0) for n in numbers for c in ("济南市", "青岛市")]
        write_index(folder / "index", window, rows)
        (folder / "deliver.tsv").write_text("".join(f"{n}\tCXMYD\n" for n in numbers))

        smsc = subprocess.Popen(
            ["perl", str(SMSC), "--port-file", str(folder / "port"),
             "--record", str(folder / "smsc.jsonl"), "--deliver-file", str(folder / "deliver.tsv")],
        )  # fmt: skip
        try:
            deadline = time.monotonic() + 30
            while not (folder / "port").exists():
                if time.monotonic() > deadline:
                    sys.exit("the SMSC did not start")
                time.sleep(0.05)
            port = int((folder / "port").read_text())
            result = _run(folder, port, args)
        finally:
            smsc.kill()
            smsc.wait()
    print(json.dumps(result, indent=2))


def _run(folder: Path, port: int, args: argparse.Namespace) -> dict:
    bound, done = threading.Event(), threading.Event()
    started = [0.0]
    sent = [0]

    def on_event(name: str) -> None:
        if name == "bound":
            started[0] = time.perf_counter()
            bound.set()
        elif name == "sent":
            sent[0] += 1
            if sent[0] >= args.queries:
                done.set()

    settings = SmppSettings(port=port, rate=args.rate, window=args.window)
    index = VisitIndex(folder / "index")
    outbox = LocalOutbox(folder / "outbox.sqlite")
    esme = Esme(settings, index.lookup_number, outbox, on_event=on_event).start()
    try:
        if not done.wait(600):
            sys.exit(f"only {sent[0]} of {args.queries} answers in 600 s")
        seconds = time.perf_counter() - started[0]
    finally:
        esme.stop()
        esme.close()
        outbox.close()
    return {
        "queries": args.queries,
        "answered": sent[0],
        "seconds": round(seconds, 3),
        "answers_per_second": round(sent[0] / seconds, 1),
        "rate_cap": args.rate,
        "window": args.window,
        "submits": esme.stats.submitted,
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
    }


if __name__ == "__main__":
    main()
