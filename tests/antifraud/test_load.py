"""Loading runs into the store: idempotent; cleared numbers stay cleared without new evidence."""

from __future__ import annotations

import datetime as dt
import json
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pandas as pd
import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session
from typer.testing import CliRunner

from telcolens.antifraud import workflow
from telcolens.antifraud.load import (
    LoadConflict,
    LoadError,
    export_lists,
    load_run,
    load_run_alone,
)
from telcolens.antifraud.models import (
    CardBroker,
    CaseActivity,
    FraudCase,
    Run,
    VictimWarning,
    WhitelistEntry,
)
from telcolens.cli import app
from telcolens.store.db import make_engine, upgrade
from telcolens.store.models import AuditEntry


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


def _race(store: sa.Engine, first: Path, second: Callable[[], object]) -> object:
    """``second()`` on a thread of its own while a load of ``first`` holds its transaction open.

    The first load commits only once the second is waiting on the day's row (its INSERT or
    UPDATE of antifraud_runs has been sent), so the two really overlap. Returns what
    ``second`` returned or raised.
    """
    outcome: dict[str, object] = {}
    sent = threading.Event()

    def spot(_conn, _cursor, statement, *_args) -> None:
        words = statement.split()[:3]
        writes = words[:1] in (["INSERT"], ["UPDATE"]) and "antifraud_runs" in words
        if writes and threading.get_ident() == outcome.get("thread"):
            sent.set()

    def run_second() -> None:
        outcome["thread"] = threading.get_ident()
        try:
            outcome["result"] = second()
        except Exception as exc:  # handed to the test thread, which asserts on it
            outcome["result"] = exc

    sa.event.listen(sa.Engine, "before_cursor_execute", spot)
    try:
        with Session(store) as s, s.begin():
            load_run(s, first, actor="first")
            thread = threading.Thread(target=run_second)
            thread.start()
            assert sent.wait(60), "the second load never reached the day's row"
            time.sleep(0.5)  # let it block on the first's transaction
        thread.join(60)
    finally:
        sa.event.remove(sa.Engine, "before_cursor_execute", spot)
    assert not thread.is_alive()
    return outcome["result"]


def _lists(engine: sa.Engine) -> list[int]:
    return [_count(engine, m) for m in (FraudCase, VictimWarning, CardBroker, CaseActivity)]


def _run_loads(engine: sa.Engine) -> int:
    with Session(engine) as s:
        return len(s.scalars(sa.select(AuditEntry).where(AuditEntry.action == "run.load")).all())


def test_two_loads_of_one_run_at_once_count_once(store, store_url, day_run: Path) -> None:
    other = make_engine(store_url)
    report = _race(store, day_run, lambda: load_run_alone(other, day_run, actor="second"))
    other.dispose()
    assert not isinstance(report, Exception), report
    assert report.already_loaded
    with Session(store) as s:
        assert [r.loaded_by for r in s.scalars(sa.select(Run))] == ["first"]
        assert {c.times_flagged for c in s.scalars(sa.select(FraudCase))} == {1}
    assert _run_loads(store) == 1
    assert _lists(store)[0] == len(pd.read_csv(day_run / "fraud_list.csv"))


def test_a_rerun_of_a_loaded_day_twice_at_once_counts_once(store, store_url, day_run, tmp_path):
    _load(store, day_run)
    rerun = _next_day(day_run, tmp_path / "rerun", score_delta=-0.001, days=0)
    other = make_engine(store_url)
    report = _race(store, rerun, lambda: load_run_alone(other, rerun, actor="second"))
    other.dispose()
    assert not isinstance(report, Exception), report
    assert report.already_loaded
    assert _run_loads(store) == 2  # the first load, then one of the two reruns
    with Session(store) as s:
        assert s.scalars(sa.select(Run.loaded_by)).all() == ["first"]


def test_other_files_for_the_day_loaded_meanwhile_are_a_conflict(
    store, store_url, day_run, tmp_path
) -> None:
    rerun = _next_day(day_run, tmp_path / "rerun", score_delta=-0.001, days=0)
    other = make_engine(store_url)
    error = _race(store, day_run, lambda: load_run_alone(other, rerun, actor="second"))
    assert isinstance(error, LoadConflict), error
    assert "load it again" in str(error)
    with Session(store) as s:
        assert s.scalars(sa.select(Run.source)).all() == [str(day_run.resolve())]
    assert _run_loads(store) == 1
    # Loaded again, after the other, it replaces the day's run as a rerun does.
    assert not load_run_alone(other, rerun, actor="second").already_loaded
    other.dispose()


def test_the_cli_load_losing_a_race_says_already_loaded(store, store_url, day_run) -> None:
    result = _race(
        store,
        day_run,
        lambda: CliRunner().invoke(
            app, ["antifraud", "load", str(day_run), "--database-url", store_url]
        ),
    )
    assert result.exit_code == 0, result.output
    assert "already loaded (same digest): nothing changed" in " ".join(result.output.split())
    assert _run_loads(store) == 1


def test_a_load_waits_for_another_beyond_the_requests_lock_timeout(
    store, store_url, day_run: Path, monkeypatch
) -> None:
    """Requests give up on a lock after TELCOLENS_DB_LOCK_TIMEOUT_S; a batch load waits on."""
    from telcolens.settings import get_settings

    monkeypatch.setenv("TELCOLENS_DB_LOCK_TIMEOUT_S", "0.1")
    get_settings.cache_clear()
    try:
        other = make_engine(store_url)
        report = _race(store, day_run, lambda: load_run_alone(other, day_run, actor="second"))
        other.dispose()
    finally:
        get_settings.cache_clear()
    assert not isinstance(report, Exception), report
    assert report.already_loaded
