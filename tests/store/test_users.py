"""Users: creation rules, hashed passwords, logins that expire."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from sqlalchemy.orm import Session

from telcolens.errors import Conflict
from telcolens.store.models import AuditEntry, AuthSession, User
from telcolens.store.users import (
    UserError,
    authenticate,
    create_user,
    end_session,
    session_user,
    set_password,
    start_session,
)

PASSWORD = "correct horse battery"


@pytest.fixture
def session(store_session: Session) -> Session:
    return store_session


def test_create_and_authenticate(session: Session) -> None:
    user = create_user(session, "ana", "fraud_analyst", PASSWORD, actor="admin")
    assert user.password_hash.startswith("$argon2id$")
    assert PASSWORD not in user.password_hash
    assert authenticate(session, "ana", PASSWORD) is user
    assert authenticate(session, "ana", PASSWORD + "x") is None
    assert authenticate(session, "nobody", PASSWORD) is None
    entry = session.scalars(sa.select(AuditEntry)).one()
    assert (entry.actor, entry.action, entry.object_id) == ("admin", "user.create", "ana")


@pytest.mark.parametrize(
    ("name", "role", "password", "message"),
    [
        ("ana", "superuser", PASSWORD, "not one of"),
        ("ana", "admin", "short", "at least 10"),
        ("a b", "admin", PASSWORD, "letters, digits"),
        ("", "admin", PASSWORD, "letters, digits"),
    ],
)
def test_bad_users_are_refused(session: Session, name, role, password, message) -> None:
    with pytest.raises(UserError, match=message):
        create_user(session, name, role, password, actor="admin")


def test_duplicate_name_is_refused(session: Session) -> None:
    create_user(session, "ana", "admin", PASSWORD, actor="admin")
    with pytest.raises(Conflict, match="already exists"):
        create_user(session, "ana", "fraud_analyst", PASSWORD, actor="admin")


def test_inactive_user_cannot_log_in(session: Session) -> None:
    user = create_user(session, "ana", "admin", PASSWORD, actor="admin")
    token = start_session(session, user, hours=1)
    user.active = False
    assert authenticate(session, "ana", PASSWORD) is None
    assert session_user(session, token) is None


def test_sessions_store_only_a_hash_and_expire(session: Session) -> None:
    user = create_user(session, "ana", "admin", PASSWORD, actor="admin")
    token = start_session(session, user, hours=1)
    stored = session.scalars(sa.select(AuthSession)).one()
    assert token not in stored.token_hash
    assert session_user(session, token) is user
    assert session_user(session, token + "x") is None
    stored.expires_at = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    assert session_user(session, token) is None
    end_session(session, token)
    assert session.scalars(sa.select(AuthSession)).all() == []


def test_new_password_ends_open_logins(session: Session) -> None:
    user = create_user(session, "ana", "admin", PASSWORD, actor="admin")
    token = start_session(session, user, hours=1)
    set_password(session, "ana", "another long password", actor="admin")
    assert session_user(session, token) is None
    assert authenticate(session, "ana", "another long password") is user
    assert session.scalar(sa.select(sa.func.count()).select_from(User)) == 1
