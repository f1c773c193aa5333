"""The Bulk Data collector: gateways POST TR-181 reports, rows land in ``broadband_kpi``.

``POST /api/broadband/bulkdata`` is the URL a gateway's ``Device.BulkData.Profile.{i}.HTTP.URL``
names (Method POST, EncodingType JSON; Compression None, GZIP or Deflate). It answers:

- 401 without the gateway's own credential (HTTP Basic, see :mod:`.gateways`);
- 403 when the request names another gateway or line than the credential's (a report's
  ``Device.DeviceInfo.SerialNumber``, or ``sn`` / ``line_id`` in the URL's query);
- 413 over ``max_bytes``, as sent or once decompressed; 415 for anything but JSON, or an
  unknown ``Content-Encoding``;
- 400 when the body is not a Bulk Data JSON report at all, or when every report in it is
  refused (the reasons say why);
- 200 otherwise, with how many reports were stored, ignored as duplicates (the same line
  and collection time is stored already) and refused. A refused report is refused whole:
  one value out of its column's range and none of the report is stored.
- 503 when the rows could not be written (a full disk): nothing of the request is
  acknowledged, and the gateway's retry (``HTTP.RetryEnable``) stores what is missing.

Writing: the reports of concurrent requests are gathered into one batch, written as one
Parquet part per record day (``day-D.bulkdata-<time>-<id>.parquet``) through
:func:`telcolens.dataset.write_part`, which writes a temporary file and renames it into
place; a reader sees a part whole or not at all, and a request is answered only once its
rows are in place. Duplicates are recognised against an index of the keys of each record
day, read from its parts when the collector first meets the day and kept up to date by
every batch it writes; a retried request whose first try landed only partly stores the
rest and counts the others as duplicates, so nothing is lost or stored twice.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
import uuid
import zlib
from collections import OrderedDict, defaultdict
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import anyio
import anyio.to_thread
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq

from telcolens.broadband.bulkdata import (
    CST,
    BulkDataError,
    DecodedReport,
    KpiSpec,
    Refusal,
    Sample,
    decode_report,
    interval_deltas,
    parse_body,
    time_us,
    to_row,
)
from telcolens.broadband.gateways import Gateway, GatewayStore, gateways_path
from telcolens.dataset import day_files, day_part, write_part
from telcolens.errors import Unavailable
from telcolens.schema import BROADBAND_KPI, Table

MAX_BYTES = 2 * 1024 * 1024


class TooLarge(BulkDataError):
    """The body is over the collector's limit, as sent or decompressed (413)."""


class Unsupported(BulkDataError):
    """Not JSON, or compressed in a way the collector does not read (415)."""


class WrongGateway(BulkDataError):
    """The request names another gateway or line than its credential's (403)."""


@dataclass
class CollectorCounters:
    """Counts since start. ``reports`` = ``accepted`` + ``duplicates`` + ``refused`` + ``failed``.

    Per request: ``requests`` received; ``unauthenticated`` (401), ``forbidden`` (403),
    ``too_large`` (413), ``unsupported`` (415), ``malformed`` (400, not a Bulk Data report)
    and ``write_failures`` (503). Per report instance of the requests that got that far:
    ``accepted`` (stored), ``duplicates`` (ignored, stored already), ``refused`` (bad, not
    stored) and ``failed`` (in a request that got 503). ``parts`` written.
    """

    requests: int = 0
    unauthenticated: int = 0
    forbidden: int = 0
    too_large: int = 0
    unsupported: int = 0
    malformed: int = 0
    write_failures: int = 0
    reports: int = 0
    accepted: int = 0
    duplicates: int = 0
    refused: int = 0
    failed: int = 0
    parts: int = 0


@dataclass(frozen=True)
class Outcome:
    """What became of one request's reports."""

    accepted: int
    duplicates: int
    refused: tuple[Refusal, ...]


@dataclass(eq=False)
class _Batch:
    gateway: Gateway
    reports: list[DecodedReport]
    accepted: int = 0
    duplicates: int = 0
    failed: bool = False
    done: bool = False
    error: BaseException | None = None


class BulkDataCollector:
    """Decodes gateways' reports and appends them to ``table`` in ``data_dir``.

    Parameters
    ----------
    gateways
        The credentials (default: ``DIR/_gateways.json``, see :mod:`.gateways`).
    max_bytes
        Largest body accepted, as sent and once decompressed.
    index_days
        Record days whose keys are kept in memory for the duplicate check; an older day
        is read again from its parts when a report for it arrives.
    max_future
        How far past the time of receipt a collection time may be (clock junk beyond).
    linger
        Seconds the writer waits for more requests before writing a batch: fewer, larger
        parts under load, for that much more time before a gateway gets its answer.
    threads
        Requests decoded or waiting for the writer at once (their own thread pool).
    """

    def __init__(
        self,
        data_dir: str | os.PathLike[str],
        *,
        gateways: GatewayStore | None = None,
        table: Table = BROADBAND_KPI,
        max_bytes: int = MAX_BYTES,
        index_days: int = 4,
        max_future: dt.timedelta = dt.timedelta(hours=1),
        linger: float = 0.02,
        threads: int = 32,
    ) -> None:
        self.data_dir = Path(data_dir)
        # Not `gateways or ...`: a store with no gateway yet is falsy (it has a length).
        self.gateways = gateways if gateways is not None else GatewayStore(gateways_path(data_dir))
        self.spec = KpiSpec(table)
        self.max_bytes = max_bytes
        self.index_days = index_days
        self.max_future = max_future
        self.linger = linger
        self.counters = CollectorCounters()
        # Own thread pools: requests waiting for the batch writer, or hashing a password,
        # never hold the threads that endpoints using the store run on.
        self.limiter = anyio.CapacityLimiter(threads)
        self.auth_limiter = anyio.CapacityLimiter(2)
        self._count_lock = threading.Lock()
        self._queue: list[_Batch] = []
        self._queue_lock = threading.Lock()
        self._commit_lock = threading.Lock()
        self._days: OrderedDict[dt.date, set[tuple[int, int]]] = OrderedDict()
        self._last: dict[str, Sample] = {}

    def count(self, **deltas: int) -> None:
        with self._count_lock:
            for name, n in deltas.items():
                setattr(self.counters, name, getattr(self.counters, name) + n)

    def stats(self) -> dict[str, int]:
        with self._count_lock:
            return asdict(self.counters)

    def receive(
        self,
        gateway: Gateway,
        body: bytes,
        *,
        content_encoding: str | None = None,
        report_format: str | None = None,
        sent_at: dt.datetime | None = None,
        received_at: dt.datetime | None = None,
    ) -> Outcome:
        """Store the reports of one request from ``gateway``; blocks until they are on disk.

        Raises :class:`TooLarge`, :class:`Unsupported`, :class:`WrongGateway` or
        :class:`BulkDataError` for the request as a whole (each counted), and
        :class:`~telcolens.errors.Unavailable` when the rows could not be written.
        """
        received_at = received_at or dt.datetime.now(CST).replace(tzinfo=None)
        try:
            raw = parse_body(
                _decompress(body, content_encoding, self.max_bytes), report_format=report_format
            )
        except TooLarge:
            self.count(too_large=1)
            raise
        except Unsupported:
            self.count(unsupported=1)
            raise
        except BulkDataError:
            self.count(malformed=1)
            raise
        decoded = [decode_report(r, self.spec) for r in raw]
        for report in decoded:
            if isinstance(report, DecodedReport) and _other_gateway(gateway, report):
                self.count(forbidden=1)
                raise WrongGateway(
                    f"report {report.index} is from gateway {report.serial_number!r}, "
                    f"not from {gateway.serial_number!r} whose credential was given"
                )
        decoded = _date(decoded, sent_at, received_at, self.max_future)
        refused = tuple(r for r in decoded if isinstance(r, Refusal))
        batch = _Batch(gateway, [r for r in decoded if isinstance(r, DecodedReport)])
        self.count(reports=len(decoded), refused=len(refused))
        self._commit(batch)
        unwritten = len(batch.reports) - batch.accepted - batch.duplicates if batch.failed else 0
        self.count(
            accepted=batch.accepted,
            duplicates=batch.duplicates,
            failed=unwritten,
            write_failures=int(batch.failed),
        )
        if batch.failed:  # what did land is a duplicate when the gateway retries
            raise Unavailable("the reports could not be written yet; retry")
        return Outcome(batch.accepted, batch.duplicates, refused)

    def _commit(self, batch: _Batch) -> None:
        """Write ``batch`` with every other batch waiting now (one part per day for all)."""
        with self._queue_lock:
            self._queue.append(batch)
        with self._commit_lock:
            if not batch.done:  # else another thread wrote it with its own
                if self.linger:
                    time.sleep(self.linger)  # let concurrent requests join this batch
                with self._queue_lock:
                    batches, self._queue = self._queue, []
                try:
                    self._write(batches)
                except BaseException as exc:
                    for b in batches:
                        b.error = exc
                    raise
                finally:
                    for b in batches:
                        b.done = True
        if batch.error is not None:
            raise RuntimeError("the batch this request was written with failed") from batch.error

    def _write(self, batches: list[_Batch]) -> None:
        work = sorted(
            ((b, r) for b in batches for r in b.reports),
            key=lambda pair: (pair[0].gateway.username, pair[1].sample_time),
        )
        by_day: dict[dt.date, list[tuple[_Batch, dict[str, Any], tuple[int, int], Sample]]]
        by_day = defaultdict(list)
        seen: set[tuple[int, int]] = set()
        latest: dict[str, Sample] = {}
        for b, report in work:
            assert report.sample_time is not None
            key = (b.gateway.line_id, time_us(report.sample_time))
            if key in seen or key in self._day_keys(report.sample_time.date()):
                b.duplicates += 1
                continue
            seen.add(key)
            name = b.gateway.username
            prev = latest.get(name) or self._last.get(name)
            sample = report.sample
            if prev is None or sample.time > prev.time:
                latest[name] = sample
            row = to_row(b.gateway.line_id, report, interval_deltas(prev, sample), self.spec)
            by_day[report.sample_time.date()].append((b, row, key, sample))
        name = f"bulkdata-{dt.datetime.now(CST):%Y%m%dT%H%M%S%f}-{uuid.uuid4().hex[:8]}"
        failed = False
        for day in sorted(by_day):
            entries = by_day[day]
            if not failed:
                rows = pa.Table.from_pylist(
                    [e[1] for e in entries], schema=self.spec.table.arrow_schema()
                )
                try:
                    write_part(self.data_dir, self.spec.table, rows, day_part(day, name))
                except OSError:
                    failed = True
            if failed:  # this day and the later ones wait for the gateways' retries
                for b, *_ in entries:
                    b.failed = True
                continue
            self.count(parts=1)
            keys = self._day_keys(day)
            for b, _, key, sample in entries:
                keys.add(key)
                b.accepted += 1
                last = self._last.get(b.gateway.username)
                if last is None or sample.time > last.time:
                    self._last[b.gateway.username] = sample

    def _day_keys(self, day: dt.date) -> set[tuple[int, int]]:
        """The (line_id, sample_time in µs) keys stored for ``day`` (read once, then kept)."""
        keys = self._days.get(day)
        if keys is not None:
            self._days.move_to_end(day)
            return keys
        keys = set()
        for path in day_files(self.data_dir, self.spec.table, [day]):
            stored = pq.read_table(path, columns=["line_id", "sample_time"])
            micros = pc.cast(stored["sample_time"], pa.int64())
            keys.update(zip(stored["line_id"].to_pylist(), micros.to_pylist(), strict=True))
        self._days[day] = keys
        while len(self._days) > self.index_days:
            self._days.popitem(last=False)
        return keys


def _other_gateway(gateway: Gateway, report: DecodedReport) -> bool:
    return (
        report.serial_number is not None
        and gateway.serial_number is not None
        and report.serial_number != gateway.serial_number
    )


def _date(
    decoded: list[DecodedReport | Refusal],
    sent_at: dt.datetime | None,
    received_at: dt.datetime,
    max_future: dt.timedelta,
) -> list[DecodedReport | Refusal]:
    """Reports without a collection time get the request's; impossible times are refused.

    One report without a time (``ReportTimestamp`` None, or a device without a clock) is
    dated by the request's ``Date`` header (``HTTP.UseDateHeader``), else by its receipt.
    Several cannot be told apart, so they are refused.
    """
    untimed = [r for r in decoded if isinstance(r, DecodedReport) and r.sample_time is None]
    out: list[DecodedReport | Refusal] = []
    for report in decoded:
        if isinstance(report, Refusal):
            out.append(report)
        elif report.sample_time is None and len(untimed) > 1:
            out.append(Refusal(report.index, "several reports without an absolute CollectionTime"))
        else:
            if report.sample_time is None:
                report.sample_time = (sent_at or received_at).replace(microsecond=0)
            if report.sample_time > received_at + max_future:
                out.append(Refusal(report.index, f"collected in the future ({report.sample_time})"))
            else:
                out.append(report)
    return out


def _decompress(body: bytes, encoding: str | None, limit: int) -> bytes:
    coding = (encoding or "identity").strip().lower()
    if coding == "identity":
        if len(body) > limit:
            raise TooLarge(f"the body is over {limit} bytes")
        return body
    wbits = {"gzip": 16 + zlib.MAX_WBITS, "x-gzip": 16 + zlib.MAX_WBITS, "deflate": zlib.MAX_WBITS}
    if coding not in wbits:
        raise Unsupported(f"Content-Encoding {encoding!r}: send identity, gzip or deflate")
    inflater = zlib.decompressobj(wbits[coding])
    try:
        out = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BulkDataError(f"the body is not valid {coding}: {exc}") from None
    if len(out) > limit or inflater.unconsumed_tail:
        raise TooLarge(f"the body is over {limit} bytes once decompressed")
    if not inflater.eof:
        raise BulkDataError(f"the {coding} body is truncated")
    return out
