"""Users, roles, passwords and logins.

Passwords are hashed with Argon2id (argon2-cffi's defaults, RFC 9106's second
recommended setting). A login hands out a random token; the store keeps only its
SHA-256, so a copy of the database lets no one log in as anyone.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from telcolens.capabilities import role_names
from telcolens.errors import BadInput, Conflict, NotFound
from telcolens.store.audit import record
from telcolens.store.models import AuthSession, User, utcnow

MIN_PASSWORD = 10
# ASCII, so that the API can document the rule as a pattern every client reads alike.
NAME_PATTERN = r"^[A-Za-z0-9_-]{1,64}$"
_hasher = PasswordHasher()
# Verified against when a name is unknown, so a wrong name costs as long as a wrong password.
_DUMMY_HASH = _hasher.hash("telcolens-no-such-user")


class UserError(BadInput):
    """A user that cannot be created or changed as asked."""


def create_user(session: Session, name: str, role: str, password: str, *, actor: str) -> User:
    """Add a user; ``actor`` is who did it (for the audit log)."""
    name = name.strip()
    if not re.fullmatch(NAME_PATTERN, name):
        raise UserError(f"user name {name!r}: use 1-64 letters, digits, '-' or '_' (ASCII)")
    roles = role_names()  # the platform's and every registered capability's
    if role not in roles:
        raise UserError(f"role {role!r} is not one of {', '.join(roles)}")
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    if session.scalar(select(User.id).where(User.name == name)) is not None:
        raise Conflict(f"user {name!r} already exists")
    user = User(name=name, role=role, password_hash=_hasher.hash(password))
    session.add(user)
    session.flush()
    record(session, actor, "user.create", "user", name, role=role)
    return user


def set_password(session: Session, name: str, password: str, *, actor: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise UserError(f"a password needs at least {MIN_PASSWORD} characters")
    user = get_user(session, name)
    user.password_hash = _hasher.hash(password)
    ended = _end_sessions(session, user)
    record(session, actor, "user.password", "user", name, sessions_ended=ended)


def get_user(session: Session, name: str) -> User:
    """The user called ``name``, or :class:`NotFound`."""
    user = session.scalar(select(User).where(User.name == name))
    if user is None:
        raise NotFound(f"no user {name!r}")
    return user


def disable_user(session: Session, name: str, *, actor: str) -> User:
    """Disable a user: their logins end now and they cannot log in until enabled."""
    user = get_user(session, name)
    if not user.active:
        raise Conflict(f"user {name!r} is already disabled")
    if name == actor:
        raise Conflict("you cannot disable yourself; ask another admin")
    user.active = False
    ended = _end_sessions(session, user)
    record(session, actor, "user.disable", "user", name, sessions_ended=ended)
    return user


def enable_user(session: Session, name: str, *, actor: str) -> User:
    """Enable a disabled user again (they log in with their password as before)."""
    user = get_user(session, name)
    if user.active:
        raise Conflict(f"user {name!r} is already enabled")
    user.active = True
    # A login that raced with the disabling may have left a session behind: not revived.
    _end_sessions(session, user)
    record(session, actor, "user.enable", "user", name)
    return user


def end_sessions(session: Session, name: str, *, actor: str) -> int:
    """End every login of a user (e.g. a lost laptop); returns how many ended."""
    user = get_user(session, name)
    ended = _end_sessions(session, user)
    record(session, actor, "user.sessions_end", "user", name, sessions_ended=ended)
    return ended


def _end_sessions(session: Session, user: User) -> int:
    result = session.execute(delete(AuthSession).where(AuthSession.user_id == user.id))
    return result.rowcount or 0


def live_sessions(session: Session) -> dict[int, int]:
    """Live logins per user id."""
    return dict(
        session.execute(
            select(AuthSession.user_id, func.count())
            .where(AuthSession.expires_at > utcnow())
            .group_by(AuthSession.user_id)
        ).all()
    )


def password_hash_of(session: Session, name: str) -> str | None:
    """The stored hash of an active user's password, or None."""
    return session.scalar(select(User.password_hash).where(User.name == name, User.active))


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether ``password`` matches; as slow for an unknown user (None) as for a known one.

    CPU-bound (Argon2, about 0.1 s): the API runs it on a thread pool of its own.
    """
    try:
        _hasher.verify(password_hash or _DUMMY_HASH, password)
    except (VerificationError, InvalidHashError):
        return False
    return password_hash is not None


def authenticate(session: Session, name: str, password: str) -> User | None:
    """The active user with this name and password, or None (same cost either way)."""
    if not verify_password(password_hash_of(session, name), password):
        return None
    user = session.scalar(select(User).where(User.name == name, User.active))
    if user is not None:
        rehash(user, password)
    return user


def rehash(user: User, password: str) -> None:
    """Re-hash a verified password when the hashing parameters have changed."""
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)


def start_session(session: Session, user: User, hours: float) -> str:
    """Open a login for ``user``; returns its token (shown once, never stored)."""
    token = secrets.token_urlsafe(32)
    now = utcnow()
    session.add(
        AuthSession(
            token_hash=token_hash(token),
            user_id=user.id,
            created_at=now,
            expires_at=now + dt.timedelta(hours=hours),
        )
    )
    # Logins that ran out are of no use to anyone: drop them as new ones open.
    session.execute(delete(AuthSession).where(AuthSession.expires_at < now))
    return token


def session_user(session: Session, token: str) -> User | None:
    """The active user a live token belongs to, or None."""
    row = session.execute(
        select(User, AuthSession.expires_at)
        .join(AuthSession, AuthSession.user_id == User.id)
        .where(AuthSession.token_hash == token_hash(token))
    ).first()
    if row is None or row.expires_at <= utcnow() or not row.User.active:
        return None
    return row.User


def end_session(session: Session, token: str) -> None:
    session.execute(delete(AuthSession).where(AuthSession.token_hash == token_hash(token)))


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()
