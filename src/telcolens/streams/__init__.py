"""Streams: records published on NATS JetStream and consumed into a data directory.

CDRs (voice, SMS, data), location events and alarms travel as Arrow IPC messages of raw
input rows on ``<prefix>.<table>``; :func:`consume` writes them into day parts with
exactly-once effect (see docs/streams.md). ``telcolens stream publish|consume`` drive it.
"""

from telcolens.streams.consume import BatchReport, Consumer, ConsumeReport, consume, run_consumer
from telcolens.streams.jetstream import (
    PullSource,
    StreamNames,
    StreamUnavailable,
    connect,
    delete_stream,
    ensure_stream,
)
from telcolens.streams.publish import (
    PublishReport,
    SyncPublisher,
    file_batches,
    province_batches,
    publish_batches,
)

__all__ = [
    "BatchReport",
    "ConsumeReport",
    "Consumer",
    "PublishReport",
    "PullSource",
    "StreamNames",
    "StreamUnavailable",
    "SyncPublisher",
    "connect",
    "consume",
    "delete_stream",
    "ensure_stream",
    "file_batches",
    "province_batches",
    "publish_batches",
    "run_consumer",
]
