"""A sink that publishes alarms to the stream, for the stream consumer to store."""

from __future__ import annotations

from typing import Any

import pyarrow as pa

from telcolens.faults.receivers.sink import BatchSink
from telcolens.schema.network import ALARMS
from telcolens.streams import StreamNames, SyncPublisher


class StreamSink(BatchSink):
    """Publishes each batch of alarms on ``<prefix>.alarms`` (``telcolens stream consume``
    then writes them into a data directory's ``alarms`` table).

    The batching, the pairing of a clear with its raise and the retry of a failed batch
    are :class:`~telcolens.faults.receivers.sink.BatchSink`'s. A message's id is its
    content, so a batch re-sent after a lost acknowledgement is stored once; a failed batch
    merged with newer alarms at its retry is a new message, and may store its alarms twice
    (the same ``alarm_id`` and values, which readers take once).
    """

    def __init__(
        self, *, url: str | None = None, names: StreamNames | None = None, **batching: Any
    ) -> None:
        super().__init__(**batching)
        self.url = url
        self.names = names or StreamNames.from_settings()
        self._publisher: SyncPublisher | None = None

    @property
    def where(self) -> str:
        return f"stream {self.names.stream} ({self.names.subject(ALARMS.name)})"

    def start(self) -> StreamSink:
        """Connect to NATS (StreamUnavailable if it cannot) and start flushing."""
        if self._publisher is None:
            self._publisher = SyncPublisher(self.url, self.names)
        super().start()
        return self

    def close(self) -> None:
        super().close()
        if self._publisher is not None:
            self._publisher.close()
            self._publisher = None

    def _store(self, data: pa.Table) -> None:
        if self._publisher is None:
            raise RuntimeError("StreamSink used before start()")
        self._publisher.publish(ALARMS.name, data)
