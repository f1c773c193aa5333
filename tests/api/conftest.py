"""An API on a loaded store, with one user per role."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcolens.antifraud.load import load_run
from telcolens.api import create_app
from telcolens.capabilities import role_names
from telcolens.store.users import create_user

PASSWORD = "a-long-test-password"


def make_client(url: str, run: Path) -> TestClient:
    app = create_app(url)
    with Session(app.state.engine) as s, s.begin():
        for role in role_names():
            create_user(s, role, role, PASSWORD, actor="test")
        load_run(s, run, actor="test")
    return TestClient(app)


def token(client: TestClient, role: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"name": role, "password": PASSWORD})
    assert r.status_code == 200, r.text
    assert r.cookies.get("telcolens_session") == r.json()["token"]
    client.cookies.clear()  # tests say who they are with the header alone
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def client(store_url: str, day_run: Path) -> Iterator[TestClient]:
    """The API on each store backend, loaded with the shared province's run."""
    with make_client(store_url, day_run) as c:
        yield c
    c.app.state.engine.dispose()


@pytest.fixture(scope="module")
def sqlite_client(tmp_path_factory: pytest.TempPathFactory, day_run: Path) -> Iterator[TestClient]:
    """One API on SQLite for a whole module (tests that only read, or act on their own cases)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('api') / 'store.db'}"
    with make_client(url, day_run) as c:
        yield c
    c.app.state.engine.dispose()
