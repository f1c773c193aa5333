"""The load-and-fault suite: a real ``uvicorn`` process on loopback, on each store.

Every test here is bounded in requests and time and talks only to 127.0.0.x.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from sqlalchemy.orm import sessionmaker

from telcolens.antifraud.load import load_run
from telcolens.capabilities import role_names
from telcolens.faults.lifecycle import load_incidents
from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user
from tests.faults.test_lifecycle import _incidents

PASSWORD = "a-long-load-password"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Server:
    """``telcolens``'s API in a process of its own, as ``telcolens serve`` runs it."""

    database_url: str
    log: Path
    port: int = field(default_factory=free_port)
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> Server:
        env = {
            **os.environ,
            "TELCOLENS_DATABASE_URL": self.database_url,
            "TELCOLENS_API_THREADS": "2",
        }
        cmd = [sys.executable, "-m", "uvicorn", "telcolens.api.app:app_from_settings"]
        cmd += ["--factory", "--host", "127.0.0.1", "--port", str(self.port)]
        cmd += ["--no-access-log", "--timeout-graceful-shutdown", "5"]
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(cmd, env=env, stdout=log, stderr=log)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited: {self.log.read_text()[-2000:]}")
            try:
                if httpx.get(f"{self.url}/health", timeout=1).status_code == 200:
                    return self
            except httpx.TransportError:
                time.sleep(0.1)
        raise RuntimeError("the server did not answer /health within 30 s")

    def kill(self) -> None:
        """SIGKILL: no clean shutdown, whatever was in flight is cut off."""
        assert self.process is not None
        self.process.send_signal(signal.SIGKILL)
        self.process.wait(10)

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(15)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(5)
                raise AssertionError("the server ignored SIGTERM for 15 s") from None

    def login(self, name: str, **transport) -> httpx.Client:
        client = httpx.Client(
            base_url=self.url, timeout=30, transport=httpx.HTTPTransport(**transport)
        )
        r = client.post("/api/auth/login", json={"name": name, "password": PASSWORD})
        assert r.status_code == 200, r.text
        client.cookies.clear()
        client.headers["Authorization"] = f"Bearer {r.json()['token']}"
        return client


@pytest.fixture
def loaded_store(store_url: str, day_run: Path) -> str:
    """The store (each backend) migrated: the province's run, 3 incidents, one user per role.

    Two analysts, so that racing requests come from different people, as they would.
    """
    engine = make_engine(store_url)
    upgrade(engine)
    with sessionmaker(engine)() as session, session.begin():
        for role in role_names():
            create_user(session, role, role, PASSWORD, actor="test")
        create_user(session, "analyst2", "fraud_analyst", PASSWORD, actor="test")
        load_run(session, day_run, actor="test")
        load_incidents(session, *_incidents(), "test")
    engine.dispose()
    return store_url


@pytest.fixture
def server(loaded_store: str, tmp_path: Path) -> Iterator[Server]:
    live = Server(loaded_store, tmp_path / "server.log").start()
    try:
        yield live
    finally:
        live.stop()
