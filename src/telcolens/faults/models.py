"""The fault-management capability's table in the operational store: incidents.

Changed only through the store's one Alembic chain (``store/migrations``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from telcolens.store.models import Base, UTCDateTime

INCIDENT_STATUSES = ("open", "acknowledged", "resolved")


class Incident(Base):
    """One network fault: its alarms correlated into one incident with a root cause."""

    __tablename__ = "incidents"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # The correlation's own id for it, so loading the same incidents again updates them.
    key: Mapped[str] = mapped_column(String(64), unique=True)
    status: Mapped[str] = mapped_column(String(16), default="open")
    severity: Mapped[str] = mapped_column(String(16))
    major: Mapped[bool] = mapped_column(default=False)
    root_ne_id: Mapped[str] = mapped_column(String(64))
    root_alarm_type: Mapped[str | None] = mapped_column(String(64))
    alarm_count: Mapped[int] = mapped_column(Integer)
    device_count: Mapped[int] = mapped_column(Integer)
    alarms: Mapped[list[Any]]
    # The devices around the root (its alarmed ones and its upstream) and the links among them.
    topology: Mapped[dict[str, Any]]
    opened_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    last_alarm_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    cleared_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    owner: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    resolution: Mapped[str | None] = mapped_column(Text)
    # Optimistic concurrency: every UPDATE says "WHERE version = <the version read>", so of
    # two requests that read the same row and both change it, the second updates nothing
    # and fails (StaleDataError, a 409 in the API) instead of overwriting the first.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    __table_args__ = (Index("ix_incidents_status_opened", "status", "opened_at"),)
