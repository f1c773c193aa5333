"""Password guessers, in a process of their own (as attackers are on machines of their own).

``python -m tests.load._guessers URL N SECONDS OUT.json``: N threads, each from its own
loopback address 127.0.0.(10+i), post wrong passwords for SECONDS and write the statuses.
"""

from __future__ import annotations

import json
import sys
import threading
import time

import httpx


def guess(url: str, address: str, until: float, answers: list[int]) -> None:
    transport = httpx.HTTPTransport(local_address=address)
    with httpx.Client(base_url=url, timeout=30, transport=transport) as client:
        n = 0
        while time.monotonic() < until:
            name = "fraud_analyst" if n % 2 else f"nobody{n % 7}"
            r = client.post("/api/auth/login", json={"name": name, "password": f"guess-{n}"})
            answers.append(r.status_code)
            n += 1


def main(url: str, n: int, seconds: float, out: str) -> None:
    until = time.monotonic() + seconds
    answers: list[int] = []
    threads = [
        threading.Thread(target=guess, args=(url, f"127.0.0.{10 + i}", until, answers))
        for i in range(n)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    with open(out, "w") as f:
        json.dump(answers, f)


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4])
