"""Migrations run from empty on SQLite and PostgreSQL, and the audit log is append-only."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from sqlalchemy.exc import DBAPIError

from telcolens.capabilities import load_models
from telcolens.store.audit import record
from telcolens.store.db import (
    StoreError,
    check_current,
    current_revision,
    downgrade,
    head_revision,
    make_engine,
    upgrade,
)
from telcolens.store.models import Base

pytestmark = pytest.mark.usefixtures("store_url")
load_models()  # every capability's tables on Base.metadata, as the migrations see them


def test_upgrade_from_empty_creates_every_table(store_url: str) -> None:
    engine = make_engine(store_url)
    assert current_revision(engine) is None
    with pytest.raises(StoreError, match="telcolens db upgrade"):
        check_current(engine)
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    check_current(engine)
    tables = set(sa.inspect(engine).get_table_names())
    assert set(Base.metadata.tables) <= tables
    engine.dispose()


def test_migrations_match_the_models(store_url: str) -> None:
    """Nothing left for autogenerate to find: the migrations build exactly the models' schema."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    engine = make_engine(store_url)
    upgrade(engine)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_downgrade_to_base_and_up_again(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    downgrade(engine, "base")
    assert not set(Base.metadata.tables) & set(sa.inspect(engine).get_table_names())
    upgrade(engine)
    assert current_revision(engine) == head_revision()
    engine.dispose()


def test_audit_log_refuses_updates_and_deletes(store_url: str) -> None:
    engine = make_engine(store_url)
    upgrade(engine)
    with sa.orm.Session(engine) as session, session.begin():
        record(session, "ana", "case.confirm", "fraud_case", 1, note="seen")
    for statement in ("UPDATE audit_log SET actor = 'someone else'", "DELETE FROM audit_log"):
        with pytest.raises(DBAPIError, match="append-only"), engine.begin() as conn:
            conn.execute(sa.text(statement))
    with engine.connect() as conn:
        assert conn.execute(sa.text("SELECT actor FROM audit_log")).scalars().all() == ["ana"]
    engine.dispose()


def test_a_bad_url_is_a_clear_error() -> None:
    with pytest.raises(StoreError, match="not a database URL"):
        make_engine("not a url at all")


def _upgrade_after(barrier, url: str) -> None:
    """In a process of its own: wait for the others, then upgrade (a worker starting up)."""
    engine = make_engine(url)
    barrier.wait(timeout=60)
    upgrade(engine)
    engine.dispose()


def test_concurrent_upgrades_of_an_empty_store_all_succeed(store_url: str) -> None:
    """N processes starting on one empty store at once (`serve` workers): one migrates, the
    others wait for it and then find the schema current."""
    import multiprocessing

    n = 4
    ctx = multiprocessing.get_context("spawn")  # a fresh interpreter each, as real workers
    barrier = ctx.Barrier(n)
    procs = [ctx.Process(target=_upgrade_after, args=(barrier, store_url)) for _ in range(n)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=120)
    assert [p.exitcode for p in procs] == [0] * n
    engine = make_engine(store_url)
    assert current_revision(engine) == head_revision()
    with engine.connect() as conn:
        versions = conn.execute(sa.text("SELECT version_num FROM alembic_version")).all()
    assert versions == [(head_revision(),)]
    engine.dispose()
