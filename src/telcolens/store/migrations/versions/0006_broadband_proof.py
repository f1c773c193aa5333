"""broadband proof: the before/after score and complaint rate of each scenario's repairs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 21:15:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from telcolens.store.models import UTCDateTime

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "broadband_proof",
        sa.Column("scenario", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("repairs", sa.Integer(), nullable=False),
        sa.Column("lines", sa.Integer(), nullable=False),
        sa.Column("score_before", sa.Float(), nullable=False),
        sa.Column("score_after", sa.Float(), nullable=False),
        sa.Column("poor_before", sa.Integer(), nullable=False),
        sa.Column("recovered", sa.Float(), nullable=True),
        sa.Column("complaints_before", sa.Float(), nullable=False),
        sa.Column("complaints_after", sa.Float(), nullable=False),
        sa.Column("closed_as_fixed", sa.Integer(), nullable=False),
        sa.Column("fixed_still_poor", sa.Integer(), nullable=False),
        sa.Column("first_repair_day", sa.Date(), nullable=False),
        sa.Column("last_repair_day", sa.Date(), nullable=False),
        sa.Column("window_days", sa.Integer(), nullable=False),
        sa.Column("computed_at", UTCDateTime(), nullable=False),
        sa.PrimaryKeyConstraint("scenario", "action"),
    )


def downgrade() -> None:
    op.drop_table("broadband_proof")
