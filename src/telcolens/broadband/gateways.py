"""Per-gateway credentials: which home gateway may post Bulk Data reports, and for which line.

A gateway authenticates as its BulkData HTTP profile says: ``Device.BulkData.Profile.{i}.HTTP.
Username`` and ``Password``, sent with HTTP Basic (RFC 7617; the data model makes the CPE
support Basic and Digest, and the collector picks Basic, so it can keep only a hash of each
password: serve it behind TLS). Each gateway has its own credential, bound to one line, and
optionally to the serial number (``Device.DeviceInfo.SerialNumber``) its reports carry.

The credentials are a small JSON file beside the data they guard, ``DIR/_gateways.json``
(named with ``_`` like ``_ingest_log.jsonl``, so no engine takes it for a table), holding
Argon2id hashes only, written whole to a temporary file and renamed, mode 0600. The
operator registers a gateway with :func:`register_gateway` when the ACS provisions its
profile (the same call rotates its password); a running collector notices the file
changed and reloads it, so no restart is needed. The store is not used: a gateway is not a
user, has no role and never logs in to the console.

Argon2 costs about 0.1 s of CPU per check, too much for every report of a million gateways,
so a verified credential is remembered (as an HMAC under a key that lives only in this
process) until the file changes; a wrong password is never remembered, and always costs the
full hash.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import hashlib
import hmac
import json
import os
import re
import secrets
import threading
import time
import uuid
from collections import OrderedDict
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from pathlib import Path

from argon2 import PasswordHasher

from telcolens.errors import BadInput, Conflict, NotFound
from telcolens.store.users import MIN_PASSWORD, verify_password

GATEWAYS_FILE = "_gateways.json"
FORMAT_VERSION = 1
# Basic credentials are user-id ":" password, so the user-id cannot hold a colon (RFC 7617).
USERNAME_PATTERN = r"^[A-Za-z0-9._@+-]{1,256}$"
# The same Argon2id parameters as the users' passwords (argon2-cffi's defaults), so
# store.users.verify_password checks both.
_hasher = PasswordHasher()


class GatewayError(BadInput):
    """A gateway credential that cannot be registered as asked, or a broken credentials file."""


@dataclass(frozen=True)
class Gateway:
    """One gateway's credential: who it authenticates as and the line its reports are for."""

    username: str
    line_id: int
    password_hash: str
    serial_number: str | None = None
    registered_at: str = ""


def gateways_path(data_dir: str | os.PathLike[str]) -> Path:
    """Where the credentials of the gateways reporting into ``data_dir`` are kept."""
    return Path(data_dir) / GATEWAYS_FILE


def register_gateway(
    path: str | os.PathLike[str],
    *,
    username: str,
    password: str,
    line_id: int,
    serial_number: str | None = None,
    replace: bool = False,
) -> Gateway:
    """Add a gateway's credential to the file at ``path`` (created if missing).

    ``replace`` lets the new credential take the place of one with the same username (a
    new password), the same line (a replaced gateway) or the same serial number; without
    it any of these is a :class:`~telcolens.errors.Conflict`.
    """
    if not re.fullmatch(USERNAME_PATTERN, username):
        raise GatewayError(
            f"gateway username {username!r}: use 1-256 letters, digits or . _ @ + - (no ':')"
        )
    if len(password) < MIN_PASSWORD:
        raise GatewayError(f"a gateway password needs at least {MIN_PASSWORD} characters")
    if isinstance(line_id, bool) or not isinstance(line_id, int) or line_id < 0:
        raise GatewayError(f"line_id {line_id!r} must be a non-negative integer")
    if serial_number is not None and not serial_number.strip():
        raise GatewayError("a serial number cannot be empty")
    gateway = Gateway(
        username=username,
        line_id=line_id,
        password_hash=_hasher.hash(password),
        serial_number=serial_number.strip() if serial_number else None,
        registered_at=dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
    )
    with _locked(Path(path)):
        current = read_gateways(path)
        clashing = [
            g
            for g in current
            if g.username == username
            or g.line_id == line_id
            or (serial_number is not None and g.serial_number == gateway.serial_number)
        ]
        if clashing and not replace:
            names = ", ".join(f"{g.username} (line {g.line_id})" for g in clashing)
            raise Conflict(f"already registered: {names}; pass replace to take their place")
        _write(Path(path), [g for g in current if g not in clashing] + [gateway])
    return gateway


def remove_gateway(path: str | os.PathLike[str], username: str) -> Gateway:
    """Remove a gateway's credential (a gateway taken out of service); returns it."""
    with _locked(Path(path)):
        current = read_gateways(path)
        found = [g for g in current if g.username == username]
        if not found:
            raise NotFound(f"no gateway {username!r}")
        _write(Path(path), [g for g in current if g.username != username])
    return found[0]


def read_gateways(path: str | os.PathLike[str]) -> list[Gateway]:
    """The credentials in the file at ``path`` (none if it does not exist)."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        return []
    try:
        doc = json.loads(text)
        if doc.get("version") != FORMAT_VERSION:
            raise GatewayError(f"{path}: unknown format version {doc.get('version')!r}")
        return [Gateway(**g) for g in doc["gateways"]]
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise GatewayError(f"{path} is not a gateway credentials file: {exc}") from None


def _write(path: Path, gateways: list[Gateway]) -> None:
    doc = {"version": FORMAT_VERSION, "gateways": [asdict(g) for g in gateways]}
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as out:
            json.dump(doc, out, indent=1)
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


@contextlib.contextmanager
def _locked(path: Path) -> Iterator[None]:
    """One registration at a time across processes (read, change, write would race)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


class GatewayStore:
    """The credentials file as a running collector sees it, reloaded when it changes.

    ``check_every`` seconds at most pass between two looks at the file's size and time.
    """

    def __init__(
        self, path: str | os.PathLike[str], *, check_every: float = 1.0, remember: int = 100_000
    ) -> None:
        self.path = Path(path)
        self.check_every = check_every
        self.remember = remember
        self._key = secrets.token_bytes(32)
        self._lock = threading.Lock()
        self._by_name: dict[str, Gateway] = {}
        self._verified: OrderedDict[bytes, Gateway] = OrderedDict()
        self._stamp: tuple[int, int, int] | None = None
        self._checked = float("-inf")
        self.refresh(force=True)

    def __len__(self) -> int:
        return len(self._by_name)

    def refresh(self, *, force: bool = False) -> None:
        """Reload the file if it changed since it was read (or ``force``)."""
        now = time.monotonic()
        if not force and now - self._checked < self.check_every:
            return
        self._checked = now
        try:
            st = self.path.stat()
            stamp = (st.st_ino, st.st_size, st.st_mtime_ns)
        except FileNotFoundError:
            stamp = None
        if stamp == self._stamp and not force:
            return
        gateways = read_gateways(self.path)
        with self._lock:
            self._by_name = {g.username: g for g in gateways}
            self._verified.clear()  # a changed password or a removed gateway takes effect now
            self._stamp = stamp

    def remembered(self, username: str, password: str) -> Gateway | None:
        """The gateway if these credentials were verified since the file last changed (fast)."""
        self.refresh()
        mac = self._mac(username, password)
        with self._lock:
            gateway = self._verified.get(mac)
            if gateway is not None:
                self._verified.move_to_end(mac)
        return gateway

    def authenticate(self, username: str, password: str) -> Gateway | None:
        """The gateway these credentials belong to, or None; CPU-bound (Argon2) when new."""
        known = self.remembered(username, password)
        if known is not None:
            return known
        with self._lock:
            gateway = self._by_name.get(username)
        # verify_password costs as much for an unknown name as for a wrong password.
        if not verify_password(gateway.password_hash if gateway else None, password):
            return None
        assert gateway is not None
        with self._lock:
            if self._by_name.get(username) is gateway:  # not replaced while we hashed
                self._verified[self._mac(username, password)] = gateway
                while len(self._verified) > self.remember:
                    self._verified.popitem(last=False)
        return gateway

    def _mac(self, username: str, password: str) -> bytes:
        message = username.encode() + b"\0" + password.encode()
        return hmac.new(self._key, message, hashlib.sha256).digest()
