"""Connecting to the operational store and bringing its schema up to date.

SQLite (a file, nothing to start) by default; PostgreSQL in production through
``TELCOLENS_DATABASE_URL=postgresql+psycopg://user@host/db``. The schema is only
ever changed by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.engine import make_url
from sqlalchemy.orm import Session, sessionmaker

from telcolens.settings import get_settings


class StoreError(RuntimeError):
    """The store cannot be used as asked (unreachable, out of date, bad URL)."""


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: ``TELCOLENS_DATABASE_URL``)."""
    url = url or get_settings().database_url
    try:
        parsed = make_url(url)
    except Exception as exc:  # SQLAlchemy raises ArgumentError with the URL in it
        raise StoreError(f"not a database URL: {exc}") from None
    # More pooled connections than the API's worker threads (TELCOLENS_API_THREADS), so a
    # thread rarely waits for one; connections beyond the pool are opened and closed on use.
    pool = {"pool_size": 10, "max_overflow": 20}
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed, connect_args={"timeout": 30, "check_same_thread": False}, **pool
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    return create_engine(parsed, pool_pre_ping=True, **pool)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the API read while a load writes; foreign keys are off by default in SQLite.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("telcolens.store") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (creates every table on an empty database)."""
    command.upgrade(_alembic_config(engine), revision)


def downgrade(engine: Engine, revision: str) -> None:
    command.downgrade(_alembic_config(engine), revision)


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head_revision() -> str | None:
    return ScriptDirectory.from_config(_alembic_config(None)).get_current_head()


def check_current(engine: Engine) -> None:
    """Fail clearly when the database is behind the code's migrations."""
    have, want = current_revision(engine), head_revision()
    if have != want:
        raise StoreError(
            f"the store at {engine.url.render_as_string(hide_password=True)} is at revision "
            f"{have or 'none (empty)'}, the code needs {want}: run `telcolens db upgrade`"
        )


@contextmanager
def transaction(factory: sessionmaker[Session]) -> Iterator[Session]:
    """A session that commits when the block ends and rolls back if it raises."""
    with factory() as session, session.begin():
        yield session
