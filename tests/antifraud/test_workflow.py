"""The case workflow: allowed transitions, refused ones, and an audit entry for each action."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from telcolens.antifraud import workflow
from telcolens.antifraud.models import FraudCase, Reinstatement, WhitelistEntry
from telcolens.store.db import make_engine, upgrade
from telcolens.store.models import AuditEntry


@pytest.fixture
def session(tmp_path) -> Iterator[Session]:
    engine = make_engine(f"sqlite:///{tmp_path / 's.db'}")
    upgrade(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


@pytest.fixture
def case(session: Session) -> FraudCase:
    c = FraudCase(
        subscriber_id=-42,
        score=0.9,
        flagged_by="model",
        rules=["burst_caller"],
        reasons="",
        evidence={},
        first_flagged=dt.date(2026, 11, 1),
        last_flagged=dt.date(2026, 11, 1),
    )
    session.add(c)
    session.flush()
    return c


def _actions(session: Session) -> list[str]:
    return list(session.scalars(sa.select(AuditEntry.action).order_by(AuditEntry.id)))


def test_review_confirm_hand_over(session: Session, case: FraudCase) -> None:
    workflow.review(session, case, "ana")
    assert (case.status, case.analyst) == ("under_review", "ana")
    workflow.confirm(session, case, "ana", note="script calls to elderly")
    assert case.status == "confirmed" and case.decided_score == 0.9
    workflow.hand_over(session, case, "ana")
    assert case.handed_over_at is not None and case.handed_over_by == "ana"
    with pytest.raises(workflow.WorkflowError, match="was handed over"):
        workflow.hand_over(session, case, "ana")
    assert _actions(session) == ["case.review", "case.confirm", "case.hand_over"]


@pytest.mark.parametrize(
    ("action", "kwargs"),
    [
        ("hand_over", {}),
        ("reinstate", {"reason": "appeal upheld"}),
    ],
)
def test_actions_that_need_a_confirmed_case(session, case, action, kwargs) -> None:
    with pytest.raises(workflow.WorkflowError, match="needs it to be confirmed"):
        workflow.ACTIONS[action](session, case, "ana", **kwargs)
    assert _actions(session) == []


def test_clear_needs_a_reason_and_an_open_case(session, case) -> None:
    with pytest.raises(workflow.WorkflowError, match="needs a reason"):
        workflow.clear(session, case, "ana", "  ")
    workflow.clear(session, case, "ana", "a delivery rider")
    assert case.status == "cleared" and case.decision_note == "a delivery rider"
    with pytest.raises(workflow.WorkflowError, match="is cleared"):
        workflow.confirm(session, case, "ana")


def test_whitelist_clears_and_lists_the_number(session, case) -> None:
    with pytest.raises(workflow.WorkflowError, match="not one of"):
        workflow.whitelist(session, case, "ana", "friends", "")
    workflow.whitelist(session, case, "ana", "courier", "SF depot")
    assert case.status == "cleared"
    assert session.get(WhitelistEntry, -42).category == "courier"


def test_reinstate_a_confirmed_number(session, case) -> None:
    workflow.confirm(session, case, "ana")
    workflow.hand_over(session, case, "ana")
    workflow.reinstate(session, case, "bo", "owner proved identity in store")
    assert case.status == "cleared" and case.analyst == "bo"
    r = session.scalars(sa.select(Reinstatement)).one()
    assert r.subscriber_id == -42 and "tell them" in r.reason  # the police hold a copy


def test_new_evidence() -> None:
    c = FraudCase(decided_score=0.5, decided_rules=["a"])
    assert workflow.new_evidence(c, 0.55, ["a"]) is None
    assert "score rose" in workflow.new_evidence(c, 0.65, ["a"])
    assert "new rule(s) matched: b" in workflow.new_evidence(c, 0.5, ["a", "b"])
