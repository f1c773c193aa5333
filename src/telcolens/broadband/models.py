"""The broadband capability's tables in the operational store: work orders and their lines.

A work order is one repair of one diagnosed scenario: on a home line (a Wi-Fi channel
change, a gateway reboot or firmware push, a field visit to a dirty connector) or, for a
shared cause, on the splitter, PON port or OLT the lines hang from (a network ticket,
grouping its lines in ``broadband_ticket_lines``). Its lifecycle is in
:mod:`telcolens.broadband.workorders`. Changed only through the store's one Alembic chain
(``store/migrations``).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Float,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from telcolens.store.models import Base, UTCDateTime, utcnow

ACTIVE_STATES = ("open", "dispatched", "in_progress")
CLOSED_STATES = ("done", "failed", "cancelled")
STATES = ACTIVE_STATES + CLOSED_STATES
SIDES = ("home", "street", "network")
ACTIONS = ("remote_channel_change", "cpe_reboot", "firmware_push", "field_visit", "network_ticket")
ELEMENT_TYPES = ("splitter", "pon_port", "olt")
# Each scenario's side: in the home (Wi-Fi, the gateway), in the outside plant (fibre,
# splitter, port optics) or in the operator's network (capacity, DNS, authentication).
# The names are the diagnosis's and the synthetic province's truth's.
SCENARIO_SIDES = {
    "optical_line": "street",
    "optical_splitter": "street",
    "optical_port": "street",
    "wifi_coverage": "home",
    "wifi_interference": "home",
    "cpe_fault": "home",
    "port_congestion": "network",
    "olt_congestion": "network",
    "dns_auth": "network",
}
SCENARIOS = tuple(SCENARIO_SIDES)


class WorkOrder(Base):
    """One repair of one diagnosed scenario on a line, or on an element for its lines."""

    __tablename__ = "broadband_work_orders"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    # What the order is for: "line:<line_id>", or "<element_type>:<element>" for a ticket.
    subject: Mapped[str] = mapped_column(String(96))
    line_id: Mapped[int | None] = mapped_column(BigInteger, index=True)
    element: Mapped[str | None] = mapped_column(String(64), index=True)
    element_type: Mapped[str | None] = mapped_column(String(16))
    scenario: Mapped[str] = mapped_column(String(32))
    action: Mapped[str] = mapped_column(String(32))
    side: Mapped[str] = mapped_column(String(8))
    state: Mapped[str] = mapped_column(String(16), default="open")
    # True while the order is open, dispatched or in progress, NULL once closed: the unique
    # constraint below then admits one active order per subject and scenario and any number
    # of closed ones (NULLs are never equal), on SQLite and PostgreSQL alike.
    active: Mapped[bool | None] = mapped_column(default=True)
    # The diagnosis days that saw this scenario on the subject while the order was active.
    first_day: Mapped[dt.date] = mapped_column(Date)
    last_day: Mapped[dt.date] = mapped_column(Date)
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    created_by: Mapped[str] = mapped_column(String(64))
    due: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    assignee: Mapped[str | None] = mapped_column(String(64))
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    closed_by: Mapped[str | None] = mapped_column(String(64))
    outcome: Mapped[str | None] = mapped_column(Text)
    # The KPIs and thresholds that point to the scenario, as the diagnosis gave them.
    evidence: Mapped[dict[str, Any]]
    # The line's perception score (a ticket's: its lines' mean) on the diagnosis day, and
    # after the repair (the proof step fills it in).
    score_before: Mapped[float | None] = mapped_column(Float)
    score_after: Mapped[float | None] = mapped_column(Float)
    # Optimistic concurrency: every UPDATE says "WHERE version = <the version read>", so of
    # two requests that read the same row and both change it, the second updates nothing
    # and fails (StaleDataError, a 409 in the API) instead of overwriting the first.
    version: Mapped[int] = mapped_column(Integer, server_default="1")
    __mapper_args__ = {"version_id_col": version}  # noqa: RUF012

    lines: Mapped[list[TicketLine]] = relationship(
        cascade="all, delete-orphan", order_by="TicketLine.line_id"
    )

    @property
    def n_lines(self) -> int:
        """The lines a ticket stands for (0 for a line's own order)."""
        return len(self.lines)

    __table_args__ = (
        UniqueConstraint("subject", "scenario", "active", name="uq_broadband_work_order_active"),
        # The queue's filter and order: newest first within a state.
        Index("ix_broadband_work_orders_state_id", "state", "id"),
    )


class TicketLine(Base):
    """A line a shared-cause ticket (a work order on an element) stands for."""

    __tablename__ = "broadband_ticket_lines"

    work_order_id: Mapped[int] = mapped_column(
        ForeignKey("broadband_work_orders.id", ondelete="CASCADE"), primary_key=True
    )
    line_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)


class LineDay(Base):
    """One line's perception score on one day, as that day's run scored it.

    A day's rows are replaced whole when the day is loaded again
    (:func:`telcolens.broadband.results.load_line_days`); the console's summary, trend and
    line pages read them.
    """

    __tablename__ = "broadband_line_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    line_id: Mapped[int] = mapped_column(BigInteger, primary_key=True, index=True)
    # Where the line hangs, from ``broadband_lines`` on the day it was loaded (null for a
    # line the table does not know).
    city: Mapped[str | None] = mapped_column(String(64))
    splitter_id: Mapped[str | None] = mapped_column(String(96))
    score: Mapped[float] = mapped_column(Float)
    opinion: Mapped[float] = mapped_column(Float)
    poor: Mapped[bool] = mapped_column(default=False)
    reasons: Mapped[str] = mapped_column(Text, default="")
    # The line's measures that day (``telcolens.broadband.measures.MEASURES``), null where
    # the day had no sample carrying one.
    measures: Mapped[dict[str, Any]]

    # The poor-lines list: one day's poor lines by score.
    __table_args__ = (Index("ix_broadband_line_days_day_poor", "day", "poor", "score"),)


class ScoredDay(Base):
    """One loaded day's figures over its line days, computed once when the day is loaded.

    The median needs every score of the day, which neither SQLite nor PostgreSQL gives in
    one portable query; the summary and the trend read these rows instead.
    """

    __tablename__ = "broadband_scored_days"

    day: Mapped[dt.date] = mapped_column(Date, primary_key=True)
    lines: Mapped[int] = mapped_column(Integer)
    poor: Mapped[int] = mapped_column(Integer)
    median_score: Mapped[float | None] = mapped_column(Float)
    # Per city: [{"city", "lines", "poor", "median_score"}], most lines first.
    cities: Mapped[list[Any]]


class ProofRow(Base):
    """The before/after of one scenario's repairs by one action (``telcolens.broadband.proof``).

    The newest proof replaces the rows of the last one whole
    (:func:`telcolens.broadband.results.load_proof`): the console's before/after chart and
    its table read them.
    """

    __tablename__ = "broadband_proof"

    scenario: Mapped[str] = mapped_column(String(32), primary_key=True)
    action: Mapped[str] = mapped_column(String(32), primary_key=True)
    repairs: Mapped[int] = mapped_column(Integer)
    lines: Mapped[int] = mapped_column(Integer)
    score_before: Mapped[float] = mapped_column(Float)
    score_after: Mapped[float] = mapped_column(Float)
    poor_before: Mapped[int] = mapped_column(Integer)  # lines poor in the week before
    recovered: Mapped[float | None] = mapped_column(Float)  # of those, share with no poor day after
    complaints_before: Mapped[float] = mapped_column(Float)  # per 100 lines per week
    complaints_after: Mapped[float] = mapped_column(Float)
    closed_as_fixed: Mapped[int] = mapped_column(Integer)
    fixed_still_poor: Mapped[int] = mapped_column(Integer)
    first_repair_day: Mapped[dt.date] = mapped_column(Date)
    last_repair_day: Mapped[dt.date] = mapped_column(Date)
    window_days: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
