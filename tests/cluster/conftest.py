"""A real Spark standalone cluster on loopback: one master and two one-core workers.

The daemons are PySpark's own (``<pyspark>/bin/spark-class``), each in a process
group of its own so that the executors they fork are killed with them.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

WORKERS = 2
START_TIMEOUT_S = 90


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def spark_env() -> dict[str, str]:
    """The environment of the daemons and of the driver: one Spark, one Java, one Python."""
    import pyspark

    env = {
        **os.environ,
        "SPARK_HOME": str(Path(pyspark.__file__).parent),
        # Every daemon, the driver and the executors bind and advertise loopback, which
        # always routes; the machine's hostname may not.
        "SPARK_LOCAL_IP": "127.0.0.1",
        # The executors' Python workers must import telcolens' dependencies too.
        "PYSPARK_PYTHON": sys.executable,
        "SPARK_DAEMON_MEMORY": "256m",
    }
    java = shutil.which("java")
    if "JAVA_HOME" not in env and java:
        env["JAVA_HOME"] = str(Path(java).resolve().parent.parent)
    return env


@dataclass
class Cluster:
    """A running standalone master (``url``, JSON at ``json_url``) and its workers."""

    url: str
    json_url: str
    worker_dirs: list[Path]
    logs: list[Path]
    env: dict[str, str]

    def state(self) -> dict:
        """The master's view: workers, active and completed applications."""
        return httpx.get(self.json_url, timeout=5).json()

    def log_tails(self) -> str:
        return "\n".join(f"--- {log.name}\n{log.read_text()[-3000:]}" for log in self.logs)


def _start(cmd: list[str], env: dict[str, str], log: Path) -> subprocess.Popen:
    with log.open("ab") as out:
        return subprocess.Popen(
            cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def _stop(processes: list[subprocess.Popen]) -> None:
    """SIGTERM each process group, then SIGKILL whatever is left of it."""
    for process in processes:
        _signal_group(process, signal.SIGTERM)
    for process in processes:
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(15)
        # The group may outlive its leader (an executor still shutting down).
        _signal_group(process, signal.SIGKILL)
        process.wait()


def _signal_group(process: subprocess.Popen, sig: signal.Signals) -> None:
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, sig)


def _wait_for_workers(cluster: Cluster, processes: list[subprocess.Popen]) -> None:
    deadline = time.monotonic() + START_TIMEOUT_S
    alive = 0
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in processes):
            break
        try:
            alive = cluster.state()["aliveworkers"]
        except httpx.TransportError:
            alive = 0  # the master's web UI is not up yet
        if alive == WORKERS:
            return
        time.sleep(0.5)
    names = ["master"] + [f"worker-{i}" for i in range(WORKERS)]
    exited = [name for name, p in zip(names, processes, strict=False) if p.poll() is not None]
    pytest.fail(
        f"the Spark cluster did not come up within {START_TIMEOUT_S} s: {alive} of {WORKERS} "
        f"workers registered; exited: {exited or 'none'}\n{cluster.log_tails()}",
        pytrace=False,
    )


@pytest.fixture(scope="session")
def spark_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Cluster]:
    """A standalone master and two workers (1 core, 1 GiB each) on 127.0.0.1."""
    root = tmp_path_factory.mktemp("spark-cluster")
    env = spark_env()
    spark_class = str(Path(env["SPARK_HOME"]) / "bin" / "spark-class")
    port, webui = free_port(), free_port()
    cluster = Cluster(
        url=f"spark://127.0.0.1:{port}",
        json_url=f"http://127.0.0.1:{webui}/json/",
        worker_dirs=[root / f"worker-{i}" for i in range(WORKERS)],
        logs=[root / "master.log"] + [root / f"worker-{i}.log" for i in range(WORKERS)],
        env=env,
    )
    master = [spark_class, "org.apache.spark.deploy.master.Master"]
    master += ["--host", "127.0.0.1", "--port", str(port), "--webui-port", str(webui)]
    processes = [_start(master, env, cluster.logs[0])]
    try:
        for work_dir, log in zip(cluster.worker_dirs, cluster.logs[1:], strict=True):
            work_dir.mkdir()
            worker = [spark_class, "org.apache.spark.deploy.worker.Worker"]
            worker += ["--host", "127.0.0.1", "--cores", "1", "--memory", "1g"]
            worker += ["--webui-port", str(free_port()), cluster.url]
            processes.append(_start(worker, {**env, "SPARK_WORKER_DIR": str(work_dir)}, log))
        _wait_for_workers(cluster, processes)
        yield cluster
    finally:
        # Workers first, so they stop their executors while the master still answers.
        _stop(processes[1:])
        _stop(processes[:1])
