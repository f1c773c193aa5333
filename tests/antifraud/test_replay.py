"""The watch-mode replay: the held-back day round-trips as raw CSV and is timed."""

from __future__ import annotations

import pandas as pd
import pytest

from telcolens import engine as engines
from telcolens.antifraud.replay import replay
from telcolens.dataset import read_table
from tests.ingest.helpers import tree_digest

KEY = ["caller", "callee", "start_time", "duration_s", "direction", "cell_id"]


@pytest.fixture(scope="module")
def replayed(province, tmp_path_factory):
    before = tree_digest(province)
    work = tmp_path_factory.mktemp("replay") / "work"
    report = replay(province, work, con=engines.connect(), files_per_day=2, poll=0.1)
    assert tree_digest(province) == before, "the source province is left untouched"
    return report, work


def test_replay_reports_time_to_flag_of_planted_numbers(replayed) -> None:
    report, _ = replayed
    assert report.planted > 0
    assert report.first_flagged_during_replay >= 1
    assert report.flagged_within_60s == report.first_flagged_during_replay
    assert 0 < report.seconds_to_flag_median <= report.seconds_to_flag_max < 60
    # From the rename, which is before the poller first sees the file.
    assert report.seconds_from_arrival_max >= report.seconds_to_flag_max
    assert report.false_flags_during_replay >= 0
    as_dict = report.as_dict()
    assert as_dict["first_flagged_during_replay"] == report.first_flagged_during_replay


def test_every_held_back_call_comes_back_through_ingest(replayed, province) -> None:
    report, work = replayed
    names = [f["file"] for f in report.files]
    assert names == sorted(names) and names[0].startswith("voice_")
    assert all(f["status"] == "ingested" and f["seconds"] > 0 for f in report.files)
    original = read_table(province, "voice").to_pandas()
    replayed_voice = read_table(work / "data", "voice").to_pandas()
    assert (
        sum(f["rows"] for f in report.files)
        == (original.start_time >= original.start_time.max().normalize()).sum()
    )

    def rows(df: pd.DataFrame) -> pd.DataFrame:
        return df[KEY].sort_values(KEY, kind="stable").reset_index(drop=True)

    # Raw numbers pseudonymise to the very ids the generator wrote.
    pd.testing.assert_frame_equal(rows(replayed_voice), rows(original))


def test_replay_refuses_a_work_dir_it_did_not_make(province, tmp_path) -> None:
    (tmp_path / "precious.txt").write_text("keep me")
    with pytest.raises(ValueError, match="not a previous replay"):
        replay(province, tmp_path, con=engines.connect())
    assert (tmp_path / "precious.txt").exists()
