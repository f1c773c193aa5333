"""The visited-places capability's tables in the operational store.

- ``itinerary_codes``: the one-time codes a subscriber asks for (:mod:`.otp`), keyed by
  the number's pseudonym; only a keyed hash of each code is kept.
- ``itinerary_rate_limits``: fixed-window request counters per number and per client
  address (:mod:`.otp`), each bumped by one atomic upsert.
- ``sms_outbox``: the texts waiting for the SMS sender (:mod:`.outbox`). The one table
  that holds a raw number, because the sender needs it; it is blanked when the text is
  sent or when the row is purged.

Who looked which number up is in the platform's append-only audit log
(``telcolens.store.audit``), under the number's pseudonym. Changed only through the
store's one Alembic chain (``store/migrations``, revision 0007).
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import BigInteger, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from telcolens.store.models import Base, UTCDateTime, utcnow


class OneTimeCode(Base):
    """One code sent to one number: valid until ``expires_at``, once, for a few tries."""

    __tablename__ = "itinerary_codes"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(BigInteger)  # the number's pseudonym
    # HMAC-SHA256 (hex) of salt + code under the pseudonym key: a leaked table does not
    # give the codes away, even though a 6-digit code alone would take a million hashes.
    code_hash: Mapped[str] = mapped_column(String(64))
    salt: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # wrong codes tried
    used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    # A number's newest code, which is the only one a query is checked against.
    __table_args__ = (Index("ix_itinerary_codes_subscriber", "subscriber_id", "id"),)


class RateLimit(Base):
    """Requests counted against one key (``codes:number:<pseudonym>``, ...) in its window."""

    __tablename__ = "itinerary_rate_limits"

    key: Mapped[str] = mapped_column(String(160), primary_key=True)
    window_start: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    count: Mapped[int] = mapped_column(Integer)


class OutboxSms(Base):
    """One text to send. ``number`` is kept only until the text is sent (then NULL)."""

    __tablename__ = "sms_outbox"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscriber_id: Mapped[int] = mapped_column(BigInteger)  # the recipient's pseudonym
    number: Mapped[str | None] = mapped_column(String(20))
    text: Mapped[str | None] = mapped_column(String(320))  # blanked with the number
    created_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    # A text past this (a code that has expired) is not worth sending.
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    claimed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)  # claims so far

    # The sender's scan: unsent rows, oldest first.
    __table_args__ = (Index("ix_sms_outbox_unsent", "sent_at", "id"),)
