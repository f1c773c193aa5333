"""Day partials: window features from partials equal the full recomputation, on both engines."""

from __future__ import annotations

import datetime as dt
import re
import shutil
from pathlib import Path

import ibis
import numpy as np
import pandas as pd
import pyarrow.parquet as pq
import pytest

from telcolens import engine as engines
from telcolens.antifraud.features import FEATURES, fraud_features
from telcolens.antifraud.partials import PARTIALS, partial_path, window_features, write_day_partials
from telcolens.antifraud.rolling import WINDOW_DIR
from telcolens.dataset import day_files, day_part, write_part
from telcolens.retention import PARTIALS_DIR
from telcolens.schema import VOICE
from telcolens.simulate import generate_province

START = dt.date(2026, 11, 2)  # generate_province's default first day
DAYS = 10
# Two as-of days whose 7-day windows each leave some record days out.
AS_OF = (START + dt.timedelta(days=8), START + dt.timedelta(days=10))


@pytest.fixture(scope="session")
def ten_days(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """2,000 subscribers x 10 record days, parts named by date (day-2026-11-02...)."""
    out = tmp_path_factory.mktemp("ten-days") / "data"
    generate_province(out, subscribers=2000, days=DAYS, seed=3, progress=False)
    for f in out.glob("*/day-*.parquet"):
        # The generator may still name parts by day index (day-000): date them.
        if m := re.fullmatch(r"day-(\d{3})(\..*)?\.parquet", f.name):
            day = START + dt.timedelta(days=int(m.group(1)))
            f.rename(f.with_name(f"{day_part(day)}{m.group(2) or ''}.parquet"))
    return out


@pytest.fixture
def province(ten_days: Path, tmp_path: Path) -> Path:
    """A fresh copy of the ten-day province (the tests write partials into it)."""
    return Path(shutil.copytree(ten_days, tmp_path / "data"))


def full(con, data_dir: Path, as_of: dt.date) -> pd.DataFrame:
    t = engines.tables(con, data_dir)
    return con.to_pyarrow(fraud_features(t, as_of)).to_pandas()


def incremental(con, data_dir: Path, as_of: dt.date) -> pd.DataFrame:
    return con.to_pyarrow(window_features(con, data_dir, as_of)).to_pandas()


def assert_same_features(got: pd.DataFrame, want: pd.DataFrame) -> None:
    assert list(got.columns) == ["subscriber_id", *FEATURES]
    got = got.sort_values("subscriber_id").reset_index(drop=True)
    want = want.sort_values("subscriber_id").reset_index(drop=True)
    assert len(got) == len(want) == 2000
    for col in got.columns:
        g, w = got[col], want[col]
        if pd.api.types.is_float_dtype(w):
            assert np.allclose(g, w, rtol=1e-12, atol=0, equal_nan=True), col
        else:
            assert g.tolist() == w.tolist(), col


def partial_files(data_dir: Path) -> dict[Path, int]:
    """The day partials (not the window state) and their modification times."""
    root = data_dir / PARTIALS_DIR
    return {f: f.stat().st_mtime_ns for f in root.rglob("*.parquet") if WINDOW_DIR not in f.parts}


def test_window_features_equal_the_full_recomputation(province, engine):
    con = engines.connect(engine)
    for as_of in AS_OF:
        want = full(con, province, as_of)
        # The window leaves days out: the full features differ from those over all records.
        everything = con.to_pyarrow(fraud_features(engines.tables(con, province), as_of, None))
        assert everything.to_pandas()["calls_out"].sum() > want["calls_out"].sum()
        assert_same_features(incremental(con, province, as_of), want)


def test_partials_sit_under_their_table_by_day(province):
    con = engines.connect("duckdb")
    written = write_day_partials(con, province, START)
    expected = {
        partial_path(province, table, name, START)
        for table, defs in PARTIALS.items()
        for name in [*defs, "inputs"]
    }
    assert set(written) == expected
    assert all(p.name == "day-2026-11-02.parquet" for p in written)
    assert write_day_partials(con, province, START) == []  # up to date: nothing recomputed


def test_the_next_day_reuses_the_partials_and_reads_one_day_of_records(province, monkeypatch):
    con = engines.connect("duckdb")
    first = AS_OF[0]
    incremental(con, province, first)
    before = partial_files(province)
    read: list[str] = []
    register = con.read_parquet

    def recording(path, **kwargs):
        read.append(str(path))
        return register(path, **kwargs)

    monkeypatch.setattr(con, "read_parquet", recording)
    expr = window_features(con, province, first + dt.timedelta(days=1))
    new_day = day_part(first)  # the as-of day before is the window's new record day
    after = partial_files(province)
    changed = {f for f, mtime in after.items() if before.get(f) != mtime}
    assert changed and all(f.name == f"{new_day}.parquet" for f in changed)
    assert set(before) <= set(after)
    # Raw records read one by one: that day's parts only (globs are engines.tables' views).
    raw = [p for p in read if PARTIALS_DIR not in p and "*" not in p]
    assert raw and all(Path(p).name.startswith(new_day) for p in raw)
    # The features read no whole record table: only partials and reference tables.
    sql = str(ibis.to_sql(expr, dialect="duckdb"))
    assert re.search(r"tl_[0-9a-f]{10}_subscribers\b", sql)
    for table in ("voice", "sms", "data_sessions", "location_events"):
        assert not re.search(rf"tl_[0-9a-f]{{10}}_{table}\b", sql), table
    assert_same_features(
        con.to_pyarrow(expr).to_pandas(), full(con, province, first + dt.timedelta(days=1))
    )


def test_a_late_part_recomputes_its_day(province):
    con = engines.connect("duckdb")
    as_of = AS_OF[0]
    incremental(con, province, as_of)
    before = partial_files(province)
    old = as_of - dt.timedelta(days=4)
    # Late records of an old day: some of its calls again, the other way round.
    calls = pq.read_table(day_files(province, VOICE, [old])[0]).slice(0, 500)
    names = calls.column_names
    late = calls.set_column(names.index("caller"), "caller", calls["callee"])
    late = late.set_column(names.index("callee"), "callee", calls["caller"])
    write_part(province, VOICE, late, day_part(old, "late"))
    got = incremental(con, province, as_of)
    after = partial_files(province)
    changed = {f for f, mtime in after.items() if before.get(f) != mtime}
    voice_partials = {
        partial_path(province, "voice", n, old) for n in [*PARTIALS["voice"], "inputs"]
    }
    assert changed == voice_partials
    assert_same_features(got, full(con, province, as_of))
