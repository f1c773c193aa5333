"""The case workflow: what analysts do with a flagged number, each step audited.

::

    new ──review──▶ under_review ──confirm──▶ confirmed ──hand_over──▶ (handed to police)
     │                  │                        │
     └──────clear───────┴──────────┐             └──reinstate──▶ cleared
                                   ▼
                                cleared   (whitelist: cleared + on the whitelist)

A cleared number is reopened by a later run only on new evidence (see
:func:`new_evidence`). Every action writes one audit entry in the same
transaction, so an action and its record commit or fail together.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.antifraud.lists import CATEGORIES
from telcolens.antifraud.models import FraudCase, Reinstatement, WhitelistEntry
from telcolens.errors import Conflict
from telcolens.store.audit import record
from telcolens.store.models import utcnow

# A cleared case reopens when its score rises this much above the score it was cleared at...
REOPEN_SCORE_RISE = 0.10
# ...or when a rule fires that had not fired when it was cleared.


class WorkflowError(Conflict):
    """An action that does not apply to the case in its current state."""


def _need(case: FraudCase, action: str, allowed: Iterable[str]) -> None:
    allowed = tuple(allowed)
    if case.status not in allowed:
        raise WorkflowError(
            f"case {case.id} is {case.status}; {action} needs it to be {' or '.join(allowed)}"
        )


def _decide(case: FraudCase, status: str, actor: str, note: str | None) -> None:
    now = utcnow()
    case.status = status
    case.analyst = actor
    case.decision_note = note
    case.decided_at = now
    case.updated_at = now
    case.decided_score = case.score
    case.decided_rules = list(case.rules)


def review(session: Session, case: FraudCase, actor: str) -> None:
    """Take a new case for review."""
    _need(case, "review", ["new"])
    case.status, case.analyst, case.updated_at = "under_review", actor, utcnow()
    record(session, actor, "case.review", "fraud_case", case.id)


def confirm(session: Session, case: FraudCase, actor: str, note: str = "") -> None:
    """Confirm the number is used for fraud."""
    _need(case, "confirm", ["new", "under_review"])
    _decide(case, "confirmed", actor, note)
    record(session, actor, "case.confirm", "fraud_case", case.id, note=note, score=case.score)


def clear(session: Session, case: FraudCase, actor: str, reason: str) -> None:
    """Clear the number after review: not fraud."""
    if not reason.strip():
        raise WorkflowError("clearing a case needs a reason")
    _need(case, "clear", ["new", "under_review"])
    _decide(case, "cleared", actor, reason)
    record(session, actor, "case.clear", "fraud_case", case.id, reason=reason)


def whitelist(session: Session, case: FraudCase, actor: str, category: str, note: str) -> None:
    """Clear the case and put the number on the whitelist (a registered business line)."""
    if category not in CATEGORIES:
        raise WorkflowError(f"category {category!r} is not one of {', '.join(CATEGORIES)}")
    _need(case, "whitelist", ["new", "under_review", "cleared"])
    if session.get(WhitelistEntry, case.subscriber_id) is None:
        session.add(
            WhitelistEntry(
                subscriber_id=case.subscriber_id, category=category, note=note, added_by=actor
            )
        )
    _decide(case, "cleared", actor, f"whitelisted ({category}): {note}".rstrip(": "))
    record(session, actor, "case.whitelist", "fraud_case", case.id, category=category, note=note)


def reinstate(session: Session, case: FraudCase, actor: str, reason: str) -> None:
    """Restore a confirmed number's service after appeal: cleared, with a reinstatement."""
    if not reason.strip():
        raise WorkflowError("a reinstatement needs a reason")
    _need(case, "reinstate", ["confirmed"])
    if case.handed_over_at is not None:
        # The centre holds the evidence: it must withdraw its own copy.
        reason = f"{reason} (handed to the police {case.handed_over_at:%Y-%m-%d}; tell them)"
    session.add(Reinstatement(subscriber_id=case.subscriber_id, reason=reason, analyst=actor))
    _decide(case, "cleared", actor, reason)
    record(session, actor, "case.reinstate", "fraud_case", case.id, reason=reason)


def hand_over(session: Session, case: FraudCase, actor: str) -> None:
    """Hand a confirmed case to the police anti-fraud centre."""
    _need(case, "hand over", ["confirmed"])
    if case.handed_over_at is not None:
        raise WorkflowError(f"case {case.id} was handed over on {case.handed_over_at:%Y-%m-%d}")
    case.handed_over_at, case.handed_over_by = utcnow(), actor
    case.updated_at = case.handed_over_at
    record(session, actor, "case.hand_over", "fraud_case", case.id)


ACTIONS = {
    "review": review,
    "confirm": confirm,
    "clear": clear,
    "whitelist": whitelist,
    "reinstate": reinstate,
    "hand_over": hand_over,
}


def new_evidence(case: FraudCase, score: float, rules: list[str]) -> str | None:
    """Why a cleared case should reopen on a new flag, or None to keep it closed."""
    if case.decided_score is not None and score >= case.decided_score + REOPEN_SCORE_RISE:
        return f"score rose from {case.decided_score:.2f} to {score:.2f}"
    fresh = sorted(set(rules) - set(case.decided_rules or []))
    if fresh:
        return f"new rule(s) matched: {', '.join(fresh)}"
    return None


def protected_numbers(session: Session) -> set[int]:
    """Numbers no run may open a case on: the whitelist."""
    return set(session.scalars(select(WhitelistEntry.subscriber_id)))
