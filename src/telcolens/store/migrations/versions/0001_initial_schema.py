"""initial schema

Revision ID: 0001
Revises:
Create Date: 2026-11-24 22:33:35.209826
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# JSONB on PostgreSQL, JSON text elsewhere (as in telcolens.store.models).
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
APPEND_ONLY = "audit log is append-only"


def upgrade() -> None:
    op.create_table(
        "antifraud_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("loaded_at", sa.DateTime(), nullable=False),
        sa.Column("loaded_by", sa.String(length=64), nullable=False),
        sa.Column("summary", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("as_of"),
    )
    op.create_table(
        "audit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", sa.DateTime(), nullable=False),
        sa.Column("actor", sa.String(length=64), nullable=False),
        sa.Column("action", sa.String(length=32), nullable=False),
        sa.Column("object_type", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.String(length=64), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_log_at"), ["at"], unique=False)
        batch_op.create_index("ix_audit_object", ["object_type", "object_id"], unique=False)

    op.create_table(
        "card_brokers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("entity", sa.String(length=64), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("as_of", "kind", "entity", name="uq_broker_day_entity"),
    )
    with op.batch_alter_table("card_brokers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_card_brokers_as_of"), ["as_of"], unique=False)

    op.create_table(
        "case_activity",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("cell_id", sa.BigInteger(), nullable=False),
        sa.Column("city", sa.String(length=64), nullable=True),
        sa.Column("lat", sa.Float(), nullable=True),
        sa.Column("lon", sa.Float(), nullable=True),
        sa.Column("calls", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("case_activity", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_case_activity_as_of"), ["as_of"], unique=False)

    op.create_table(
        "fraud_cases",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("score", sa.Float(), nullable=False),
        sa.Column("flagged_by", sa.String(length=16), nullable=False),
        sa.Column("rules", JSON, nullable=False),
        sa.Column("reasons", sa.Text(), nullable=False),
        sa.Column("evidence", JSON, nullable=False),
        sa.Column("first_seen", sa.DateTime(), nullable=True),
        sa.Column("last_seen", sa.DateTime(), nullable=True),
        sa.Column("first_flagged", sa.Date(), nullable=False),
        sa.Column("last_flagged", sa.Date(), nullable=False),
        sa.Column("times_flagged", sa.Integer(), nullable=False),
        sa.Column("analyst", sa.String(length=64), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("decided_score", sa.Float(), nullable=True),
        sa.Column("decided_rules", JSON, nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("updated_at", sa.DateTime(), nullable=False),
        sa.Column("decided_at", sa.DateTime(), nullable=True),
        sa.Column("handed_over_at", sa.DateTime(), nullable=True),
        sa.Column("handed_over_by", sa.String(length=64), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("subscriber_id"),
    )
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fraud_cases_first_flagged"), ["first_flagged"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_fraud_cases_handed_over_at"), ["handed_over_at"], unique=False
        )
        batch_op.create_index(
            "ix_fraud_cases_status_score", ["status", "score", "id"], unique=False
        )
        batch_op.create_index("ix_fraud_cases_score", ["score", "id"], unique=False)
        batch_op.create_index(
            "ix_fraud_cases_last_flagged_score", ["last_flagged", "score", "id"], unique=False
        )

    op.create_table(
        "police_exports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.Column("format", sa.String(length=8), nullable=False),
        sa.Column("case_ids", JSON, nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "reinstatements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("analyst", sa.String(length=64), nullable=False),
        sa.Column("reinstated_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("reinstatements", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_reinstatements_subscriber_id"), ["subscriber_id"], unique=False
        )

    op.create_table(
        "users",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("password_hash", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("name"),
    )
    op.create_table(
        "victim_warnings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("as_of", sa.Date(), nullable=False),
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("fraud_number", sa.BigInteger(), nullable=False),
        sa.Column("points", sa.Integer(), nullable=False),
        sa.Column("detail", JSON, nullable=False),
        sa.Column("contacted_at", sa.DateTime(), nullable=True),
        sa.Column("contacted_by", sa.String(length=64), nullable=True),
        sa.Column("outcome", sa.String(length=32), nullable=True),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("as_of", "subscriber_id", "fraud_number", name="uq_warning_day_pair"),
    )
    with op.batch_alter_table("victim_warnings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_victim_warnings_as_of"), ["as_of"], unique=False)

    op.create_table(
        "whitelist",
        sa.Column("subscriber_id", sa.BigInteger(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("added_by", sa.String(length=64), nullable=False),
        sa.Column("added_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("subscriber_id"),
    )
    op.create_table(
        "sessions",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.Column("expires_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_sessions_user_id"), ["user_id"], unique=False)
    _audit_append_only()


def _audit_append_only() -> None:
    """Make the database itself refuse to change or delete audit entries."""
    if op.get_context().dialect.name == "sqlite":
        for verb in ("UPDATE", "DELETE"):
            op.execute(
                f"CREATE TRIGGER audit_log_no_{verb.lower()} BEFORE {verb} ON audit_log "
                f"BEGIN SELECT RAISE(ABORT, '{APPEND_ONLY}'); END"
            )
        return
    op.execute(
        "CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS "
        f"$$ BEGIN RAISE EXCEPTION '{APPEND_ONLY}'; END $$"
    )
    op.execute(
        "CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE OR TRUNCATE ON audit_log "
        "FOR EACH STATEMENT EXECUTE FUNCTION audit_log_append_only()"
    )


def downgrade() -> None:
    if op.get_context().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS audit_log_append_only ON audit_log")
        op.execute("DROP FUNCTION IF EXISTS audit_log_append_only()")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sessions_user_id"))

    op.drop_table("sessions")
    op.drop_table("whitelist")
    with op.batch_alter_table("victim_warnings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_victim_warnings_as_of"))

    op.drop_table("victim_warnings")
    op.drop_table("users")
    with op.batch_alter_table("reinstatements", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reinstatements_subscriber_id"))

    op.drop_table("reinstatements")
    op.drop_table("police_exports")
    with op.batch_alter_table("fraud_cases", schema=None) as batch_op:
        batch_op.drop_index("ix_fraud_cases_last_flagged_score")
        batch_op.drop_index("ix_fraud_cases_score")
        batch_op.drop_index("ix_fraud_cases_status_score")
        batch_op.drop_index(batch_op.f("ix_fraud_cases_handed_over_at"))
        batch_op.drop_index(batch_op.f("ix_fraud_cases_first_flagged"))

    op.drop_table("fraud_cases")
    with op.batch_alter_table("case_activity", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_case_activity_as_of"))

    op.drop_table("case_activity")
    with op.batch_alter_table("card_brokers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_card_brokers_as_of"))

    op.drop_table("card_brokers")
    with op.batch_alter_table("audit_log", schema=None) as batch_op:
        batch_op.drop_index("ix_audit_object")
        batch_op.drop_index(batch_op.f("ix_audit_log_at"))

    op.drop_table("audit_log")
    op.drop_table("antifraud_runs")
