"""The SMS channel over SMPP 3.4: an ESME bound as transceiver that answers the keyword.

A subscriber texts the keyword to the short number; the SMSC hands it to us as
``deliver_sm``; we look the sender up in the index and answer with ``submit_sm`` in UCS-2
(data_coding 8), split into concatenated parts with a user data header when it is long.
PDUs are built and parsed by the maintained ``smpplib``; the session logic is ours.

No query is lost when the SMSC goes away. Every answer is written to the ESME's own
SQLite file (:class:`LocalOutbox`) *before* the ``deliver_sm_resp`` that tells the SMSC we
have the query, and leaves it only when every part has its ``submit_sm_resp``. After a
reconnect (exponential backoff, reset by a successful bind) whatever was not acknowledged
is sent again. The delivery is at least once: a part acknowledged before the link broke
may arrive twice.

Texts from other components (the query API's one-time codes) are queued in the store's
outbox (:func:`telcolens.itinerary.outbox.queue_sms`, in their own transaction); given a
:class:`StoreOutbox`, the ESME claims them a window at a time, marks each sent on its last
``submit_sm_resp`` and releases what it holds when the link breaks. In-process callers
without a store (a demo) may use :meth:`Esme.send`, which queues in the local file.

Submits are paced (``rate`` per second) and at most ``window`` are unacknowledged at a
time. Delivery receipts (``esm_class`` message type bits) are recorded, never answered.
The link is kept alive with ``enquire_link`` after ``enquire_link_s`` of silence, and
judged dead when a response is ``response_timeout_s`` late. Numbers are masked in logs;
the password is never logged (smpplib's own debug hex dumps carry it, so its logger is
held at ERROR).
"""

from __future__ import annotations

import contextlib
import logging
import random
import re
import select
import socket
import sqlite3
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import smpplib.client
import smpplib.consts
import smpplib.exceptions
import smpplib.gsm
import smpplib.smpp
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from telcolens.errors import BadInput, TelcolensError, Unavailable
from telcolens.itinerary import outbox as store_outbox
from telcolens.itinerary.index import Answer, LatestIndex
from telcolens.itinerary.outbox import ClaimedSms
from telcolens.itinerary.reply import DEFAULT_KEYWORD, answer_text, help_text, is_query
from telcolens.privacy import mask
from telcolens.store.db import StoreError, make_engine, transaction

log = logging.getLogger(__name__)
_WIRE_LOGGER = "telcolens.itinerary.smpp.wire"
logging.getLogger(_WIRE_LOGGER).setLevel(logging.ERROR)

# esm_class bits 2-5, the message type (SMPP 3.4 section 5.2.12): 0x04 SMSC delivery
# receipt, 0x08 SME delivery acknowledgement, 0x10 manual acknowledgement, 0x20
# intermediate notification. Anything but 0 there is not a subscriber's message.
_MESSAGE_TYPE_BITS = 0x3C
_UDHI = smpplib.consts.SMPP_GSMFEAT_UDHI
# Statuses after which the same part is worth sending again, later.
_RETRY_LATER = {
    smpplib.consts.SMPP_ESME_RTHROTTLED,
    smpplib.consts.SMPP_ESME_RMSGQFUL,
    smpplib.consts.SMPP_ESME_RSYSERR,
}
_ADDRESS = re.compile(r"\+?\d{1,20}")
_MAX_TEXT_BYTES = 255 * smpplib.consts.UCS2_PART_SIZE
_RECEIPT = re.compile(r"id:(?P<id>\S+).*?stat:(?P<stat>\w+)", re.S)


@dataclass(frozen=True)
class SmppSettings:
    """How to reach the SMSC and how hard to drive it.

    Attributes
    ----------
    host, port : the SMSC (2775 is SMPP's registered port).
    system_id, password, system_type : the bind's credentials; the password is never
        logged nor shown in ``repr``.
    source_addr : the short number the subscriber texts and our answers come from.
    keyword : what a subscriber texts to ask (full width and case do not matter).
    rate : submit_sm per second at most (the SMSC's contracted throughput).
    window : submit_sm awaiting their submit_sm_resp at most.
    enquire_link_s : silence after which we send enquire_link.
    response_timeout_s : a response later than this means the link is dead.
    backoff_initial_s, backoff_max_s : reconnect delays, doubled per failure.
    max_attempts : a message failed by the SMSC this many times is given up.
    store_poll_s : how often the store's outbox (one-time codes) is asked for texts.
    help_interval_s : a number that texts something else gets the help text at most
        once in this many seconds.
    registered_delivery : ask the SMSC for delivery receipts.
    """

    host: str = "127.0.0.1"
    port: int = 2775
    system_id: str = "telcolens"
    password: str = field(default="", repr=False)
    system_type: str = ""
    source_addr: str = "10661234"
    keyword: str = DEFAULT_KEYWORD
    rate: float = 50.0
    window: int = 10
    enquire_link_s: float = 30.0
    response_timeout_s: float = 30.0
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    max_attempts: int = 5
    store_poll_s: float = 1.0
    help_interval_s: float = 600.0
    registered_delivery: bool = True
    source_addr_ton: int = 0
    source_addr_npi: int = 0
    dest_addr_ton: int = 0
    dest_addr_npi: int = 1


class LinkDown(TelcolensError):
    """The SMSC link broke or stopped answering; the ESME reconnects."""


_OUTBOX_SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    id INTEGER PRIMARY KEY, number TEXT NOT NULL, text TEXT, kind TEXT NOT NULL,
    state TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL DEFAULT 0,
    created REAL NOT NULL, finished REAL, detail TEXT);
CREATE INDEX IF NOT EXISTS outbox_pending ON outbox (state, id);
CREATE TABLE IF NOT EXISTS receipts (
    id INTEGER PRIMARY KEY, message_id TEXT, stat TEXT, number TEXT, received REAL NOT NULL);
"""


class LocalOutbox:
    """The ESME's own file: the answers it owes (and any text sent with :meth:`send`).

    SQLite, so that it survives the ESME's restart; any thread or process may :meth:`send`,
    the ESME drains it. A sent message keeps its row (masked number, no text) as the
    record of what went out; delivery receipts are recorded beside them.
    """

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()
        self._con = sqlite3.connect(self.path, check_same_thread=False, isolation_level=None)
        # WAL with synchronous=NORMAL: a commit survives the process dying (not the power),
        # at a fraction of a full fsync per message.
        self._con.execute("PRAGMA journal_mode=WAL")
        self._con.execute("PRAGMA synchronous=NORMAL")
        self._con.execute("PRAGMA busy_timeout=10000")
        self._con.executescript(_OUTBOX_SCHEMA)
        self._listeners: list[Callable[[], None]] = []

    def subscribe(self, wake: Callable[[], None]) -> Callable[[], None]:
        """Call ``wake()`` after each :meth:`send` through this handle; returns an undo."""
        self._listeners.append(wake)
        return lambda: self._listeners.remove(wake) if wake in self._listeners else None

    def send(self, number: str, text: str, *, kind: str = "send") -> int:
        """Queue ``text`` for ``number``; the ESME sends it when bound. Returns its id.

        Raises :class:`~telcolens.errors.BadInput` for a number SMPP cannot address
        (digits, an optional leading ``+``, at most 20) or a text that is empty or longer
        than 255 concatenated UCS-2 parts.
        """
        if not _ADDRESS.fullmatch(number):
            raise BadInput(f"{mask(number)!r} is not a number SMPP can address")
        if not text or len(text.encode("utf-16-be")) > _MAX_TEXT_BYTES:
            raise BadInput(f"an SMS text must have 1 to {_MAX_TEXT_BYTES // 2} characters")
        with self._lock:
            row_id = self._con.execute(
                "INSERT INTO outbox (number, text, kind, created) VALUES (?, ?, ?, ?)",
                (number, text, kind, time.time()),
            ).lastrowid
        for wake in self._listeners:
            wake()
        return row_id

    def pending(self, after: int, limit: int) -> list[tuple[int, str, str, int]]:
        """(id, number, text, attempts) of unsent messages with an id above ``after``."""
        with self._lock:
            return self._con.execute(
                "SELECT id, number, text, attempts FROM outbox "
                "WHERE state = 'pending' AND id > ? ORDER BY id LIMIT ?",
                (after, limit),
            ).fetchall()

    def finish(self, row_id: int, state: str, detail: str = "") -> None:
        """Mark a message ``sent`` or ``failed``, keeping only the masked number."""
        with self._lock:
            self._con.execute(
                "UPDATE outbox SET state = ?, detail = ?, finished = ?, text = NULL, "
                "number = ? WHERE id = ?",
                (state, detail, time.time(), mask(self._number(row_id)), row_id),
            )

    def retry(self, row_id: int, detail: str) -> None:
        with self._lock:
            self._con.execute(
                "UPDATE outbox SET attempts = attempts + 1, detail = ? WHERE id = ?",
                (detail, row_id),
            )

    def _number(self, row_id: int) -> str:
        row = self._con.execute("SELECT number FROM outbox WHERE id = ?", (row_id,)).fetchone()
        return row[0] if row else ""

    def receipt(self, message_id: str, stat: str, number: str) -> None:
        """Record a delivery receipt (the number masked)."""
        with self._lock:
            self._con.execute(
                "INSERT INTO receipts (message_id, stat, number, received) VALUES (?, ?, ?, ?)",
                (message_id, stat, mask(number), time.time()),
            )

    def counts(self) -> dict[str, int]:
        """Messages per state (``pending``, ``sent``, ``failed``) and ``receipts``."""
        with self._lock:
            out = dict(self._con.execute("SELECT state, COUNT(*) FROM outbox GROUP BY state"))
            out["receipts"] = self._con.execute("SELECT COUNT(*) FROM receipts").fetchone()[0]
        return out

    def close(self) -> None:
        with self._lock:
            self._con.close()


@dataclass
class Stats:
    """What the ESME has done since it started (read from any thread)."""

    binds: int = 0
    received: int = 0
    receipts: int = 0
    submitted: int = 0
    acknowledged: int = 0
    messages_sent: int = 0
    messages_failed: int = 0
    enquire_links_sent: int = 0
    enquire_links_answered: int = 0
    link_failures: int = 0


@dataclass
class _Job:
    row_id: int  # in the ESME's LocalOutbox, or in the store's sms_outbox when from_store
    number: str
    parts: list[bytes]
    esm_class: int
    attempts: int
    from_store: bool = False
    todo: deque[int] = field(default_factory=deque)
    acked: int = 0
    message_ids: list[str] = field(default_factory=list)

    @classmethod
    def make(cls, row_id: int, number: str, text: str, attempts: int, from_store: bool) -> _Job:
        parts, _, esm_class = smpplib.gsm.make_parts(
            text, encoding=smpplib.consts.SMPP_ENCODING_ISO10646
        )
        job = cls(row_id, number, parts, esm_class, attempts, from_store)
        job.todo.extend(range(len(parts)))
        return job


class StoreOutbox:
    """The operational store's SMS outbox (:mod:`telcolens.itinerary.outbox`), as a source.

    The query API queues its one-time codes there, in the transaction that issues the
    code; the ESME claims a few at a time (a lease), marks each sent on its last
    ``submit_sm_resp``, and releases what it holds when the link breaks.
    """

    def __init__(self, sessions: sessionmaker[Session]) -> None:
        self.sessions = sessions

    @classmethod
    def from_url(cls, url: str | None = None) -> StoreOutbox:
        """The outbox of the store at ``url`` (default ``TELCOLENS_DATABASE_URL``)."""
        return cls(sessionmaker(make_engine(url), expire_on_commit=False))

    @contextlib.contextmanager
    def _unit(self) -> Iterator[Session]:
        # The channel outlives a store outage: a store that is down or busy
        # (OperationalError) skips this poll, and the texts wait for the next one.
        try:
            with transaction(self.sessions) as session:
                yield session
        except OperationalError as exc:
            raise StoreError(f"the store is unavailable: {exc.orig}") from exc

    def claim(self, n: int) -> list[ClaimedSms]:
        with self._unit() as session:
            return store_outbox.claim_batch(session, n)

    def sent(self, ids: list[int]) -> None:
        with self._unit() as session:
            store_outbox.mark_sent(session, ids)

    def release(self, ids: list[int]) -> None:
        with self._unit() as session:
            store_outbox.release(session, ids)


class Esme:
    """The SMS channel's client: answers the keyword from an index, drains the outbox.

    ``start()`` runs it on a thread until ``stop()``; ``run(stop_event)`` runs it on the
    caller's thread (the CLI). ``on_event`` (optional) is called, on the ESME's thread,
    with the name of each event ("bound", "link_down", "sent"), for progress and tests.
    """

    def __init__(
        self,
        settings: SmppSettings,
        lookup: Callable[[str], Answer],
        outbox: LocalOutbox,
        *,
        on_event: Callable[[str], None] | None = None,
        store: StoreOutbox | None = None,
    ) -> None:
        self.settings = settings
        self.lookup = lookup
        self.outbox = outbox
        self.store = store
        self.on_event = on_event or (lambda name: None)
        self.stats = Stats()
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        self._wake_r, self._wake_w = socket.socketpair()
        self._wake_r.setblocking(False)
        self._wake_w.setblocking(False)
        self._unsubscribe = outbox.subscribe(self._wake)
        self._last_help: dict[str, float] = {}

    # --- lifecycle -------------------------------------------------------------------

    def start(self) -> Esme:
        """Run on a daemon thread; returns at once."""
        self._stop.clear()
        self._thread = threading.Thread(target=self.run, name="esme", daemon=True)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        """Unbind, disconnect and wait for the thread; unsent messages stay in the outbox."""
        self._stop.set()
        self._wake()
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def close(self) -> None:
        """Release the wake-up sockets (after :meth:`stop`)."""
        self._unsubscribe()
        self._wake_r.close()
        self._wake_w.close()

    def send(self, number: str, text: str) -> int:
        """Queue a text for a number in the local file; see :meth:`LocalOutbox.send`.

        For callers in this process without a store; the query API queues in the store's
        outbox (:func:`telcolens.itinerary.outbox.queue_sms`) instead.
        """
        return self.outbox.send(number, text)

    def _wake(self) -> None:
        # A full buffer means a wake-up is already pending; one is enough.
        with contextlib.suppress(BlockingIOError, OSError):
            self._wake_w.send(b"\0")

    def run(self, stop: threading.Event | None = None) -> None:
        """Connect, bind and serve until ``stop`` is set, reconnecting with backoff."""
        stop = stop or self._stop
        delay = self.settings.backoff_initial_s
        while not (stop.is_set() or self._stop.is_set()):
            try:
                client = self._bind()
            except (LinkDown, OSError) as exc:
                log.warning("SMSC %s:%s: %s; retrying in %.1fs", self.settings.host,
                            self.settings.port, exc, delay)  # fmt: skip
            else:
                delay = self.settings.backoff_initial_s
                try:
                    _Session(self, client, stop).serve()
                except (LinkDown, OSError) as exc:
                    self.stats.link_failures += 1
                    self.on_event("link_down")
                    log.warning("SMSC link lost: %s; reconnecting in %.1fs", exc, delay)
                finally:
                    client.disconnect()
            if stop.is_set() or self._stop.is_set():
                break
            if stop.wait(delay * random.uniform(0.8, 1.2)) or self._stop.is_set():
                break
            delay = min(delay * 2, self.settings.backoff_max_s)

    def _bind(self) -> smpplib.client.Client:
        s = self.settings
        client = smpplib.client.Client(
            s.host, s.port, timeout=s.response_timeout_s, logger_name=_WIRE_LOGGER,
            allow_unknown_opt_params=True,
        )  # fmt: skip
        try:
            client.connect()
            client.bind_transceiver(
                system_id=s.system_id, password=s.password, system_type=s.system_type
            )
        except (smpplib.exceptions.ConnectionError, smpplib.exceptions.PDUError) as exc:
            client.disconnect()
            raise LinkDown(f"bind failed: {exc}") from exc
        except BaseException:
            client.disconnect()
            raise
        self.stats.binds += 1
        self.on_event("bound")
        log.info("bound to SMSC %s:%s as %s", s.host, s.port, s.system_id)
        return client

    # --- incoming messages -----------------------------------------------------------

    def _incoming(self, pdu) -> None:
        """A deliver_sm: record a receipt, or queue the answer (before its resp goes out)."""
        number = _text(pdu.source_addr)
        if (pdu.esm_class or 0) & _MESSAGE_TYPE_BITS:
            body = _decode(pdu)
            match = _RECEIPT.search(body)
            message_id = _text(getattr(pdu, "receipted_message_id", None)) or (
                match["id"] if match else ""
            )
            self.outbox.receipt(message_id, match["stat"] if match else "", number)
            self.stats.receipts += 1
            return
        self.stats.received += 1
        if not _ADDRESS.fullmatch(number):
            log.warning("a message from %r, which cannot be answered", mask(number))
            return
        text = _decode(pdu)
        if is_query(text, self.settings.keyword):
            kind, reply = "reply", answer_text(self.lookup(number))
        elif self._help_due(number):
            kind, reply = "help", help_text(self.settings.keyword)
        else:
            log.info("no help for %s again so soon", mask(number))
            return
        self.outbox.send(number, reply, kind=kind)
        log.info("%s for %s queued", kind, mask(number))

    def _help_due(self, number: str) -> bool:
        # One help text per number per help_interval_s: two auto-responders must not
        # keep answering each other through the short number.
        now = time.monotonic()
        if len(self._last_help) > 10_000:
            cutoff = now - self.settings.help_interval_s
            self._last_help = {n: t for n, t in self._last_help.items() if t > cutoff}
        last = self._last_help.get(number)
        if last is not None and now - last < self.settings.help_interval_s:
            return False
        self._last_help[number] = now
        return True


class _Session:
    """One bound connection: the loop that reads PDUs and paces submits."""

    def __init__(self, esme: Esme, client: smpplib.client.Client, stop: threading.Event):
        self.esme, self.client, self.stop = esme, client, stop
        self.s = esme.settings
        self.jobs: deque[_Job] = deque()
        self.loaded: set[int] = set()
        self.held: set[int] = set()  # claimed from the store, not yet marked sent
        self.next_store_poll = 0.0
        self.after = 0
        self.inflight: dict[int, tuple[_Job, int, float]] = {}
        self.next_submit = time.monotonic()
        self.last_rx = time.monotonic()
        self.enquiry_sent: float | None = None

    def serve(self) -> None:
        try:
            self._serve()
        finally:
            self._release_held()

    def _serve(self) -> None:
        sock = self.client._socket  # smpplib's poll() selects on it the same way
        while not (self.stop.is_set() or self.esme._stop.is_set()):
            self._load()
            self._submit_ready()
            readable, _, _ = select.select([sock, self.esme._wake_r], [], [], self._timeout())
            if self.esme._wake_r in readable:
                self._drain_wake()
            if sock in readable:
                try:
                    pdu = self.client.read_pdu()
                except (TimeoutError, smpplib.exceptions.ConnectionError) as exc:
                    raise LinkDown(f"read failed: {exc or type(exc).__name__}") from exc
                self.last_rx = time.monotonic()
                self._dispatch(pdu)
            self._keepalive()
        self._unbind()

    def _timeout(self) -> float:
        now = time.monotonic()
        wait = min(1.0, max(0.0, self.last_rx + self.s.enquire_link_s - now))
        if self.jobs and len(self.inflight) < self.s.window:
            wait = min(wait, max(0.0, self.next_submit - now))
        return wait

    def _drain_wake(self) -> None:
        with contextlib.suppress(BlockingIOError):
            while self.esme._wake_r.recv(4096):
                pass

    def _load(self) -> None:
        if len(self.jobs) >= self.s.window:
            return
        for row_id, number, text, attempts in self.esme.outbox.pending(self.after, 200):
            self.after = row_id
            if row_id not in self.loaded:
                self.jobs.append(_Job.make(row_id, number, text, attempts, from_store=False))
                self.loaded.add(row_id)
        store, now = self.esme.store, time.monotonic()
        if store is None or now < self.next_store_poll or len(self.jobs) >= self.s.window:
            return
        self.next_store_poll = now + self.s.store_poll_s
        try:
            claimed = store.claim(self.s.window)
        except Unavailable as exc:
            log.warning("the store's outbox is unavailable: %s", exc)
            return
        for sms in claimed:
            self.jobs.append(_Job.make(sms.id, sms.number, sms.text, 0, from_store=True))
            self.held.add(sms.id)

    def _release_held(self) -> None:
        """Give the store's texts not yet sent back, for the next session (or sender)."""
        if self.esme.store is None or not self.held:
            return
        try:
            self.esme.store.release(sorted(self.held))
        except Unavailable as exc:  # their lease runs out instead
            log.warning("could not release the store's texts: %s", exc)
        self.held.clear()

    def _finish(self, job: _Job, state: str, detail: str) -> None:
        if not job.from_store:
            self.esme.outbox.finish(job.row_id, state, detail)
            self.loaded.discard(job.row_id)
            return
        self.held.discard(job.row_id)
        if state == "sent":
            try:
                self.esme.store.sent([job.row_id])
            except Unavailable as exc:  # sent again after its lease: at least once
                log.warning("could not mark text %s sent: %s", job.row_id, exc)
        # A failed one is left to its lease: the store gives it up after MAX_ATTEMPTS.

    def _submit_ready(self) -> None:
        rate = max(self.s.rate, 0.001)
        while self.jobs and len(self.inflight) < self.s.window:
            now = time.monotonic()
            if now < self.next_submit:
                return
            # Pacing without letting an idle spell bank a burst of more than 1/10 s.
            self.next_submit = max(self.next_submit, now - 0.1) + 1 / rate
            job = self.jobs[0]
            index = job.todo.popleft()
            if not job.todo:
                self.jobs.popleft()
            self._submit(job, index)

    def _submit(self, job: _Job, index: int) -> None:
        s = self.s
        pdu = smpplib.smpp.make_pdu(
            "submit_sm", client=self.client,
            source_addr_ton=s.source_addr_ton, source_addr_npi=s.source_addr_npi,
            source_addr=s.source_addr, dest_addr_ton=s.dest_addr_ton,
            dest_addr_npi=s.dest_addr_npi, destination_addr=job.number,
            esm_class=job.esm_class, data_coding=smpplib.consts.SMPP_ENCODING_ISO10646,
            short_message=job.parts[index], registered_delivery=int(s.registered_delivery),
        )  # fmt: skip
        self._send(pdu)
        self.inflight[pdu.sequence] = (job, index, time.monotonic())
        self.esme.stats.submitted += 1

    def _send(self, pdu) -> None:
        try:
            self.client.send_pdu(pdu)
        except smpplib.exceptions.ConnectionError as exc:
            raise LinkDown(f"send failed: {exc or 'connection closed'}") from exc

    def _respond(self, name: str, pdu, **kwargs) -> None:
        resp = smpplib.smpp.make_pdu(name, client=self.client, **kwargs)
        resp.sequence = pdu.sequence
        self._send(resp)

    def _dispatch(self, pdu) -> None:
        command = pdu.command
        if command == "deliver_sm":
            self.esme._incoming(pdu)
            self._respond("deliver_sm_resp", pdu)
        elif command in ("submit_sm_resp", "generic_nack"):
            self._acknowledged(pdu)
        elif command == "enquire_link":
            self._respond("enquire_link_resp", pdu)
            self.esme.stats.enquire_links_answered += 1
        elif command == "enquire_link_resp":
            self.enquiry_sent = None
        elif command == "unbind":
            self._respond("unbind_resp", pdu)
            raise LinkDown("the SMSC unbound")
        else:
            log.info("ignored %s from the SMSC", command)

    def _acknowledged(self, pdu) -> None:
        entry = self.inflight.pop(pdu.sequence, None)
        if entry is None:
            log.warning("%s for unknown sequence %s", pdu.command, pdu.sequence)
            return
        job, index, _ = entry
        stats, outbox = self.esme.stats, self.esme.outbox
        if not pdu.is_error():
            stats.acknowledged += 1
            job.acked += 1
            job.message_ids.append(_text(getattr(pdu, "message_id", b"")))
            if job.acked == len(job.parts):
                self._finish(job, "sent", ",".join(job.message_ids))
                stats.messages_sent += 1
                self.esme.on_event("sent")
            return
        detail = f"{pdu.command} status 0x{pdu.status:02x}"
        job.attempts += 1
        if pdu.status in _RETRY_LATER and job.attempts < self.s.max_attempts:
            if not job.from_store:
                outbox.retry(job.row_id, detail)
            job.todo.append(index)
            if job not in self.jobs:
                self.jobs.append(job)
            self.next_submit = time.monotonic() + 1.0  # the SMSC asked us to slow down
            return
        log.warning("message %s to %s failed: %s", job.row_id, mask(job.number), detail)
        self._finish(job, "failed", detail)
        if job in self.jobs:
            self.jobs.remove(job)
        stats.messages_failed += 1

    def _keepalive(self) -> None:
        now = time.monotonic()
        limit = self.s.response_timeout_s
        if self.enquiry_sent is not None and now - self.enquiry_sent > limit:
            raise LinkDown(f"no enquire_link_resp in {limit:g}s")
        oldest = min((sent for _, _, sent in self.inflight.values()), default=now)
        if now - oldest > limit:
            raise LinkDown(f"no submit_sm_resp in {limit:g}s")
        if self.enquiry_sent is None and now - self.last_rx >= self.s.enquire_link_s:
            self._send(smpplib.smpp.make_pdu("enquire_link", client=self.client))
            self.enquiry_sent = now
            self.esme.stats.enquire_links_sent += 1

    def _unbind(self) -> None:
        """Best effort: tell the SMSC we go; unacknowledged messages stay in the outbox."""
        try:
            self._send(smpplib.smpp.make_pdu("unbind", client=self.client))
        except LinkDown:
            return
        deadline = time.monotonic() + min(self.s.response_timeout_s, 2.0)
        sock = self.client._socket
        while time.monotonic() < deadline:
            if not select.select([sock], [], [], max(0.0, deadline - time.monotonic()))[0]:
                return
            try:
                pdu = self.client.read_pdu()
            except (TimeoutError, smpplib.exceptions.ConnectionError, OSError):
                return
            if pdu.command == "unbind_resp":
                return
            if pdu.command in ("submit_sm_resp", "generic_nack"):
                self._acknowledged(pdu)


def _text(value: bytes | str | None) -> str:
    if value is None:
        return ""
    return value.decode("latin-1") if isinstance(value, bytes) else value


def _decode(pdu) -> str:
    """The text of a deliver_sm: short_message or message_payload, UDH skipped."""
    raw = pdu.short_message or getattr(pdu, "message_payload", None) or b""
    if isinstance(raw, str):
        raw = raw.encode("latin-1")
    if (pdu.esm_class or 0) & _UDHI and raw:
        raw = raw[1 + raw[0] :]
    if pdu.data_coding == smpplib.consts.SMPP_ENCODING_ISO10646:
        return raw.decode("utf-16-be", errors="replace")
    return raw.decode("latin-1")


def run_esme(
    settings: SmppSettings,
    index_path: Path,
    stop_event: threading.Event,
    *,
    outbox_path: Path | None = None,
    store_url: str | None = None,
    on_event: Callable[[str], None] | None = None,
) -> Stats:
    """Answer the keyword from the index at ``index_path`` until ``stop_event`` is set.

    The answers' outbox defaults to ``index_path/sms-outbox.sqlite`` (beside the index,
    so a restart finds what was not sent). With ``store_url`` the ESME also sends the
    texts the query API queues in that store (its one-time codes). Blocks; returns the
    ESME's statistics.
    """
    index = ReloadingIndex(Path(index_path))
    outbox = LocalOutbox(outbox_path or _default_outbox(Path(index_path)))
    store = StoreOutbox.from_url(store_url) if store_url else None
    esme = Esme(settings, index.lookup_number, outbox, on_event=on_event, store=store)
    try:
        esme.run(stop_event)
    finally:
        esme.close()
        outbox.close()
    return esme.stats


# The ESME answers from the newest build, looking at the file on every query.
ReloadingIndex = LatestIndex


def _default_outbox(index_path: Path) -> Path:
    return (index_path if index_path.is_dir() else index_path.parent) / "sms-outbox.sqlite"
