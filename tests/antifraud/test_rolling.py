"""The rolling window state: rolled day to day, rebuilt when it cannot be, features unchanged."""

from __future__ import annotations

import datetime as dt

import pyarrow.parquet as pq
import pytest

from telcolens import engine as engines
from telcolens.antifraud import rolling
from telcolens.antifraud._ring import RINGS
from telcolens.antifraud.rolling import RING, STATES, state_dir
from telcolens.dataset import day_files, day_part, write_part
from telcolens.schema import VOICE

from .test_partials import AS_OF, assert_same_features, full, incremental, province, ten_days

__all__ = ["province", "ten_days"]  # fixtures of test_partials, used here

ONE = dt.timedelta(days=1)


@pytest.fixture
def paths(monkeypatch: pytest.MonkeyPatch) -> list[tuple[str, str]]:
    """(how, state name) for each state computed: "built" from the union or "rolled"."""
    seen: list[tuple[str, str]] = []
    build, roll = rolling._build, rolling._roll

    def built(con, data_dir, name, days):
        seen.append(("built", name))
        return build(con, data_dir, name, days)

    def rolled(con, data_dir, name, old, days):
        seen.append(("rolled", name))
        return roll(con, data_dir, name, old, days)

    monkeypatch.setattr(rolling, "_build", built)
    monkeypatch.setattr(rolling, "_roll", rolled)
    return seen


def how(paths: list[tuple[str, str]]) -> set[str]:
    out = {h for h, _ in paths}
    assert {n for _, n in paths} == set(STATES)
    paths.clear()
    return out


def test_first_run_builds_the_state_and_a_rerun_reuses_it(province, paths):
    con = engines.connect("duckdb")
    as_of = AS_OF[0]
    assert_same_features(incremental(con, province, as_of), full(con, province, as_of))
    assert how(paths) == {"built"}
    here = state_dir(province, as_of)
    assert {f.name for f in here.iterdir()} == {
        *(f"{n}.parquet" for n in STATES),
        *(f"{RING}-{n}.parquet" for n in RINGS),
        "manifest.parquet",
    }
    incremental(con, province, as_of)
    assert paths == []  # current: neither built nor rolled


def test_consecutive_days_roll_the_state(province, paths, engine):
    con = engines.connect(engine)
    first = AS_OF[0]
    for i in range(3):
        as_of = first + i * ONE
        assert_same_features(incremental(con, province, as_of), full(con, province, as_of))
        assert how(paths) == ({"built"} if i == 0 else {"rolled"})
    # Only the newest state is kept: an older one is never rolled from again.
    states = sorted(p.name for p in state_dir(province, first).parent.iterdir())
    assert states == [state_dir(province, first + 2 * ONE).name]


def test_a_gap_in_the_days_run_rebuilds_the_state(province, paths):
    con = engines.connect("duckdb")
    incremental(con, province, AS_OF[0])
    how(paths)
    later = AS_OF[0] + 2 * ONE  # no state for the day before
    assert_same_features(incremental(con, province, later), full(con, province, later))
    assert how(paths) == {"built"}


def test_a_late_part_for_an_old_day_invalidates_the_state(province, paths):
    con = engines.connect("duckdb")
    as_of = AS_OF[0]
    incremental(con, province, as_of)
    how(paths)
    old = as_of - 4 * ONE  # in this window and in the next
    calls = pq.read_table(day_files(province, VOICE, [old])[0]).slice(0, 500)
    names = calls.column_names
    late = calls.set_column(names.index("caller"), "caller", calls["callee"])
    late = late.set_column(names.index("callee"), "callee", calls["caller"])
    write_part(province, VOICE, late, day_part(old, "late"))
    nxt = as_of + ONE
    assert_same_features(incremental(con, province, nxt), full(con, province, nxt))
    assert how(paths) == {"built"}
    # And the day after rolls again from the rebuilt state.
    after = nxt + ONE
    assert_same_features(incremental(con, province, after), full(con, province, after))
    assert how(paths) == {"rolled"}
