"""The day's run over the shared province: lists, reasons, case files, whitelist."""

import json

import pandas as pd
import pytest
from typer.testing import CliRunner

from telcolens import engine as engines
from telcolens.antifraud.daily import run_day
from telcolens.antifraud.lists import reinstate
from telcolens.cli import app

ID = "subscriber_id"


@pytest.fixture(scope="module")
def day(province, tmp_path_factory):
    return run_day(province, tmp_path_factory.mktemp("day"))


def test_rules_alone_flag_numbers_each_with_reasons_and_a_case_file(day):
    listed = day.fraud_list
    assert len(listed) > 0
    assert (listed.reasons.str.len() > 0).all()
    assert set(listed.flagged_by) == {"rules"}
    for sid in listed[ID]:
        case = json.loads((day.out / "cases" / f"{sid}.json").read_text())
        assert case["reasons"] and case["rules"]
        assert case["evidence"]["calls_out"] > 0
        assert case["sample_calls"], "a flagged caller has calls to show"
        assert case["first_seen"] <= case["last_seen"]
    assert len(list((day.out / "cases").glob("*.json"))) == len(listed)


def test_outputs_on_disk_match_the_result(day):
    on_disk = pd.read_csv(day.out / "fraud_list.csv")
    assert on_disk[ID].tolist() == day.fraud_list[ID].tolist()
    summary = json.loads((day.out / "summary.json").read_text())
    assert summary["fraud_numbers"] == len(day.fraud_list)
    # No whitelist, no reinstatements: nothing kept off the list.
    assert summary["suppressed"] == 0 and day.suppressed.empty
    assert len(pd.read_csv(day.out / "suppressed.csv")) == 0
    brokers = pd.read_csv(day.out / "card_brokers.csv")
    assert set(brokers.kind) <= {"id_card", "device", "outlet"}
    assert (brokers.reasons.str.len() > 0).all()
    assert brokers.score.is_monotonic_decreasing


def test_warnings_name_a_flagged_number(day):
    assert len(day.warnings) > 0
    assert set(day.warnings.fraud_number) <= set(day.fraud_list[ID])
    assert (day.warnings.reasons.str.len() > 0).all()


def test_whitelisted_and_reinstated_numbers_are_never_flagged(day, province, tmp_path):
    listed = day.fraud_list[ID].tolist()
    assert len(listed) >= 2
    wl = tmp_path / "whitelist.csv"
    pd.DataFrame({ID: listed[:1], "category": ["courier"]}).to_csv(wl, index=False)
    re = tmp_path / "reinstated.csv"
    reinstate(re, listed[1], "verified delivery rider", "analyst")
    again = run_day(province, tmp_path / "out", whitelist=wl, reinstatements=re)
    assert not set(listed[:2]) & set(again.fraud_list[ID])
    assert set(again.fraud_list[ID]) == set(listed[2:])
    kept = pd.read_csv(tmp_path / "out" / "suppressed.csv")
    assert dict(zip(kept[ID], kept.why, strict=True)) == {
        listed[0]: "whitelist",
        listed[1]: "reinstated",
    }
    assert not (tmp_path / "out" / "cases" / f"{listed[0]}.json").exists()


def test_cli_run_prints_the_summary(province, tmp_path):
    result = CliRunner().invoke(
        app, ["antifraud", "run", "--data", str(province), "--out", str(tmp_path)]
    )
    assert result.exit_code == 0, result.output
    assert "fraud numbers flagged" in result.output
    assert (tmp_path / "fraud_list.csv").exists()


def test_cli_run_on_a_folder_without_calls_says_so(tmp_path):
    (tmp_path / "empty").mkdir()
    result = CliRunner().invoke(
        app, ["antifraud", "run", "--data", str(tmp_path / "empty"), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 2
    assert "no subscribers, voice table" in result.output


@pytest.mark.spark
@pytest.mark.slow
def test_the_day_is_the_same_on_spark(day, province, tmp_path):
    spark = run_day(province, tmp_path, con=engines.connect("spark"))
    for name in ("fraud_list", "card_brokers", "warnings"):
        pd.testing.assert_frame_equal(
            getattr(day, name).reset_index(drop=True),
            getattr(spark, name).reset_index(drop=True),
            check_exact=True,
        )
