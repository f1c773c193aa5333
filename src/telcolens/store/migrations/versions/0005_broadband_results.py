"""broadband line days (each line's perception score per day) and each day's figures

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01 18:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# JSONB on PostgreSQL, JSON text elsewhere (as in telcolens.store.models).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "broadband_line_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("splitter_id", sa.String(length=96), nullable=True),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("opinion", sa.Float(), nullable=False),
        sa.Column("poor", sa.Boolean(), nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("measures", JSON, nullable=False),
        sa.PrimaryKeyConstraint("day", "line_id"),
    )
    with op.batch_alter_table("broadband_line_days", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadband_line_days_line_id"), ["line_id"], unique=False
        )
        batch_op.create_index(
            "ix_broadband_line_days_day_poor", ["day", "poor", "score"], unique=False
        )

    op.create_table(
        "broadband_scored_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("poor", sa.Integer(), nullable=False),
        sa.Column("median_score", sa.Float(), nullable=True),
        sa.Column("cities", JSON, nullable=False),
        sa.PrimaryKeyConstraint("day"),
    )


def downgrade() -> None:
    op.drop_table("broadband_scored_days")
    with op.batch_alter_table("broadband_line_days", schema=None) as batch_op:
        batch_op.drop_index("ix_broadband_line_days_day_poor")
        batch_op.drop_index(batch_op.f("ix_broadband_line_days_line_id"))
    op.drop_table("broadband_line_days")
