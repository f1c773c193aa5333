"""Alembic environment: run migrations on the engine handed over in the config."""

from __future__ import annotations

from alembic import context
from sqlalchemy import Engine

from telcolens.store.db import make_engine
from telcolens.store.models import Base

target_metadata = Base.metadata


def run() -> None:
    engine: Engine | None = context.config.attributes.get("engine")
    engine = engine or make_engine()
    with engine.connect() as conn:
        context.configure(
            connection=conn,
            target_metadata=target_metadata,
            render_as_batch=conn.dialect.name == "sqlite",  # SQLite alters tables by copy
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    raise SystemExit("telcolens runs its migrations online only: `telcolens db upgrade`")
run()
