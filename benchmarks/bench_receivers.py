"""Sustained alarm-receiver rates: the highest send rate with nothing lost, and its CPU.

The receivers run in a child process (as ``telcolens faults receive`` would, with the
Parquet sink writing to a temporary data directory); this process sends pre-encoded
SNMPv2c traps, then RFC 5424 syslog datagrams, at each rate of a rising ladder for
``--seconds`` seconds, paced every millisecond. A step is lossless when every
datagram sent was received and parsed. Syslog over TCP cannot lose messages (TCP
pushes back), so for it the throughput of one connection sending as fast as it can
is reported. CPU is the receiver process's user+system time over the step and
the drain after it, as a percentage of one core and per message. Prints JSON.

    .venv/bin/python benchmarks/bench_receivers.py --seconds 5
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import platform
import socket
import sys
import tempfile
import time

import psutil

from telcolens.faults.receivers import ParquetSink, ReceiverConfig, Receivers
from telcolens.faults.receivers.snmp import TELCOLENS_ENTERPRISE, encode_trap

LADDER = (1_000, 2_000, 5_000, 10_000, 15_000, 20_000, 30_000, 40_000, 60_000, 80_000)
TRAP = encode_trap(
    f"{TELCOLENS_ENTERPRISE}.0.1",
    [
        (f"{TELCOLENS_ENTERPRISE}.1.1.0", "enb-330102"),
        (f"{TELCOLENS_ENTERPRISE}.1.2.0", "LINK_DOWN"),
        (f"{TELCOLENS_ENTERPRISE}.1.3.0", "major"),
        (f"{TELCOLENS_ENTERPRISE}.1.4.0", "S1 link to MME pool 2 down"),
    ],
)
SYSLOG = b"<11>1 2026-11-24T15:04:05.123Z olt-0712 ifmgr 412 LINK - Interface gpon-0/3 link down"


def _serve(name: str, conn, data_dir: str) -> None:
    """Child process: run one receiver, answer 'counters' requests until 'stop'."""

    async def main() -> None:
        sink = ParquetSink(data_dir, max_rows=10_000, max_seconds=1.0).start()
        config = ReceiverConfig(**{name.replace("-", "_"): ("127.0.0.1", 0)})
        async with Receivers(config, sink) as running:
            conn.send(running.addresses[name][1])
            loop = asyncio.get_running_loop()
            while await loop.run_in_executor(None, conn.recv) != "stop":
                conn.send({**running.counters[name].as_dict(), "written": sink.written})
        sink.close()
        conn.send({"written": sink.written})

    asyncio.run(main())


class Child:
    def __init__(self, name: str, data_dir: str) -> None:
        ctx = mp.get_context("spawn")
        self.conn, theirs = ctx.Pipe()
        self.process = ctx.Process(target=_serve, args=(name, theirs, data_dir), daemon=True)
        self.process.start()
        self.port = self.conn.recv()
        self.ps = psutil.Process(self.process.pid)

    def counters(self) -> dict[str, int]:
        self.conn.send("counters")
        return self.conn.recv()

    def cpu_seconds(self) -> float:
        times = self.ps.cpu_times()
        return times.user + times.system

    def settle(self, expected: int, timeout: float = 5.0) -> dict[str, int]:
        """Counters once all ``expected`` arrived, or once they stop moving."""
        deadline, last = time.monotonic() + timeout, None
        while True:
            now = self.counters()
            if now["received"] >= expected or now == last or time.monotonic() > deadline:
                return now
            last = now
            time.sleep(0.3)

    def stop(self) -> dict[str, int]:
        self.conn.send("stop")
        final = self.conn.recv()
        self.process.join(10)
        return final


def _paced(sock: socket.socket, port: int, datagram: bytes, rate: int, seconds: float) -> int:
    """Send ``rate`` datagrams a second for ``seconds``; returns how many were sent."""
    total, sent, started = int(rate * seconds), 0, time.perf_counter()
    address = ("127.0.0.1", port)
    while sent < total:
        due = min(total, int((time.perf_counter() - started) * rate) + 1)
        while sent < due:
            sock.sendto(datagram, address)
            sent += 1
        time.sleep(0.001)
    return sent


def udp_ladder(name: str, datagram: bytes, seconds: float, data_dir: str) -> dict:
    child = Child(name, data_dir)
    steps, best = [], 0
    try:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            for rate in LADDER:
                before, cpu0, t0 = child.counters(), child.cpu_seconds(), time.perf_counter()
                sent = _paced(sock, child.port, datagram, rate, seconds)
                send_s = time.perf_counter() - t0
                after = child.settle(before["received"] + sent)
                cpu, wall = child.cpu_seconds() - cpu0, time.perf_counter() - t0
                received = after["received"] - before["received"]
                parsed = after["parsed"] - before["parsed"]
                steps.append(
                    {
                        "rate_per_s": rate,
                        "sent": sent,
                        "received": received,
                        "parsed": parsed,
                        "lost": sent - received,
                        "achieved_send_rate_per_s": round(sent / send_s),
                        # Over the step and the drain after it (settle's 0.3 s polls included).
                        "receiver_cpu_percent_of_one_core": round(100 * cpu / wall, 1),
                        "receiver_cpu_us_per_message": round(1e6 * cpu / max(received, 1), 1),
                    }
                )
                if parsed != sent:
                    break
                best = rate
    finally:
        final = child.stop()
    return {"steps": steps, "max_lossless_rate_per_s": best, "written_to_parquet": final["written"]}


def tcp_throughput(lines: int, data_dir: str) -> dict:
    child = Child("syslog-tcp", data_dir)
    try:
        payload = b"".join(b"%d %s" % (len(SYSLOG), SYSLOG) for _ in range(lines))
        cpu0, t0 = child.cpu_seconds(), time.perf_counter()
        with socket.create_connection(("127.0.0.1", child.port)) as sock:
            sock.sendall(payload)
        after = child.settle(lines, timeout=120)
        # settle polls every 0.3 s: the end time is known to that precision.
        seconds = time.perf_counter() - t0
        cpu = child.cpu_seconds() - cpu0
    finally:
        child.stop()
    return {
        "frames": lines,
        "parsed": after["parsed"],
        "seconds": round(seconds, 2),
        "frames_per_s": round(after["parsed"] / seconds),
        "receiver_cpu_percent_of_one_core": round(100 * cpu / seconds, 1),
        "receiver_cpu_us_per_message": round(1e6 * cpu / max(after["parsed"], 1), 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=5.0, help="length of each rate step")
    parser.add_argument("--tcp-frames", type=int, default=200_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "machine": {
                "cpus": os.cpu_count(),
                "python": platform.python_version(),
                "rmem_max": _rmem_max(),
                # Other work on the machine takes cores from sender and receiver alike.
                "loadavg_1m_at_start": round(os.getloadavg()[0], 2),
            },
            "seconds_per_step": args.seconds,
            "snmp_v2c_udp": udp_ladder("snmp", TRAP, args.seconds, f"{tmp}/snmp"),
            "syslog_5424_udp": udp_ladder("syslog-udp", SYSLOG, args.seconds, f"{tmp}/udp"),
            "syslog_5424_tcp": tcp_throughput(args.tcp_frames, f"{tmp}/tcp"),
        }
        result["machine"]["loadavg_1m_at_end"] = round(os.getloadavg()[0], 2)
    json.dump(result, sys.stdout, indent=2)
    print()


def _rmem_max() -> int | None:
    # The kernel caps SO_RCVBUF at this: the burst a receiver can absorb.
    try:
        with open("/proc/sys/net/core/rmem_max") as f:
            return int(f.read())
    except OSError:
        return None


if __name__ == "__main__":
    main()
