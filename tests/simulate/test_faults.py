"""Planted network faults: truth written, floods honest-hard, every other table unchanged."""

from __future__ import annotations

import pandas as pd
import pytest

from telcolens.dataset import read_table
from telcolens.schema import TABLES
from telcolens.simulate import faults, generate_province
from tests.simulate._frames import table, truth


@pytest.fixture(scope="module")
def planted(province):
    """Alarms joined to their planted fault (null for background), the faults, the links."""
    alarms = table(province, "alarms").merge(
        truth(province, "fault_alarms"), on="alarm_id", how="left"
    )
    return alarms, truth(province, "faults"), table(province, "links")


def test_faults_of_every_kind_are_planted_with_their_truth(province, planted):
    alarms, found, _ = planted
    elements = set(table(province, "network_elements")["ne_id"])
    assert len(found) >= faults.MIN_FAULTS_PER_DAY  # a Poisson number a day, about 6
    assert set(found["kind"]) == set(faults.KINDS)
    assert set(found["root_ne_id"]) <= elements
    assert (found["ended_at"] > found["started_at"]).all()
    mapped = truth(province, "fault_alarms")
    assert mapped["alarm_id"].is_unique and set(mapped["fault_id"]) <= set(found["fault_id"])
    assert set(mapped["alarm_id"]) < set(alarms["alarm_id"])  # background is not in it
    assert alarms["fault_id"].isna().sum() > 0 and alarms["alarm_id"].is_unique


def test_floods_are_jittered_incomplete_repeated_and_not_always_cleared(planted):
    alarms, found, links = planted
    flood = alarms.dropna(subset=["fault_id"]).merge(found, on="fault_id")
    delay = (flood["raised_at"] - flood["started_at"]).dt.total_seconds()
    per_fault = delay.groupby(flood["fault_id"])
    # Seconds to minutes after the start, never all at once.
    assert (per_fault.std() > 1).mean() > 0.5 and delay.quantile(0.9) > 60
    assert flood["cleared_at"].isna().mean() > 0.02
    repeats = flood.groupby(["fault_id", "ne_id", "alarm_type"]).size()
    assert (repeats > 1).any()
    # Some devices below a cut or dead switch stay silent.
    below = links.groupby("a_ne_id")["b_ne_id"].apply(set)
    silent = 0
    for fault in found[found["kind"].isin(["fibre_cut", "device_down"])].itertuples():
        reporting = set(flood.loc[flood["fault_id"] == fault.fault_id, "ne_id"])
        children = below.get(fault.root_ne_id, set())
        silent += len(children - reporting) > 0
    assert silent > 0


def test_some_roots_never_report(province):
    found = truth(province, "faults")
    assert found["root_reported"].dtype == bool
    assert found["root_reported"].mean() < 1


def test_other_tables_do_not_change_and_background_alarms_stay(tmp_path, monkeypatch):
    kwargs = {"subscribers": 1000, "days": 1, "seed": 21, "progress": False}
    with_faults = generate_province(tmp_path / "a", **kwargs).out
    monkeypatch.setattr(faults, "MIN_FAULTS_PER_DAY", 0)
    monkeypatch.setattr(faults, "FAULTS_PER_ELEMENT_DAY", 0.0)
    without = generate_province(tmp_path / "b", **kwargs).out
    for name in TABLES:
        if name != "alarms":
            assert read_table(with_faults, name).equals(read_table(without, name)), name
    background = table(with_faults, "alarms").merge(
        truth(with_faults, "fault_alarms"), on="alarm_id", how="left"
    )
    background = background[background["fault_id"].isna()].drop(columns=["fault_id"])
    plain = table(without, "alarms")
    assert len(truth(without, "faults")) == 0 and len(plain) == len(background) > 0
    columns = [c for c in plain.columns if c != "alarm_id"]
    pd.testing.assert_frame_equal(
        plain[columns].sort_values(columns, ignore_index=True),
        background[columns].sort_values(columns, ignore_index=True),
    )
