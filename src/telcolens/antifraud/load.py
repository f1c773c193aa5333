"""Loading a day's anti-fraud run into the store as cases, idempotently.

- Loading the same run twice changes nothing (its digest is already on record), also when
  the two loads run at once (:func:`load_run_alone`): the day's row is claimed first, so the
  second waits for the first and then finds the run loaded.
- Loading a new run of the same day replaces that day's lists and refreshes its cases.
- A flagged number with an open case refreshes it; with no case, opens one.
- A cleared number stays cleared unless the run brings new evidence
  (:func:`telcolens.antifraud.workflow.new_evidence`); a whitelisted one is never reopened.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from zoneinfo import ZoneInfo

import pandas as pd
from sqlalchemy import Engine, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from telcolens import csvsafe
from telcolens.antifraud.cases import plain
from telcolens.antifraud.lists import REINSTATEMENT_COLUMNS, WHITELIST_COLUMNS
from telcolens.antifraud.models import (
    CardBroker,
    CaseActivity,
    FraudCase,
    Reinstatement,
    Run,
    VictimWarning,
    WhitelistEntry,
)
from telcolens.antifraud.workflow import new_evidence, protected_numbers
from telcolens.errors import BadInput, Conflict
from telcolens.store.audit import record
from telcolens.store.db import patient
from telcolens.store.models import utcnow

RECORD_TZ = ZoneInfo("Asia/Shanghai")
RUN_FILES = ("summary.json", "fraud_list.csv", "victim_warnings.csv", "card_brokers.csv")


class LoadError(BadInput):
    """A run folder that cannot be loaded (missing or unreadable files)."""


class LoadConflict(Conflict, LoadError):
    """Another load of the same day, with other files, was committed while this one ran."""


@dataclass
class LoadReport:
    as_of: dt.date
    already_loaded: bool = False
    opened: int = 0
    refreshed: int = 0
    reopened: int = 0
    kept_closed: int = 0
    whitelisted: int = 0
    warnings: int = 0
    brokers: int = 0
    reopen_reasons: dict[int, str] = field(default_factory=dict)


def load_run(session: Session, run_dir: Path, actor: str) -> LoadReport:
    """Load ``run_dir`` (the output of ``telcolens antifraud run``) in the caller's transaction."""
    run_dir = Path(run_dir)
    missing = [f for f in RUN_FILES if not (run_dir / f).is_file()]
    if missing:
        raise LoadError(
            f"{run_dir} is not an anti-fraud run folder: missing {', '.join(missing)} "
            "(write one with `telcolens antifraud run`)"
        )
    summary = json.loads((run_dir / "summary.json").read_text())
    as_of, digest = dt.date.fromisoformat(summary["as_of"]), _digest(run_dir)
    report = LoadReport(as_of)
    run = session.scalar(select(Run).where(Run.as_of == as_of))
    if run is not None and run.digest == digest:
        report.already_loaded = True
        return report
    # Claim the day before writing anything else: a concurrent load of the same day waits
    # here for this one's transaction, then finds the day taken.
    if run is None:
        run = Run(as_of=as_of, source="", digest=digest, loaded_by=actor, summary={})
        session.add(run)
        session.flush()  # IntegrityError on runs.as_of if another load inserted the day
    elif not _claim(session, run, digest):
        return _loaded_meanwhile(session, as_of, digest)
    run.source, run.digest, run.summary = str(run_dir.resolve()), digest, summary
    run.loaded_at, run.loaded_by = utcnow(), actor

    _load_cases(session, run_dir, as_of, report)
    report.warnings = _replace_day(session, VictimWarning, as_of, _warnings(run_dir, as_of))
    report.brokers = _replace_day(session, CardBroker, as_of, _brokers(run_dir, as_of))
    _replace_day(session, CaseActivity, as_of, _activity(run_dir, as_of))
    record(
        session,
        actor,
        "run.load",
        "antifraud_run",
        as_of.isoformat(),
        source=run.source,
        opened=report.opened,
        refreshed=report.refreshed,
        reopened=report.reopened,
        kept_closed=report.kept_closed,
        whitelisted=report.whitelisted,
    )
    for case_id, why in report.reopen_reasons.items():
        record(session, actor, "case.reopen", "fraud_case", case_id, reason=why)
    return report


def load_run_alone(engine: Engine, run_dir: Path, actor: str) -> LoadReport:
    """Load ``run_dir`` in a transaction of its own, counting once against concurrent loads.

    A load of the same day committed meanwhile makes this one change nothing: it reports
    the run already loaded when the files are the same, raises :class:`LoadConflict` when
    they differ (load again to replace that run).
    """
    try:
        with Session(engine) as session, session.begin(), patient(session):
            return load_run(session, run_dir, actor)
    except IntegrityError as exc:
        if not _day_taken(exc):
            raise
    summary = json.loads((Path(run_dir) / "summary.json").read_text())
    with Session(engine) as session:
        as_of = dt.date.fromisoformat(summary["as_of"])
        return _loaded_meanwhile(session, as_of, _digest(Path(run_dir)))


def _claim(session: Session, run: Run, digest: str) -> bool:
    """Take over the day's row unless another load changed it since it was read."""
    taken = session.execute(
        update(Run)
        .where(Run.id == run.id, Run.digest == run.digest)
        .values(digest=digest)
        .execution_options(synchronize_session=False)
    )
    return taken.rowcount == 1


def _day_taken(exc: IntegrityError) -> bool:
    """Whether ``exc`` is the unique key on the run's day: another load inserted it first."""
    constraint = getattr(getattr(exc.orig, "diag", None), "constraint_name", None)
    return constraint == "antifraud_runs_as_of_key" or "antifraud_runs.as_of" in str(exc.orig)


def _loaded_meanwhile(session: Session, as_of: dt.date, digest: str) -> LoadReport:
    run = session.scalar(
        select(Run).where(Run.as_of == as_of).execution_options(populate_existing=True)
    )
    if run.digest == digest:
        return LoadReport(as_of, already_loaded=True)
    raise LoadConflict(
        f"another load of the run of {as_of} (other files: {run.source}, by {run.loaded_by}) "
        "was committed while this one ran; this one changed nothing: load it again to "
        "replace that run"
    )


def export_lists(session: Session) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The store's whitelist and reinstatements in the run's list format (pseudonyms)."""
    wl = pd.DataFrame(
        [
            (w.subscriber_id, w.category, w.note, w.added_by, w.added_at.isoformat())
            for w in session.scalars(select(WhitelistEntry))
        ],
        columns=list(WHITELIST_COLUMNS),
    )
    rs = pd.DataFrame(
        [
            (r.subscriber_id, r.reason, r.analyst, r.reinstated_at.isoformat())
            for r in session.scalars(select(Reinstatement))
        ],
        columns=list(REINSTATEMENT_COLUMNS),
    )
    return wl, rs


def _load_cases(session: Session, run_dir: Path, as_of: dt.date, report: LoadReport) -> None:
    flagged = _read_csv(run_dir / "fraud_list.csv")
    allowed = protected_numbers(session)
    ids = [int(x) for x in flagged.subscriber_id]
    existing = {
        c.subscriber_id: c
        for chunk in _chunks(ids, 5000)
        for c in session.scalars(select(FraudCase).where(FraudCase.subscriber_id.in_(chunk)))
    }
    now = utcnow()
    for row in flagged.itertuples(index=False):
        sid = int(row.subscriber_id)
        if sid in allowed:
            report.whitelisted += 1
            continue
        fields = _case_fields(run_dir, row)
        case = existing.get(sid)
        if case is None:
            session.add(
                FraudCase(
                    subscriber_id=sid,
                    status="new",
                    first_flagged=as_of,
                    last_flagged=as_of,
                    created_at=now,
                    updated_at=now,
                    **fields,
                )
            )
            report.opened += 1
            continue
        if case.status == "cleared":
            # Only a later day's run can bring evidence the analyst has not seen.
            why = new_evidence(case, fields["score"], fields["rules"])
            if why is None or as_of <= case.last_flagged:
                report.kept_closed += 1
                continue
            case.status, case.decision_note = "new", None
            report.reopened += 1
            session.flush()
            report.reopen_reasons[case.id] = why
        else:
            report.refreshed += 1
        for name, value in fields.items():
            setattr(case, name, value)
        if as_of > case.last_flagged:
            case.times_flagged += 1
            case.last_flagged = as_of
        case.updated_at = now


def _case_fields(run_dir: Path, row) -> dict[str, object]:
    path = run_dir / "cases" / f"{int(row.subscriber_id)}.json"
    evidence = _zoned(json.loads(path.read_text())) if path.is_file() else {}
    return {
        "score": float(row.score),
        "flagged_by": str(row.flagged_by),
        "rules": [r for r in str(row.rules if isinstance(row.rules, str) else "").split(", ") if r],
        "reasons": str(row.reasons if isinstance(row.reasons, str) else ""),
        "evidence": evidence,
        "first_seen": _time(evidence.get("first_seen")),
        "last_seen": _time(evidence.get("last_seen")),
    }


def _zoned(case: dict) -> dict:
    """The case file with its record times marked as China Standard Time (+08:00)."""
    for key in ("first_seen", "last_seen"):
        if case.get(key):
            case[key] = _time(case[key]).isoformat()
    for call in case.get("sample_calls", []):
        if call.get("start_time"):
            call["start_time"] = _time(call["start_time"]).isoformat()
    return case


def _warnings(run_dir: Path, as_of: dt.date) -> list[dict[str, object]]:
    df = _read_csv(run_dir / "victim_warnings.csv")
    detail_cols = [c for c in df.columns if c not in ("subscriber_id", "fraud_number", "points")]
    return [
        {
            "as_of": as_of,
            "subscriber_id": int(r["subscriber_id"]),
            "fraud_number": int(r["fraud_number"]),
            "points": int(r["points"]),
            "detail": {c: plain(r[c]) for c in detail_cols},
        }
        for r in df.to_dict("records")
    ]


def _brokers(run_dir: Path, as_of: dt.date) -> list[dict[str, object]]:
    df = _read_csv(run_dir / "card_brokers.csv")
    return [
        {
            "as_of": as_of,
            "kind": str(r["kind"]),
            "entity": str(r["entity"]),
            "score": float(r["score"]),
            "detail": {c: plain(r[c]) for c in ("sims", "flagged_sims", "reasons")},
        }
        for r in df.to_dict("records")
    ]


def _activity(run_dir: Path, as_of: dt.date) -> list[dict[str, object]]:
    path = run_dir / "activity.csv"
    if not path.is_file():
        return []
    df = _read_csv(path)
    return [
        {
            "as_of": as_of,
            "subscriber_id": int(r["subscriber_id"]),
            "cell_id": int(r["cell_id"]),
            "city": plain(r["city"]),
            "lat": plain(r["lat"]),
            "lon": plain(r["lon"]),
            "calls": int(r["calls"]),
        }
        for r in df.to_dict("records")
    ]


def _replace_day(session: Session, model, as_of: dt.date, rows: list[dict[str, object]]) -> int:
    """The day's rows replace whatever an earlier run of that day left."""
    kept = {}
    if model is VictimWarning:  # a contact already made must survive a re-run of the day
        for w in session.scalars(select(VictimWarning).where(VictimWarning.as_of == as_of)):
            if w.contacted_at is not None:
                done = (w.contacted_at, w.contacted_by, w.outcome)
                kept[(w.subscriber_id, w.fraud_number)] = done
        for r in rows:
            done = kept.get((r["subscriber_id"], r["fraud_number"]))
            if done:
                r["contacted_at"], r["contacted_by"], r["outcome"] = done
    session.execute(delete(model).where(model.as_of == as_of))
    for chunk in _chunks(rows, 5000):
        session.execute(insert(model), chunk)
    return len(rows)


def _read_csv(path: Path) -> pd.DataFrame:
    try:
        return csvsafe.read_frame(path)
    except pd.errors.EmptyDataError:
        return pd.DataFrame()
    except (OSError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        raise LoadError(f"{path}: cannot read: {exc}") from None


def _digest(run_dir: Path) -> str:
    h = hashlib.sha256()
    for name in (*RUN_FILES, "activity.csv"):
        path = run_dir / name
        if path.is_file():
            h.update(name.encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def _time(value: str | None) -> dt.datetime | None:
    """A record time from a case file: naive means China Standard Time, as in the records."""
    if not value:
        return None
    t = dt.datetime.fromisoformat(value)
    return t.replace(tzinfo=RECORD_TZ) if t.tzinfo is None else t


def _chunks(items: list, size: int):
    for i in range(0, len(items), size):
        yield items[i : i + size]
