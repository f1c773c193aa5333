"""The anti-fraud capability's tables in the operational store.

Batch outputs (Parquet, CSV) say what the data shows; these tables say what people did
about it: who reviewed which case, what they decided and why, what was handed to the
police. Subscriber numbers appear as their 64-bit pseudonyms only. Changed only through
the store's one Alembic chain (``store/migrations``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import BigInteger, Date, Float, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from telcolens.store.models import Base, UTCDateTime, utcnow

CASE_STATUSES = ("new", "under_review", "confirmed", "cleared")


class Run(Base):
    """One day's anti-fraud output loaded into the store (one row per as-of day)."""

    __tablename__ = "antifraud_runs"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, unique=True)
    source: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    loaded_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    loaded_by: Mapped[str] = mapped_column(String(64))
    summary: Mapped[dict[str, Any]]


class FraudCase(Base):
    """One suspected fraud number and the work on it (one open case per number)."""

    __tablename__ = "fraud_cases"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(BigInteger, unique=True)
    status: Mapped[str] = mapped_column(String(16), default="new")
    score: Mapped[float] = mapped_column(Float)
    flagged_by: Mapped[str] = mapped_column(String(16))
    rules: Mapped[list[Any]]
    reasons: Mapped[str] = mapped_column(Text)
    evidence: Mapped[dict[str, Any]]
    first_seen: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_seen: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    first_flagged: Mapped[dt.date] = mapped_column(Date, index=True)
    last_flagged: Mapped[dt.date] = mapped_column(Date)
    times_flagged: Mapped[int] = mapped_column(default=1)
    analyst: Mapped[str | None] = mapped_column(String(64))
    decision_note: Mapped[str | None] = mapped_column(Text)
    # What the case looked like when an analyst decided: new evidence is measured from it.
    decided_score: Mapped[float | None] = mapped_column(Float)
    decided_rules: Mapped[list[Any] | None]
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    handed_over_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    handed_over_by: Mapped[str | None] = mapped_column(String(64))
    # Optimistic concurrency: every UPDATE says "WHERE version = <the version read>", so of
    # two requests that read the same row and both change it, the second updates nothing
    # and fails (StaleDataError, a 409 in the API) instead of overwriting the first.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    # The case list's orders and filters, each with the id as the tie-break.
    __table_args__ = (
        Index("ix_fraud_cases_status_score", "status", "score", "id"),
        Index("ix_fraud_cases_score", "score", "id"),
        Index("ix_fraud_cases_last_flagged_score", "last_flagged", "score", "id"),
    )


class CaseActivity(Base):
    """Where a flagged number was active on a run day: calls per cell."""

    __tablename__ = "case_activity"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    subscriber_id: Mapped[int] = mapped_column(BigInteger)
    cell_id: Mapped[int] = mapped_column(BigInteger)
    city: Mapped[str | None] = mapped_column(String(64))
    lat: Mapped[float | None] = mapped_column(Float)
    lon: Mapped[float | None] = mapped_column(Float)
    calls: Mapped[int] = mapped_column(Integer)


class VictimWarning(Base):
    """A subscriber to warn on a run day, and the number that reached them."""

    __tablename__ = "victim_warnings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    subscriber_id: Mapped[int] = mapped_column(BigInteger)
    fraud_number: Mapped[int] = mapped_column(BigInteger)
    points: Mapped[int] = mapped_column(Integer)
    detail: Mapped[dict[str, Any]]
    contacted_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    contacted_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(String(32))
    # Optimistic concurrency: every UPDATE says "WHERE version = <the version read>", so of
    # two requests that read the same row and both change it, the second updates nothing
    # and fails (StaleDataError, a 409 in the API) instead of overwriting the first.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (
        UniqueConstraint("as_of", "subscriber_id", "fraud_number", name="uq_warning_day_pair"),
    )


class CardBroker(Base):
    """An ID card, device or outlet ranked as a card broker on a run day."""

    __tablename__ = "card_brokers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    as_of: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    entity: Mapped[str] = mapped_column(String(64))
    score: Mapped[float] = mapped_column(Float)
    detail: Mapped[dict[str, Any]]

    __table_args__ = (UniqueConstraint("as_of", "kind", "entity", name="uq_broker_day_entity"),)


class WhitelistEntry(Base):
    """A registered business number the fraud list must leave alone."""

    __tablename__ = "whitelist"

    subscriber_id: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    category: Mapped[str] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    added_by: Mapped[str] = mapped_column(String(64))
    added_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class Reinstatement(Base):
    """A number an analyst cleared after review (its service restored)."""

    __tablename__ = "reinstatements"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(BigInteger, index=True)
    reason: Mapped[str] = mapped_column(Text)
    analyst: Mapped[str] = mapped_column(String(64))
    reinstated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)


class PoliceExport(Base):
    """One export of handed-over cases to the anti-fraud centre."""

    __tablename__ = "police_exports"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    format: Mapped[str] = mapped_column(String(8))
    case_ids: Mapped[list[Any]]
