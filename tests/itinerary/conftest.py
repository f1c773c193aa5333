"""Fixtures of the visited-places tests: the capability registered, a small index, the API."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from telcolens import capabilities as registry
from telcolens.api import create_app
from telcolens.itinerary.index import Window, write_index
from telcolens.itinerary.models import OutboxSms
from telcolens.privacy import pseudonymise
from telcolens.settings import get_settings
from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user
from tests.api.conftest import PASSWORD

PACKAGE = "telcolens.itinerary"
AGENT = "itinerary_agent"
ANALYST = "fraud_analyst"  # logged in, not an agent
# Numbers of the index: one with two cities, one with one; UNKNOWN is in no row.
TRAVELLER = "13812345678"
HOMEBODY = "13900001111"
UNKNOWN = "13700002222"
WINDOW = Window(
    as_of=dt.date(2026, 11, 30),
    start=dt.date(2026, 11, 16),
    end=dt.date(2026, 11, 29),
    min_stay_hours=4.0,
)


def visits(city_of_homebody: str = "Jinan") -> list[tuple[int, str, dt.date, dt.date, float]]:
    t, h = pseudonymise(TRAVELLER), pseudonymise(HOMEBODY)
    return [
        (t, "Jinan", dt.date(2026, 11, 16), dt.date(2026, 11, 20), 30.0),
        (t, "Qingdao", dt.date(2026, 11, 21), dt.date(2026, 11, 29), 50.0),
        (h, city_of_homebody, dt.date(2026, 11, 16), dt.date(2026, 11, 29), 300.0),
    ]


@pytest.fixture(scope="module", autouse=True)
def itinerary_registered() -> Iterator[None]:
    """The capability in the registry: built in (once it is), else registered for the tests."""
    if PACKAGE in registry.BUILTIN:
        yield
        return
    registry.register(PACKAGE)
    try:
        yield
    finally:
        registry.unregister(PACKAGE)


@pytest.fixture
def index_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A small index, named by TELCOLENS_ITINERARY_INDEX for the test."""
    path = tmp_path / "index"
    write_index(path, WINDOW, visits())
    monkeypatch.setenv("TELCOLENS_ITINERARY_INDEX", str(path))
    get_settings.cache_clear()
    yield path
    monkeypatch.delenv("TELCOLENS_ITINERARY_INDEX", raising=False)
    get_settings.cache_clear()


@pytest.fixture
def client(store_url: str, index_dir: Path) -> Iterator[TestClient]:
    """The API on each store backend, with an agent, an analyst and an admin."""
    app = create_app(store_url)
    with Session(app.state.engine) as s, s.begin():
        for role in (AGENT, ANALYST, "admin"):
            create_user(s, role, role, PASSWORD, actor="test")
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


def texted_code(client: TestClient, number: str) -> str:
    """The code in the newest text queued for ``number`` (what the phone would receive)."""
    with Session(client.app.state.engine) as s:
        text = s.scalar(
            sa.select(OutboxSms.text)
            .where(OutboxSms.subscriber_id == pseudonymise(number))
            .order_by(OutboxSms.id.desc())
            .limit(1)
        )
    assert text is not None, f"no text queued for {number}"
    return re.search(r"\b(\d{6})\b", text).group(1)


@pytest.fixture
def sessions(store_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a migrated store of each backend (``store_url``)."""
    engine = make_engine(store_url)
    upgrade(engine)
    yield sessionmaker(engine, expire_on_commit=False)
    engine.dispose()
