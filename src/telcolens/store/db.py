"""Connecting to the operational store and bringing its schema up to date.

SQLite (a file, nothing to start) by default; PostgreSQL in production through
``TELCOLENS_DATABASE_URL=postgresql+psycopg://user@host/db``. The schema is only
ever changed by the Alembic migrations in ``migrations/``.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Iterator
from contextlib import contextmanager
from importlib.resources import files

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import URL, make_url
from sqlalchemy.exc import ArgumentError, IntegrityError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from telcolens.errors import Unavailable
from telcolens.settings import Settings, get_settings


class StoreError(Unavailable):
    """The store cannot be used as asked (unreachable, out of date, bad URL, no driver).

    A 503 in the API; the CLI exits 2 (not Unavailable's 3), as it always has for a
    store it cannot use: scripts check for it.
    """

    exit_code = 2


def make_engine(url: str | None = None) -> Engine:
    """An engine for ``url`` (default: ``TELCOLENS_DATABASE_URL``).

    Every connection waits at most ``TELCOLENS_DB_LOCK_TIMEOUT_S`` for a lock and runs a
    statement at most ``TELCOLENS_DB_STATEMENT_TIMEOUT_S``, so a stuck transaction fails
    its own request instead of holding the others forever.
    """
    settings = get_settings()
    url = url or settings.database_url
    try:
        parsed = make_url(url)
    except (ArgumentError, ValueError) as exc:  # ValueError: a port that is not a number
        raise StoreError(f"not a database URL: {exc}") from None
    try:
        return _create_engine(parsed, settings)
    except ArgumentError as exc:  # NoSuchModuleError: an unknown dialect ("foo://")
        raise StoreError(f"not a database URL: {exc}") from None
    except ModuleNotFoundError as exc:  # the URL's driver is not installed
        raise StoreError(f"no driver for {parsed.drivername}: {exc}") from None


def _create_engine(parsed: URL, settings: Settings) -> Engine:
    # More pooled connections than the API's worker threads (TELCOLENS_API_THREADS), so a
    # thread rarely waits for one; connections beyond the pool are opened and closed on use.
    pool = {"pool_size": 10, "max_overflow": 20, "pool_timeout": 10}
    if parsed.get_backend_name() == "sqlite":
        engine = create_engine(
            parsed,
            connect_args={"timeout": settings.db_lock_timeout_s, "check_same_thread": False},
            **pool,
        )
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    if parsed.get_backend_name() == "postgresql":
        lock_ms = int(settings.db_lock_timeout_s * 1000)
        statement_ms = int(settings.db_statement_timeout_s * 1000)
        options = (
            f"-c lock_timeout={lock_ms} -c statement_timeout={statement_ms} "
            f"-c idle_in_transaction_session_timeout={statement_ms}"
        )
        return create_engine(parsed, pool_pre_ping=True, connect_args={"options": options}, **pool)
    return create_engine(parsed, pool_pre_ping=True, **pool)


def _sqlite_pragmas(dbapi_connection, _record) -> None:
    # WAL lets the API read while a load writes; foreign keys are off by default in SQLite.
    cur = dbapi_connection.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.close()


def is_duplicate(exc: BaseException) -> bool:
    """Whether a driver error is a unique-key violation (someone created it first)."""
    if not isinstance(exc, IntegrityError):
        return False
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23505" or "UNIQUE constraint failed" in str(orig)


def is_busy(exc: BaseException) -> bool:
    """Whether a driver error means "locked or too slow, try again" rather than a bug."""
    if not isinstance(exc, OperationalError):
        return False
    orig = exc.orig
    # PostgreSQL: lock_not_available (lock_timeout), query_canceled (statement_timeout).
    if getattr(orig, "sqlstate", None) in {"55P03", "57014", "40001", "40P01"}:
        return True
    return "database is locked" in str(orig) or "database table is locked" in str(orig)


def _alembic_config(engine: Engine) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(files("telcolens.store") / "migrations"))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine, revision: str = "head") -> None:
    """Run the migrations up to ``revision`` (creates every table on an empty database).

    Safe to call from several processes at once (``serve`` workers, two loads): they take
    turns, and those after the first find the schema current and change nothing.
    """
    with _migration_lock(engine) as conn:
        cfg = _alembic_config(engine)
        cfg.attributes["connection"] = conn
        _check_known(engine, conn, cfg)
        command.upgrade(cfg, revision)


def _check_known(engine: Engine, conn: Connection, cfg: Config) -> None:
    """Refuse a store migrated by a newer telcolens: its revision is not among ours."""
    have = MigrationContext.configure(conn).get_current_revision()
    conn.commit()  # end the read's transaction: Alembic must see none to manage its own
    known = {r.revision for r in ScriptDirectory.from_config(cfg).walk_revisions()}
    if have is not None and have not in known:
        raise StoreError(
            f"the store at {engine.url.render_as_string(hide_password=True)} is at revision "
            f"{have}, which this version of telcolens does not know: upgrade telcolens"
        )


def downgrade(engine: Engine, revision: str) -> None:
    with _migration_lock(engine) as conn:
        cfg = _alembic_config(engine)
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, revision)


# The advisory lock's key: any fixed number ("telcomig" in ASCII); scoped to the database.
_PG_MIGRATION_LOCK = int.from_bytes(b"telcomig", "big")


@contextmanager
def _migration_lock(engine: Engine) -> Iterator[Connection]:
    """A connection for Alembic, held by this process alone until the block ends."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            # Waiting for another process's migration, or running one, may take longer than
            # the timeouts meant for requests.
            conn.execute(text("SET lock_timeout = 0"))
            conn.execute(text("SET statement_timeout = 0"))
            # Session-level, so Alembic's own transactions on this connection run under it.
            conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": _PG_MIGRATION_LOCK})
            conn.commit()  # Alembic must see no open transaction to manage its own
            try:
                yield conn
            finally:
                conn.rollback()
                conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": _PG_MIGRATION_LOCK})
                conn.execute(text("RESET lock_timeout"))
                conn.execute(text("RESET statement_timeout"))
                conn.commit()
        return
    path = engine.url.database if engine.dialect.name == "sqlite" else None
    with _file_lock(path), engine.connect() as conn:
        yield conn


@contextmanager
def _file_lock(db_file: str | None) -> Iterator[None]:
    """An exclusive lock on ``<db_file>.migrate.lock``; none for in-memory databases."""
    if not db_file or db_file == ":memory:" or db_file.startswith("file::memory:"):
        yield
        return
    # The lock file stays: removing it would let a third process lock a new one meanwhile.
    try:
        fd = os.open(f"{db_file}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    except OSError as exc:  # no such folder, not writable: the store cannot be used here
        raise StoreError(f"cannot use the store: {exc}") from None
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


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


@contextmanager
def patient(session: Session, seconds: float = 600.0) -> Iterator[Session]:
    """Let the session's transaction wait up to ``seconds`` for locks and run unbounded.

    For batch jobs (loading a day's run or incidents), which may wait for another load of
    the same day and may run long; the API's requests keep the short timeouts.
    """
    conn = session.connection()
    if conn.dialect.name == "postgresql":
        conn.execute(text(f"SET LOCAL lock_timeout = {int(seconds * 1000)}"))
        conn.execute(text("SET LOCAL statement_timeout = 0"))
        conn.execute(text("SET LOCAL idle_in_transaction_session_timeout = 0"))
        yield session
        return
    if conn.dialect.name != "sqlite":
        yield session
        return
    conn.exec_driver_sql(f"PRAGMA busy_timeout = {int(seconds * 1000)}")
    try:
        yield session
    finally:  # the connection goes back to the pool: the API's timeout again
        usual = int(get_settings().db_lock_timeout_s * 1000)
        conn.exec_driver_sql(f"PRAGMA busy_timeout = {usual}")
