"""Loading runs into the store: idempotent; cleared numbers stay cleared without new evidence."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from telcolens.antifraud import workflow
from telcolens.antifraud.load import LoadError, export_lists, load_run
from telcolens.store.db import make_engine, upgrade
from telcolens.store.models import (
    AuditEntry,
    CardBroker,
    CaseActivity,
    FraudCase,
    Run,
    VictimWarning,
    WhitelistEntry,
)


@pytest.fixture
def store(store_url: str) -> Iterator[sa.Engine]:
    engine = make_engine(store_url)
    upgrade(engine)
    yield engine
    engine.dispose()


def _load(engine: sa.Engine, run: Path):
    with Session(engine) as s, s.begin():
        return load_run(s, run, actor="loader")


def _count(engine: sa.Engine, model) -> int:
    with Session(engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(model))


def _next_day(run: Path, dest: Path, *, score_delta: float = 0.0, days: int = 1) -> Path:
    """A copy of ``run`` as if made ``days`` later, its scores moved by ``score_delta``."""
    shutil.copytree(run, dest)
    summary = json.loads((dest / "summary.json").read_text())
    as_of = dt.date.fromisoformat(summary["as_of"]) + dt.timedelta(days=days)
    summary["as_of"] = as_of.isoformat()
    (dest / "summary.json").write_text(json.dumps(summary))
    flagged = pd.read_csv(dest / "fraud_list.csv")
    flagged["score"] = (flagged["score"] + score_delta).clip(0, 1)
    flagged.to_csv(dest / "fraud_list.csv", index=False)
    return dest


def test_load_opens_one_case_per_flagged_number(store, day_run: Path) -> None:
    flagged = pd.read_csv(day_run / "fraud_list.csv")
    assert len(flagged) > 0
    report = _load(store, day_run)
    assert report.opened == len(flagged)
    assert _count(store, FraudCase) == len(flagged)
    assert _count(store, VictimWarning) == len(pd.read_csv(day_run / "victim_warnings.csv"))
    assert _count(store, CardBroker) == len(pd.read_csv(day_run / "card_brokers.csv"))
    assert _count(store, CaseActivity) == len(pd.read_csv(day_run / "activity.csv"))
    with Session(store) as s:
        case = s.scalars(sa.select(FraudCase)).first()
        assert case.status == "new"
        assert case.evidence["subscriber_id"] == case.subscriber_id
        assert case.first_seen is not None and case.first_seen.tzinfo is not None


def test_loading_the_same_run_twice_changes_nothing(store, day_run: Path) -> None:
    _load(store, day_run)
    counts = [_count(store, m) for m in (FraudCase, VictimWarning, CardBroker, CaseActivity)]
    again = _load(store, day_run)
    assert again.already_loaded
    assert [_count(store, m) for m in (FraudCase, VictimWarning, CardBroker, CaseActivity)] == (
        counts
    )
    assert _count(store, Run) == 1
    with Session(store) as s:
        loads = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "run.load")).all()
        assert len(loads) == 1
        assert {c.times_flagged for c in s.scalars(sa.select(FraudCase))} == {1}


def test_a_rerun_of_the_same_day_replaces_its_lists(store, day_run: Path, tmp_path) -> None:
    _load(store, day_run)
    with Session(store) as s, s.begin():
        w = s.scalars(sa.select(VictimWarning)).first()
        w.contacted_at, w.contacted_by, w.outcome = workflow.utcnow(), "agent", "warned_by_call"
        contacted = (w.subscriber_id, w.fraud_number)
    rerun = _next_day(day_run, tmp_path / "rerun", score_delta=-0.001, days=0)
    report = _load(store, rerun)
    assert not report.already_loaded and report.refreshed > 0 and report.opened == 0
    assert _count(store, VictimWarning) == len(pd.read_csv(day_run / "victim_warnings.csv"))
    with Session(store) as s:
        kept = s.scalars(
            sa.select(VictimWarning).where(
                VictimWarning.subscriber_id == contacted[0],
                VictimWarning.fraud_number == contacted[1],
            )
        ).one()
        assert kept.outcome == "warned_by_call"  # a contact made is never lost


def test_next_day_counts_the_flag_again(store, day_run: Path, tmp_path) -> None:
    _load(store, day_run)
    report = _load(store, _next_day(day_run, tmp_path / "next"))
    assert report.refreshed == _count(store, FraudCase)
    with Session(store) as s:
        assert {c.times_flagged for c in s.scalars(sa.select(FraudCase))} == {2}


def _clear_all(engine: sa.Engine) -> None:
    with Session(engine) as s, s.begin():
        for case in s.scalars(sa.select(FraudCase)):
            workflow.clear(s, case, "ana", "a family business line")


def test_cleared_numbers_stay_cleared_without_new_evidence(store, day_run, tmp_path) -> None:
    _load(store, day_run)
    _clear_all(store)
    report = _load(store, _next_day(day_run, tmp_path / "next", days=1))
    assert report.reopened == 0
    assert report.kept_closed == _count(store, FraudCase)
    with Session(store) as s:
        assert {c.status for c in s.scalars(sa.select(FraudCase))} == {"cleared"}


def test_cleared_numbers_reopen_on_new_evidence(store, day_run, tmp_path) -> None:
    _load(store, day_run)
    _clear_all(store)
    report = _load(store, _next_day(day_run, tmp_path / "next", score_delta=0.2))
    assert report.reopened == _count(store, FraudCase)
    with Session(store) as s:
        assert {c.status for c in s.scalars(sa.select(FraudCase))} == {"new"}
        reopen = s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "case.reopen")).all()
        assert len(reopen) == report.reopened
        assert "score rose" in reopen[0].detail["reason"]


def test_whitelisted_numbers_never_reopen(store, day_run, tmp_path) -> None:
    _load(store, day_run)
    with Session(store) as s, s.begin():
        for case in s.scalars(sa.select(FraudCase)):
            workflow.whitelist(s, case, "ana", "courier", "SF Express depot line")
    report = _load(store, _next_day(day_run, tmp_path / "next", score_delta=0.5))
    assert report.reopened == 0
    assert report.whitelisted == _count(store, FraudCase)
    with Session(store) as s:
        wl, _ = export_lists(s)
        assert set(wl.subscriber_id) == set(s.scalars(sa.select(WhitelistEntry.subscriber_id)))


def test_not_a_run_folder_is_a_clear_error(store, tmp_path) -> None:
    with pytest.raises(LoadError, match=r"missing summary\.json"):
        _load(store, tmp_path)
