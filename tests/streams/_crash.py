"""A stream consumer that SIGKILLs itself at one point of its N-th batch (for test_kill).

    python _crash.py DATA STREAM PREFIX CONSUMER POINT N

POINT: ``fetched`` (messages fetched, nothing written), ``renaming`` (a part written
to its temporary name, not yet renamed into place: the N-th rename of the run),
``renamed`` (every part of the batch in place and fsynced, no ack sent), ``acked``
(the acks sent and flushed).
"""

from __future__ import annotations

import os
import signal
import sys

from telcolens.streams import StreamNames, consume
from telcolens.streams.consume import Consumer

data, stream, prefix, consumer, point, nth = sys.argv[1:]
count = {"n": 0}


def die_on_nth() -> None:
    count["n"] += 1
    if count["n"] == int(nth):
        os.kill(os.getpid(), signal.SIGKILL)


prepare, acknowledge, replace = Consumer._prepare, Consumer._acknowledge, os.replace


def prepare_then(self, deliveries):
    die_on_nth()
    return prepare(self, deliveries)


def replace_then(src, dst):
    if str(dst).endswith(".parquet"):
        die_on_nth()
    return replace(src, dst)


async def acknowledge_then(self, deliveries, rejected):
    if point == "renamed":
        die_on_nth()
    await acknowledge(self, deliveries, rejected)
    if point == "acked":
        die_on_nth()


if point == "fetched":
    Consumer._prepare = prepare_then
elif point == "renaming":
    os.replace = replace_then
else:
    Consumer._acknowledge = acknowledge_then

consume(
    data,
    names=StreamNames(stream, prefix, consumer),
    batch_rows=8_000,
    max_wait=0.5,
    ack_wait=1.0,
    once=True,
)
sys.exit(3)  # the run ended without reaching the point: the test is mis-set
