"""Alembic environment: run migrations on the connection (or engine) handed over in the config.

``store.db.upgrade`` hands over a connection that holds the migration lock, so that
processes starting on one store at once take turns. The target metadata is the
platform's tables plus each registered capability's (``Capability.models``), loaded
through the registry, which imports capability packages by name only.
"""

from __future__ import annotations

from contextlib import nullcontext

from alembic import context
from sqlalchemy import Connection, Engine

from telcolens.capabilities import load_models
from telcolens.store.db import make_engine
from telcolens.store.models import Base

# One chain for the platform's tables and every capability's: autogenerate sees them all.
load_models()
target_metadata = Base.metadata


def run() -> None:
    given: Connection | None = context.config.attributes.get("connection")
    if given is not None:
        opened = nullcontext(given)  # the caller's to close
    else:
        engine: Engine | None = context.config.attributes.get("engine")
        opened = (engine or make_engine()).connect()
    with opened as conn:
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
