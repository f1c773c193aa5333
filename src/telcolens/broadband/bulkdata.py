"""TR-181 Bulk Data reports (the JSON encodings of ``Device.BulkData``) as ``broadband_kpi`` rows.

A gateway's BulkData profile (``Device.BulkData.Profile.{i}``, EncodingType ``JSON``) posts a
body ``{"Report": [instance, ...]}``: one instance per collection, the current one and any
retained failed ones (``NumberOfRetainedFailedReports``), each with its ``CollectionTime``.
``JSONEncoding.ReportFormat`` says how an instance holds its parameters::

    ObjectHierarchy  {"CollectionTime": 1764000000,
                      "Device": {"Optical": {"Interface": {"1": {"OpticalSignalLevel": -21500}}}}}
    NameValuePair    {"CollectionTime": 1764000000,
                      "Device.Optical.Interface.1.OpticalSignalLevel": -21500}

``JSONEncoding.ReportTimestamp`` says how ``CollectionTime`` is written: ``Unix-Epoch`` (the
data model says milliseconds, TR-069 Annex A's examples use seconds: a number below 10^11
is read as seconds), ``ISO-8601`` (an offset or ``Z``; none means UTC, as TR-106 writes
dateTime), or ``None`` (absent: the collector dates the report).

What a parameter feeds comes from the table's columns, each naming its parameter in ``tr181``
(instance numbers as ``{i}``) and its ``unit``; a column added to the schema is read without
a change here. :class:`KpiSpec` decides, per column:

- the unit: the parameter's TR-181 encoding (:data:`NATIVE_UNITS`; ``OpticalSignalLevel`` is
  ``Dbm1000``, thousandths of a dBm; a Multi-AP client's ``SignalStrength`` is RCPI,
  dBm = value / 2 - 110) converted to the column's ``unit``; a parameter not listed is taken
  to be in the column's unit; codes that mean "no reading" (:data:`NO_READING`) are nulls;
- cumulative counters (:func:`is_counter`: ``Stats.PacketsSent``, counted since boot) become
  the change since the gateway's previous report (:func:`interval_deltas`);
- several instances of the parameter (one per associated client): counters and
  ``...NumberOfEntries`` are summed; a column named with ``min`` or ``max`` takes the
  smallest or largest; other float columns the mean; other integer columns (a channel, a
  sensor) the lowest-numbered instance, as a mean of channels means nothing;
- the range: every decoded value must lie in the column's minimum and maximum. One bad value
  refuses the whole report instance: nothing of it is stored.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import orjson
import pyarrow as pa

from telcolens.broadband.tr181 import (
    NO_READING,
    KpiField,
    KpiSpec,
    Unstorable,
    instance_numbers,
    parameter_template,
)
from telcolens.errors import BadInput
from telcolens.schema import Column

SERIAL_NUMBER = "Device.DeviceInfo.SerialNumber"
UPTIME = "Device.DeviceInfo.UpTime"
COLLECTION_TIME = "CollectionTime"
REPORT_FORMATS = ("ObjectHierarchy", "NameValuePair")
CST = dt.timezone(dt.timedelta(hours=8))  # broadband_kpi.sample_time is naive China Standard Time
EPOCH = dt.datetime(1970, 1, 1)
# Unix-Epoch CollectionTime: 10^11 s is the year 5138, 10^11 ms is 1973; before 2000 the
# number is the device's time since boot (the data model's fallback without a clock).
_MS_THRESHOLD = 10**11
_ABSOLUTE_FROM = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
_INT_TEXT = re.compile(r"[+-]?\d+")


class BulkDataError(BadInput):
    """A request body that is not a TR-181 Bulk Data JSON report at all (answered 400)."""


@dataclass(frozen=True)
class Refusal:
    """A report instance refused whole: its place in the ``Report`` array and why."""

    index: int
    reason: str

    def __str__(self) -> str:
        return f"report {self.index}: {self.reason}"


@dataclass(frozen=True)
class RawReport:
    """One report instance: its parameters by full path, and when it was collected.

    ``collection_time`` is naive China Standard Time; None when the device sent no absolute
    time (no ``CollectionTime``, or its time since boot).
    """

    index: int
    collection_time: dt.datetime | None
    values: dict[str, Any]


@dataclass(frozen=True)
class Sample:
    """A gateway's counters at one collection (per column, per instance path), for deltas."""

    time: dt.datetime
    uptime_s: int | None
    counters: dict[str, dict[str, int]]


@dataclass
class DecodedReport:
    """One report instance decoded: gauges as stored, counters still cumulative."""

    index: int
    sample_time: dt.datetime | None
    serial_number: str | None
    uptime_s: int | None
    gauges: dict[str, float | int] = field(default_factory=dict)
    counters: dict[str, dict[str, int]] = field(default_factory=dict)

    @property
    def sample(self) -> Sample:
        assert self.sample_time is not None
        return Sample(self.sample_time, self.uptime_s, self.counters)


def parse_body(
    body: bytes | str | Mapping[str, Any], *, report_format: str | None = None
) -> list[RawReport | Refusal]:
    """The report instances of a Bulk Data JSON body, each parsed or refused on its own.

    ``report_format`` is the request's ``BBF-Report-Format`` header; without it each
    instance's encoding is recognised by its shape. Raises :class:`BulkDataError` when the
    body as a whole is not ``{"Report": [...]}``.
    """
    if report_format is not None:
        matches = [f for f in REPORT_FORMATS if f.lower() == report_format.strip().lower()]
        if not matches:
            raise BulkDataError(
                f"BBF-Report-Format {report_format!r} is not one of {', '.join(REPORT_FORMATS)}"
            )
        report_format = matches[0]
    if isinstance(body, bytes | str):
        try:
            body = orjson.loads(body)
        except orjson.JSONDecodeError as exc:  # also invalid UTF-8
            raise BulkDataError(f"not JSON: {exc}") from None
    if not isinstance(body, Mapping):
        raise BulkDataError("the body must be a JSON object with a 'Report' array")
    reports = body.get("Report")
    if not isinstance(reports, list) or not reports:
        raise BulkDataError("the body must hold a non-empty 'Report' array")
    out: list[RawReport | Refusal] = []
    for index, instance in enumerate(reports):
        try:
            out.append(_instance(index, instance, report_format))
        except Unstorable as exc:
            out.append(Refusal(index, str(exc)))
    return out


def _instance(index: int, instance: object, report_format: str | None) -> RawReport:
    if not isinstance(instance, dict):
        raise Unstorable("a report must be a JSON object")
    params = {k: v for k, v in instance.items() if k != COLLECTION_TIME}
    shape = _shape(params)
    if report_format is not None and shape is not None and shape != report_format:
        raise Unstorable(f"encoded as {shape}, not as the {report_format} the header says")
    if shape == "ObjectHierarchy":
        values: dict[str, Any] = {}
        _flatten(params["Device"], "Device", values)
    else:
        values = params
        for path, value in values.items():
            if isinstance(value, dict | list):
                raise Unstorable(f"{path}: a NameValuePair value must be a JSON scalar")
    return RawReport(index, collection_time(instance.get(COLLECTION_TIME)), values)


def _shape(params: dict[str, Any]) -> str | None:
    """'ObjectHierarchy', 'NameValuePair', or None for an instance with no parameter."""
    if not params:
        return None
    if set(params) == {"Device"} and isinstance(params["Device"], dict):
        return "ObjectHierarchy"
    if all(k.startswith("Device.") for k in params):
        return "NameValuePair"
    odd = sorted(k for k in params if not k.startswith("Device."))[:3]
    raise Unstorable(f"neither ObjectHierarchy nor NameValuePair (keys {odd})")


def _flatten(node: dict[str, Any], prefix: str, out: dict[str, Any]) -> None:
    for key, value in node.items():
        if not key or "." in key:
            raise Unstorable(f"{prefix}: {key!r} is not an ObjectHierarchy name")
        path = f"{prefix}.{key}"
        if isinstance(value, dict):
            _flatten(value, path, out)
        elif isinstance(value, list):
            raise Unstorable(f"{path}: an array where ObjectHierarchy has objects")
        else:
            out[path] = value


def collection_time(value: object) -> dt.datetime | None:
    """A ``CollectionTime`` as naive China Standard Time; None where it is not absolute."""
    if value is None:
        return None
    if isinstance(value, str) and value.strip().isdigit():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unstorable(f"CollectionTime {value!r} is neither a number nor an ISO-8601 time")
    if isinstance(value, str):
        try:
            when = dt.datetime.fromisoformat(value.strip())
        except ValueError:
            raise Unstorable(f"CollectionTime {value!r} is not an ISO-8601 time") from None
        if when.tzinfo is None:
            when = when.replace(tzinfo=dt.UTC)
    else:
        if not math.isfinite(value) or value < 0:
            raise Unstorable(f"CollectionTime {value!r} is not a time")
        seconds = value / 1000 if value >= _MS_THRESHOLD else value
        try:
            when = dt.datetime.fromtimestamp(seconds, dt.UTC)
        except (OverflowError, OSError, ValueError):
            raise Unstorable(f"CollectionTime {value!r} is out of range") from None
    if when < _ABSOLUTE_FROM:
        return None
    return when.astimezone(CST).replace(tzinfo=None)


def decode_report(raw: RawReport | Refusal, spec: KpiSpec) -> DecodedReport | Refusal:
    """``raw``'s parameters as column values, or the :class:`Refusal` that says why not."""
    if isinstance(raw, Refusal):
        return raw
    try:
        return _decode(raw, spec)
    except Unstorable as exc:
        return Refusal(raw.index, str(exc))


def _decode(raw: RawReport, spec: KpiSpec) -> DecodedReport:
    found: dict[str, list[tuple[str, int | float]]] = {}
    serial: str | None = None
    uptime: int | None = None
    for path, value in raw.values.items():
        if path == SERIAL_NUMBER:
            if isinstance(value, bool) or not isinstance(value, str | int):
                raise Unstorable(f"{path}: {value!r} is not a serial number")
            serial = str(value)
            continue
        if value is None:
            continue  # a parameter the device left empty
        if path == UPTIME:
            uptime = _as_int(path, value, minimum=0)
        template = parameter_template(path)
        kpis = spec.fields.get(template)
        if not kpis:
            continue  # a parameter no column reads
        kpi = kpis[0]
        number = (
            _as_text(path, value, kpi.column)
            if kpi.kind == "text"
            else _as_int(path, value, minimum=0 if kpi.kind != "gauge" else None)
            if kpi.integral
            else _as_float(path, value)
        )
        if number not in NO_READING.get(template, ()):
            found.setdefault(template, []).append((path, number))
    if not any(spec.fields.get(parameter_template(p)) for p in raw.values):
        raise Unstorable(f"none of the {spec.table.name} parameters")
    decoded = DecodedReport(raw.index, raw.collection_time, serial, uptime)
    for template, instances in found.items():
        instances.sort(key=lambda pair: instance_numbers(pair[0]))
        for kpi in spec.fields[template]:
            if kpi.kind == "counter":
                decoded.counters[kpi.column.name] = {p: int(v) for p, v in instances}
            elif kpi.kind == "text":
                decoded.gauges[kpi.column.name] = instances[0][1]
            else:
                decoded.gauges[kpi.column.name] = kpi.value(_combine(kpi, instances))
    return decoded


def _combine(kpi: KpiField, instances: list[tuple[str, int | float]]) -> float:
    numbers = [v * kpi.scale + kpi.offset for _, v in instances]
    # Each instance is checked on its own (a mean must not hide one client's reserved code),
    # but for "first" the other instances are not this column's (the 5 GHz radio's channel).
    for number in numbers[:1] if kpi.combine == "first" else numbers:
        kpi.value(number)
    match kpi.combine:
        case "sum":
            return math.fsum(numbers)
        case "min":
            return min(numbers)
        case "max":
            return max(numbers)
        case "first":
            return numbers[0]
        case _:
            return math.fsum(numbers) / len(numbers)


def _as_int(path: str, value: object, *, minimum: int | None = None) -> int:
    """A TR-181 int / unsignedInt value (a JSON number, or a number written as a string)."""
    if isinstance(value, bool):
        raise Unstorable(f"{path}: {value!r} is not an integer")
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and _INT_TEXT.fullmatch(value.strip()):
        number = int(value.strip())  # not through float: a 64-bit counter keeps every digit
    else:
        as_float = _as_float(path, value)
        if as_float != int(as_float):
            raise Unstorable(f"{path}: {value!r} is not an integer")
        number = int(as_float)
    if minimum is not None and number < minimum:
        raise Unstorable(f"{path}: {value!r} is negative")
    return number


def _as_text(path: str, value: object, col: Column) -> str | bool:
    """A TR-181 string or boolean value as its column stores it."""
    if pa.types.is_boolean(col.dtype):
        flag = {"true": True, "1": True, "false": False, "0": False}.get(str(value).lower())
        if flag is None or isinstance(value, float):
            raise Unstorable(f"{path}: {value!r} is not a boolean")
        return flag
    if isinstance(value, bool) or not isinstance(value, str | int | float):
        raise Unstorable(f"{path}: {value!r} is not a string")
    if col.allowed is not None and str(value) not in col.allowed:
        raise Unstorable(f"{path}: {value!r} is not one of {col.name}'s {list(col.allowed)}")
    return str(value)


def _as_float(path: str, value: object) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float | str):
        raise Unstorable(f"{path}: {value!r} is not a number")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except ValueError:
        raise Unstorable(f"{path}: {value!r} is not a number") from None
    if not math.isfinite(number):
        raise Unstorable(f"{path}: {value!r} is not a finite number")
    return number


def interval_deltas(prev: Sample | None, cur: Sample) -> dict[str, int | None]:
    """Per counter column, how much it grew since ``prev``, the gateway's previous report.

    - No previous report, one collected later than ``cur`` (a retained report arriving after
      a newer one), or one without this counter: None, the interval is unknown.
    - The gateway rebooted in between (``UpTime`` went down): counters restart from zero at
      boot, so each counts what it counted since boot.
    - Per instance (one per Wi-Fi client): an instance whose counter went down was reset
      (an interface reset, a client that re-associated, a 32-bit wrap) and one that is new
      appeared in the interval: each counts its value, what it counted since then. These are
      lower bounds: what came before the reset, and an instance that left, are lost.
    """
    if prev is None or cur.time <= prev.time:
        return dict.fromkeys(cur.counters)
    rebooted = (
        cur.uptime_s is not None and prev.uptime_s is not None and cur.uptime_s < prev.uptime_s
    )
    out: dict[str, int | None] = {}
    for name, instances in cur.counters.items():
        before = prev.counters.get(name)
        if before is None:
            out[name] = None
            continue
        total = 0
        for path, value in instances.items():
            was = before.get(path)
            total += value if rebooted or was is None or value < was else value - was
        out[name] = total
    return out


def to_row(
    line_id: int, report: DecodedReport, deltas: dict[str, int | None], spec: KpiSpec
) -> dict[str, Any]:
    """The ``broadband_kpi`` row of one decoded report (columns it lacks are null)."""
    row: dict[str, Any] = dict.fromkeys(spec.table.names)
    row["line_id"] = line_id
    row["sample_time"] = report.sample_time
    row.update(report.gauges)
    for name, delta in deltas.items():
        if delta is None:
            continue
        kpi = spec.by_column[name]
        try:
            row[name] = kpi.value(delta * kpi.scale)
        except Unstorable:
            continue  # a change no interval can hold: unknown rather than wrong
    return row


def time_us(when: dt.datetime) -> int:
    """A naive timestamp as microseconds since the epoch (the stored ``timestamp[us]``)."""
    return (when - EPOCH) // dt.timedelta(microseconds=1)
