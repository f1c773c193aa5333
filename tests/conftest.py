"""Shared fixtures: the synthetic province every capability tests on."""

from __future__ import annotations

from pathlib import Path

import pytest

from telcolens.simulate import generate_province

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
