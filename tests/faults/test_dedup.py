"""Deduplication: repeated raises join an episode, clears close their raises, table == stream."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from telcolens.faults.dedup import AlarmReducer, deduplicate

T0 = pd.Timestamp("2026-11-02 08:00:00")


def alarms(rows) -> pd.DataFrame:
    """Alarms from (ne_id, alarm_type, raised s, cleared s or None, severity) rows."""
    return pd.DataFrame(
        [
            (
                f"A-{i}",
                ne,
                kind,
                sev,
                T0 + pd.Timedelta(seconds=r),
                pd.NaT if c is None else T0 + pd.Timedelta(seconds=c),
            )
            for i, (ne, kind, r, c, sev) in enumerate(rows)
        ],
        columns=["alarm_id", "ne_id", "alarm_type", "severity", "raised_at", "cleared_at"],
    )


def test_repeats_while_active_join_and_a_raise_after_the_clear_opens_a_new_episode():
    table = alarms(
        [
            ("ACC-1", "LINK_DOWN", 0, 100, "major"),
            ("ACC-1", "LINK_DOWN", 30, 100, "critical"),  # sent again while active
            ("ACC-1", "LINK_DOWN", 60, 100, "minor"),
            ("ACC-1", "LINK_DOWN", 200, 260, "major"),  # after the clear: a flap
            ("ACC-1", "PORT_FLAP", 10, None, "minor"),  # other type: own key, never cleared
            ("ACC-2", "LINK_DOWN", 5, 50, "major"),  # other device: own key
        ]
    )
    episodes, episode_of = deduplicate(table)
    assert len(episodes) == 4
    first = episodes.iloc[episode_of["A-0"]]
    assert (first["count"], first["severity"]) == (3, "critical")
    assert first["last_seen"] == T0 + pd.Timedelta(seconds=60)
    assert first["cleared_at"] == T0 + pd.Timedelta(seconds=100)
    assert episode_of["A-1"] == episode_of["A-2"] == episode_of["A-0"]
    assert episode_of["A-3"] != episode_of["A-0"]
    assert pd.isna(episodes.iloc[episode_of["A-4"]]["cleared_at"])
    assert list(episodes["first_raised"]) == sorted(episodes["first_raised"])


def test_the_episode_stays_open_until_its_last_raise_clears():
    table = alarms(
        [
            ("OLT-1", "LOS", 0, 50, "critical"),
            ("OLT-1", "LOS", 20, None, "critical"),  # never cleared
            ("OLT-1", "LOS", 70, 80, "critical"),  # still inside the open episode
        ]
    )
    episodes, _ = deduplicate(table)
    assert len(episodes) == 1
    assert episodes.loc[0, "count"] == 3 and pd.isna(episodes.loc[0, "cleared_at"])


def test_the_stream_reducer_closes_only_when_every_raise_cleared():
    reducer = AlarmReducer()
    first = reducer.raise_alarm("ACC-1", "LINK_DOWN", T0, "major")
    assert reducer.raise_alarm("ACC-1", "LINK_DOWN", T0 + pd.Timedelta(seconds=5)) is first
    assert reducer.clear_alarm("ACC-1", "LINK_DOWN", T0 + pd.Timedelta(seconds=9)) is None
    assert reducer.clear_alarm("ACC-1", "LINK_DOWN", T0 + pd.Timedelta(seconds=10)) is first
    assert first.count == 2 and first.cleared_at == T0 + pd.Timedelta(seconds=10)
    assert reducer.clear_alarm("ACC-1", "LINK_DOWN", T0) is None  # nothing open
    again = reducer.raise_alarm("ACC-1", "LINK_DOWN", T0 + pd.Timedelta(seconds=20))
    assert again is not first and list(reducer.active_) == [("ACC-1", "LINK_DOWN")]


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_stream_gives_the_episodes_of_the_table(seed):
    rng = np.random.default_rng(seed)
    n = 400
    raised = rng.integers(0, 5000, n)
    lasting = rng.integers(1, 600, n)
    table = alarms(
        [
            (
                f"NE-{rng.integers(5)}",
                str(rng.choice(["LOS", "LINK_DOWN", "CELL_DOWN"])),
                int(r),
                None if rng.random() < 0.05 else int(r + d),
                str(rng.choice(["critical", "major", "minor"])),
            )
            for r, d in zip(raised, lasting, strict=True)
        ]
    )
    episodes, _ = deduplicate(table)
    streamed = AlarmReducer().feed(table).table()
    key = ["ne_id", "alarm_type", "first_raised"]
    a = episodes.drop(columns="episode_id").sort_values(key, ignore_index=True)
    b = streamed.drop(columns="episode_id").sort_values(key, ignore_index=True)
    pd.testing.assert_frame_equal(a, b, check_dtype=False)
    assert len(episodes) < len(table)  # overlapping raises did collapse


def test_a_stuck_alarm_ages_out_so_the_same_alarm_hours_later_is_a_new_episode():
    table = alarms(
        [
            ("ENB-1", "CELL_DOWN", 0, None, "critical"),  # its clear was lost
            ("ENB-1", "CELL_DOWN", 3600, None, "critical"),  # still the same episode
            ("ENB-1", "CELL_DOWN", 3600 + 7 * 3600, 3600 + 7 * 3600 + 60, "critical"),
        ]
    )
    episodes, _ = deduplicate(table)
    assert list(episodes["count"]) == [2, 1]
    assert len(deduplicate(table, stale_s=None)[0]) == 1
    streamed = AlarmReducer().feed(table).table()
    assert list(streamed["count"]) == [2, 1]
    assert streamed["cleared_at"].notna().tolist() == [False, True]
