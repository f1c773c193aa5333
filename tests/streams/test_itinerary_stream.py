"""The visited-places build reads what the location stream lands, as it reads a province."""

from __future__ import annotations

import datetime as dt
import shutil
import sqlite3
from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from telcolens import engine as engines
from telcolens.cli import build_app
from telcolens.itinerary.build import build


def _visits(index: Path) -> pd.DataFrame:
    with sqlite3.connect(index / "visits.sqlite") as con:
        return pd.read_sql("SELECT * FROM visits ORDER BY subscriber_id, city", con)


def test_location_events_from_the_stream_give_the_provinces_cards(
    province: Path, names, tmp_path: Path
):
    app, runner = build_app(), CliRunner()
    published = runner.invoke(
        app, ["stream", "publish", "--table", "location_events", "--data", str(province)]
    )
    assert published.exit_code == 0, published.output
    fed = tmp_path / "fed"
    consumed = runner.invoke(
        app, ["stream", "consume", "--data", str(fed), "--once", "--max-wait", "0.5"]
    )
    assert consumed.exit_code == 0, consumed.output
    shutil.copytree(province / "cells", fed / "cells")
    reference = tmp_path / "reference"
    for table in ("cells", "location_events"):
        shutil.copytree(province / table, reference / table)
    as_of = dt.date(2026, 11, 4)  # the shared province holds 2026-11-02 and -03
    con = engines.connect("duckdb")
    from_stream = build(fed, as_of, tmp_path / "a", con=con)
    from_files = build(reference, as_of, tmp_path / "b", con=con)
    assert from_stream.visits == from_files.visits > 0
    pd.testing.assert_frame_equal(_visits(tmp_path / "a"), _visits(tmp_path / "b"))
