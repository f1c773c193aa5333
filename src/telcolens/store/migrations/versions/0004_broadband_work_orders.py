"""broadband work orders and the lines of shared-cause tickets

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-08 10:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# JSONB on PostgreSQL, JSON text elsewhere (as in telcolens.store.models).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")


def upgrade() -> None:
    op.create_table(
        "broadband_work_orders",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject", sa.String(length=96), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=True),
        sa.Column("element", sa.String(length=64), nullable=True),
        sa.Column("element_type", sa.String(length=16), nullable=True),
        sa.Column("scenario", sa.String(length=32), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("side", sa.String(length=8), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=True),
        sa.Column("first_day", sa.Date(), nullable=False),
        sa.Column("last_day", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("due", sa.DateTime(), nullable=True),
        sa.Column("assignee", sa.String(length=64), nullable=True),
        sa.Column("closed_at", sa.DateTime(), nullable=True),
        sa.Column("closed_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.Text(), nullable=True),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("score_before", sa.Float(), nullable=True),
        sa.Column("score_after", sa.Float(), nullable=True),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subject", "scenario", "active", name="uq_broadband_work_order_active"),
    )
    with op.batch_alter_table("broadband_work_orders", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadband_work_orders_element"), ["element"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_broadband_work_orders_line_id"), ["line_id"], unique=False
        )
        batch_op.create_index("ix_broadband_work_orders_state_id", ["state", "id"], unique=False)

    op.create_table(
        "broadband_ticket_lines",
        sa.Column("work_order_id", sa.Integer(), nullable=False),
        sa.Column("line_id", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(
            ["work_order_id"], ["broadband_work_orders.id"], ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("work_order_id", "line_id"),
    )
    with op.batch_alter_table("broadband_ticket_lines", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_broadband_ticket_lines_line_id"), ["line_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("broadband_ticket_lines", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_broadband_ticket_lines_line_id"))
    op.drop_table("broadband_ticket_lines")

    with op.batch_alter_table("broadband_work_orders", schema=None) as batch_op:
        batch_op.drop_index("ix_broadband_work_orders_state_id")
        batch_op.drop_index(batch_op.f("ix_broadband_work_orders_line_id"))
        batch_op.drop_index(batch_op.f("ix_broadband_work_orders_element"))
    op.drop_table("broadband_work_orders")
