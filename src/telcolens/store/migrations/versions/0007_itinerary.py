"""itinerary: one-time codes, their rate limits, and the SMS outbox

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-02 01:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from telcolens.store.models import UTCDateTime

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "itinerary_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("salt", sa.String(length=32), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("used_at", UTCDateTime(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index(
        "ix_itinerary_codes_subscriber", "itinerary_codes", ["subscriber_id", "id"], unique=False
    )
    op.create_table(
        "itinerary_rate_limits",
        sa.Column("key", sa.String(length=160), nullable=False),
        sa.Column("window_start", UTCDateTime(), nullable=False),
        sa.Column("count", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("key"),
    )
    op.create_table(
        "sms_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("number", sa.String(length=20), nullable=True),
        sa.Column("text", sa.String(length=320), nullable=True),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("expires_at", UTCDateTime(), nullable=False),
        sa.Column("claimed_at", UTCDateTime(), nullable=True),
        sa.Column("sent_at", UTCDateTime(), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_sms_outbox_unsent", "sms_outbox", ["sent_at", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_sms_outbox_unsent", table_name="sms_outbox")
    op.drop_table("sms_outbox")
    op.drop_table("itinerary_rate_limits")
    op.drop_index("ix_itinerary_codes_subscriber", table_name="itinerary_codes")
    op.drop_table("itinerary_codes")
