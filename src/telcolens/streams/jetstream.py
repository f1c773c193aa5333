"""NATS JetStream: the connection, the stream of records and the consumer's pull subscription.

Everything broker-specific is here; ``publish`` and ``consume`` see a :class:`Delivery`
(a position, a table, a payload) and a ``PullSource`` that fetches and acknowledges them.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from dataclasses import dataclass, field, replace

import nats
import nats.errors
import nats.js.errors
from nats.aio.client import Client
from nats.aio.msg import Msg
from nats.js import JetStreamContext
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy, StorageType, StreamConfig

from telcolens.errors import Unavailable
from telcolens.schema import TABLES
from telcolens.settings import get_settings
from telcolens.streams._messages import ROWS

# JetStream's own default (2 minutes): the window in which a publisher's retry of a
# message id is stored once.
DUPLICATE_WINDOW_S = 120.0
# Longer than the slowest batch takes to write, so a message is not redelivered while its
# batch is still being written (a redelivery then would be skipped anyway, but costs work).
ACK_WAIT_S = 30.0
MAX_ACK_PENDING = 20_000
CONNECT_DEADLINE_S = 10.0


class StreamUnavailable(Unavailable):
    """The NATS server cannot be reached, or refuses a JetStream request."""


@dataclass(frozen=True)
class StreamNames:
    """Where records travel: the stream, its subjects ``<prefix>.<table>`` and the consumer."""

    stream: str
    prefix: str
    consumer: str

    @classmethod
    def from_settings(cls) -> StreamNames:
        s = get_settings()
        return cls(s.stream_name, s.stream_subject_prefix, s.stream_consumer)

    def subject(self, table: str) -> str:
        return f"{self.prefix}.{table}"

    def follower(self, name: str) -> StreamNames:
        """The same stream with the durable consumer ``<consumer>-<name>``: a follower's own."""
        return replace(self, consumer=f"{self.consumer}-{name}")

    def table_of(self, subject: str) -> str:
        """The table a subject carries ('' for a subject not of this prefix)."""
        head, _, table = subject.rpartition(".")
        return table if head == self.prefix else ""


async def connect(url: str | None = None) -> Client:
    """A connection to ``url`` (default ``TELCOLENS_NATS_URL``); StreamUnavailable if none."""
    servers = (url or get_settings().nats_url).split(",")
    try:
        # Reconnecting without end rides out a server restart mid-run; it would also retry
        # the first connection without end, hence the deadline on that one.
        return await asyncio.wait_for(
            nats.connect(servers=servers, connect_timeout=2, max_reconnect_attempts=-1),
            CONNECT_DEADLINE_S,
        )
    except (OSError, nats.errors.Error, TimeoutError) as exc:
        raise StreamUnavailable(f"cannot reach NATS at {','.join(servers)}: {exc!r}") from None


async def ensure_stream(js: JetStreamContext, names: StreamNames) -> str:
    """Create the stream (file storage, one subject per dated table) if missing.

    Returns its identity, ``NAME@created``: a stream deleted and made anew restarts its
    sequences at 1, so sequences are only compared within one identity.
    """
    subjects = [names.subject(t.name) for t in TABLES.values() if t.time]
    config = StreamConfig(
        name=names.stream,
        subjects=subjects,
        storage=StorageType.FILE,
        duplicate_window=DUPLICATE_WINDOW_S,
    )
    try:
        try:
            info = await js.stream_info(names.stream)
        except nats.js.errors.NotFoundError:
            info = await js.add_stream(config)
    except (nats.errors.Error, TimeoutError) as exc:
        raise StreamUnavailable(f"JetStream stream {names.stream}: {exc!r}") from None
    return f"{names.stream}@{info.created.isoformat() if info.created else '?'}"


async def delete_stream(js: JetStreamContext, names: StreamNames) -> None:
    """Remove the stream and its messages (tests, benchmarks)."""
    with contextlib.suppress(nats.js.errors.NotFoundError):
        await js.delete_stream(names.stream)


@dataclass(frozen=True)
class Delivery:
    """One fetched message: its stream sequence, the table it carries and its rows."""

    seq: int
    table: str
    payload: bytes
    rows: int
    msg: Msg = field(repr=False, compare=False)


class PullSource:
    """The durable pull consumer the intake reads with (explicit acks)."""

    def __init__(self, nc: Client, names: StreamNames, stream_id: str) -> None:
        self.nc, self.names, self.stream_id = nc, names, stream_id
        self.js = nc.jetstream()
        self._sub: JetStreamContext.PullSubscription | None = None

    @classmethod
    async def open(
        cls,
        url: str | None,
        names: StreamNames,
        *,
        ack_wait: float = ACK_WAIT_S,
        subject: str | None = None,
    ) -> PullSource:
        """Connect, make the stream if missing, and bind (or create) the durable consumer.

        ``ack_wait``: how long a delivered, unacknowledged message waits before it is
        delivered again (after a crash, the time until the restarted consumer gets it).
        ``subject``: the one subject the consumer takes (default: every table's).
        """
        nc = await connect(url)
        js = nc.jetstream()
        source = cls(nc, names, await ensure_stream(js, names))
        config = ConsumerConfig(
            durable_name=names.consumer,
            ack_policy=AckPolicy.EXPLICIT,
            deliver_policy=DeliverPolicy.ALL,
            ack_wait=ack_wait,
            max_ack_pending=MAX_ACK_PENDING,
        )
        try:
            source._sub = await js.pull_subscribe(
                subject or f"{names.prefix}.>",
                durable=names.consumer,
                stream=names.stream,
                config=config,
            )
        except (nats.errors.Error, TimeoutError) as exc:
            await nc.close()
            raise StreamUnavailable(f"consumer {names.consumer}: {exc!r}") from None
        return source

    async def fetch(self, max_rows: int, max_wait: float) -> list[Delivery]:
        """Messages until ``max_rows`` rows or ``max_wait`` seconds; [] if none came."""
        assert self._sub is not None
        # By sequence: a message not acknowledged within ack_wait comes again, maybe within
        # this very fetch; it is one message, written once (its latest delivery is acked).
        got: dict[int, Delivery] = {}
        rows, deadline = 0, time.monotonic() + max_wait
        while rows < max_rows:
            left = deadline - time.monotonic()
            if left <= 0.001:
                break
            # Ask for about as many messages as the rows still wanted fill.
            per_message = rows // len(got) if got else 0
            want = -(-(max_rows - rows) // per_message) if per_message else 1
            try:
                msgs = await self._sub.fetch(batch=min(want, 256), timeout=left)
            except (TimeoutError, nats.errors.TimeoutError):
                break
            for msg in msgs:
                d = _delivery(msg, self.names)
                rows += 0 if d.seq in got else d.rows
                got[d.seq] = d
        return list(got.values())

    async def ack(self, deliveries: list[Delivery]) -> None:
        """Acknowledge; returns once the acks have left for the server."""
        for d in deliveries:
            await d.msg.ack()
        await self.nc.flush()

    async def reject(self, delivery: Delivery) -> None:
        """Never deliver this message again (it stays in the stream to be looked at)."""
        await delivery.msg.term()

    async def ack_floor(self) -> int:
        """The stream sequence at or below which every message is acknowledged."""
        info = await self.js.consumer_info(self.names.stream, self.names.consumer)
        return info.ack_floor.stream_seq if info.ack_floor else 0

    async def close(self) -> None:
        with contextlib.suppress(nats.errors.Error, TimeoutError):
            await self.nc.close()  # the acks were flushed; drain would wait on the pull


def _delivery(msg: Msg, names: StreamNames) -> Delivery:
    rows = int((msg.headers or {}).get(ROWS, "0") or 0)
    return Delivery(msg.metadata.sequence.stream, names.table_of(msg.subject), msg.data, rows, msg)
