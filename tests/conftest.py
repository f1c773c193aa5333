"""Shared fixtures: the synthetic province every capability tests on."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session

from telcolens.simulate import generate_province
from telcolens.store.db import make_engine, upgrade

PROVINCE_SIZE = {"subscribers": 3000, "days": 2, "seed": 11}


@pytest.fixture(params=["duckdb", pytest.param("spark", marks=pytest.mark.spark)])
def engine(request: pytest.FixtureRequest) -> str:
    """Each engine in turn: a test taking it runs on DuckDB, and on Spark in the full run."""
    return request.param


@pytest.fixture(scope="session")
def province(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small province (3,000 subscribers, 2 days) built once per session; its data dir."""
    out = tmp_path_factory.mktemp("province") / "data"
    generate_province(out, progress=False, **PROVINCE_SIZE)
    return out


PG_ADMIN = "postgresql://postgres@127.0.0.1:5432/postgres"


@pytest.fixture(params=["sqlite", "postgresql"])
def store_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """An empty store on each backend in turn: a SQLite file, then a fresh PostgreSQL database.

    The PostgreSQL server at 127.0.0.1:5432 (user postgres, trust auth) gets a new
    database per test, dropped afterwards.
    """
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'store.db'}"
        return
    import psycopg

    name = f"telcolens_test_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        yield f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
    finally:
        with psycopg.connect(PG_ADMIN, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def day_run(province: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The anti-fraud run (rules only) over the shared province: a run folder to load."""
    from telcolens.antifraud.daily import run_day

    out = tmp_path_factory.mktemp("antifraud") / "run"
    run_day(province, out)
    return out


@pytest.fixture
def store_session(store_url: str) -> Iterator[Session]:
    """A session on a migrated, empty store (each backend in turn, as ``store_url``)."""
    engine = make_engine(store_url)
    upgrade(engine)
    with Session(engine) as session:
        yield session
    engine.dispose()
