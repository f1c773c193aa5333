"""TR-181 parameters as ``broadband_kpi`` columns: units, counters, instances, ranges.

Each column of the table names its TR-181 parameter (``Column.tr181``, instance numbers as
``{i}``) and its ``unit``; :class:`KpiSpec` reads them into one :class:`KpiField` per
column: whether the parameter is a gauge, a cumulative counter (:func:`is_counter`), a
``...NumberOfEntries`` or a text; how several instances of it combine; and the scale and
offset from its TR-181 encoding (:data:`NATIVE_UNITS`, :func:`unit_conversion`) to the
column's unit. :mod:`telcolens.broadband.bulkdata` decodes reports with it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

import pyarrow as pa

from telcolens.schema import BROADBAND_KPI, Column, Table

_STA = "Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.AssociatedDevice.{i}."

# TR-181 statistics counters (StatsCounter32/64 of a ``...Stats`` object), cumulative since
# the device booted or the interface (or a Wi-Fi client's association) was reset: those of
# the interface stack (BaseInterfaceStats, Layer2InterfaceStats), Ethernet, Wi-Fi, steering.
COUNTER_NAMES = frozenset(
    str.split(
        """BytesSent BytesReceived PacketsSent PacketsReceived ErrorsSent ErrorsReceived
    UnicastPacketsSent UnicastPacketsReceived DiscardPacketsSent DiscardPacketsReceived
    MulticastPacketsSent MulticastPacketsReceived BroadcastPacketsSent BroadcastPacketsReceived
    UnknownProtoPacketsReceived Collisions PausePacketsSent PausePacketsReceived RetransCount
    FailedRetransCount RetryCount MultipleRetryCount ACKFailureCount AggregatedPacketCount
    FCSErrorCount PLCPErrorCount BTMAttempts BTMFailures BTMQueryResponses BTMSuccesses
    BlacklistAttempts BlacklistFailures BlacklistSuccesses NoCandidateAPFailures"""
    )
)
# Cumulative counters outside a Stats object.
EXTRA_COUNTERS = frozenset(
    {
        "Device.WiFi.MultiAP.APDevice.{i}.BackhaulBytesReceived",
        "Device.WiFi.MultiAP.APDevice.{i}.BackhaulBytesSent",
        "Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.BTMAttempts",
        "Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.BTMQueryResponses",
        "Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.BlacklistAttempts",
        "Device.IP.Diagnostics.UDPEchoConfig.PacketsReceived",
        "Device.IP.Diagnostics.UDPEchoConfig.PacketsResponded",
        "Device.IP.Diagnostics.UDPEchoConfig.BytesReceived",
        "Device.IP.Diagnostics.UDPEchoConfig.BytesResponded",
    }
)

# The unit a parameter's value is encoded in, where it is not its column's unit by name
# (TR-181's ``units``, or its data type). Each is a TR-181 int or unsignedInt, so a value with
# a fraction (-21.5 for OpticalSignalLevel: dBm sent where thousandths are due) is refused
# rather than read as -0.0215 dBm. tests/broadband/test_tr181_paths.py checks these, and the
# columns not listed, against the TR-181 XML.
NATIVE_UNITS: dict[str, str] = {
    "Device.Optical.Interface.{i}.OpticalSignalLevel": "0.001 dBm",  # Dbm1000
    "Device.Optical.Interface.{i}.TransmitOpticalLevel": "0.001 dBm",  # Dbm1000
    _STA + "SignalStrength": "RCPI",  # IEEE 802.11-2020 Table 9-176
    _STA + "Noise": "ANPI",  # IEEE 802.11-2020 11.10.9.4
    _STA + "LastDataDownlinkRate": "kbps",
    _STA + "LastDataUplinkRate": "kbps",
    "Device.DeviceInfo.ProcessStatus.CPUUsage": "percent",
    "Device.DeviceInfo.MemoryStatus.Total": "KiB",
    "Device.DeviceInfo.MemoryStatus.Free": "KiB",
    "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.Value": "degrees celsius",
    "Device.DeviceInfo.UpTime": "seconds",
    "Device.Ethernet.Interface.{i}.CurrentBitRate": "Mbps",
}
# Values that TR-181 defines as "no reading": the instance is left out, not refused.
NO_READING: dict[str, frozenset[int]] = {
    "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.Value": frozenset({-274}),
    _STA + "SignalStrength": frozenset({255}),  # RCPI 255: measurement not available
    _STA + "Noise": frozenset({255}),  # ANPI 255: measurement not available
}

# Unit names (TR-181's and the schema's) -> (quantity, scale, offset): a value v in the unit
# is v * scale + offset in the quantity's base unit ("_" stands for a space in a name).
_UNITS: dict[str, tuple[str, float, float]] = {
    name: (quantity, scale, offset)
    for quantity, scale, offset, names in (
        ("power level", 1.0, 0.0, "dBm"),
        ("power level", 0.001, 0.0, "0.001_dBm"),
        ("power level", 0.5, -110.0, "RCPI ANPI"),
        ("ratio level", 1.0, 0.0, "dB"),
        ("time", 1e-6, 0.0, "microseconds us"),
        ("time", 1e-3, 0.0, "milliseconds ms"),
        ("time", 1.0, 0.0, "seconds s"),
        ("time", 60.0, 0.0, "minutes min"),
        ("data", 1.0, 0.0, "bytes octets"),
        ("data", 1024.0, 0.0, "KiB"),
        ("data", 1024.0**2, 0.0, "MiB"),
        ("rate", 1e3, 0.0, "kbps kbit/s"),
        ("rate", 1e6, 0.0, "Mbps Mbit/s"),
        ("rate", 1e9, 0.0, "Gbps Gbit/s"),
        ("share", 1.0, 0.0, "percent percentage %"),
        ("temperature", 1.0, 0.0, "degrees_celsius degrees_Celsius °C"),
        ("count", 1.0, 0.0, "packets"),
        ("current", 1e-3, 0.0, "mA"),
        ("voltage", 1e-3, 0.0, "mV"),
        ("power", 1e-3, 0.0, "mW"),
    )
    for name in (n.replace("_", " ") for n in names.split())
}

_INSTANCE = re.compile(r"(?<=\.)\d+(?=\.)")
Kind = Literal["gauge", "counter", "entries", "text"]
Combine = Literal["sum", "mean", "min", "max", "first"]


class Unstorable(Exception):
    """One report instance that cannot be stored; the message says why."""


@dataclass(frozen=True)
class KpiField:
    """How one column is read from its parameter: kind, how instances combine, the unit."""

    column: Column
    template: str
    kind: Kind
    combine: Combine
    scale: float
    offset: float

    @property
    def integral(self) -> bool:
        """Whether the parameter's values must be integers (a fraction is refused)."""
        return (
            self.kind != "gauge"
            or self.template in NATIVE_UNITS
            or pa.types.is_integer(self.column.dtype)
        )

    def value(self, number: float) -> float | int:
        """``number`` (in the column's unit) as the column's type, or :class:`Unstorable`."""
        col = self.column
        out: float | int = round(number) if pa.types.is_integer(col.dtype) else float(number)
        if (col.minimum is not None and out < col.minimum) or (
            col.maximum is not None and out > col.maximum
        ):
            raise Unstorable(
                f"{self.template}: {out}{' ' + col.unit if col.unit else ''} is outside "
                f"{col.name}'s range "
                f"[{col.minimum}, {col.maximum}]"
            )
        return out


@lru_cache(maxsize=8192)
def parameter_template(path: str) -> str:
    """``path`` with its instance numbers as ``{i}``, the way the schema names parameters."""
    return _INSTANCE.sub("{i}", path)


def instance_numbers(path: str) -> tuple[int, ...]:
    return tuple(int(n) for n in _INSTANCE.findall(path))


def is_counter(template: str) -> bool:
    """Whether the TR-181 parameter is a cumulative counter (reset only at boot or reset)."""
    if template in EXTRA_COUNTERS:
        return True
    obj, _, name = template.rpartition(".")
    return obj.rpartition(".")[2].endswith("Stats") and name in COUNTER_NAMES


def unit_conversion(native: str | None, target: str | None) -> tuple[float, float]:
    """``(scale, offset)`` taking a value in unit ``native`` to unit ``target``.

    A column without a unit (a count) takes the value as it is. Raises ValueError for
    units of different quantities or unknown names (a schema mistake, found at start).
    """
    if target is None or native is None or native == target:
        return 1.0, 0.0
    try:
        (kind_from, s1, o1), (kind_to, s2, o2) = _UNITS[native], _UNITS[target]
    except KeyError as exc:
        raise ValueError(f"unknown unit {exc.args[0]!r}") from None
    if kind_from != kind_to:
        raise ValueError(f"cannot convert {native!r} to {target!r}")
    return s1 / s2, (o1 - o2) / s2


class KpiSpec:
    """The columns of ``table`` that Bulk Data reports fill, by TR-181 parameter template."""

    def __init__(self, table: Table = BROADBAND_KPI) -> None:
        self.table = table
        self.fields: dict[str, list[KpiField]] = {}
        for col in table.columns:
            if col.tr181 is None:
                if col.name not in ("line_id", "sample_time") and not col.nullable:
                    raise ValueError(f"{table.name}.{col.name} is required but no report fills it")
                continue
            kpi = _field(col)
            self.fields.setdefault(kpi.template, []).append(kpi)
        self.by_column = {k.column.name: k for ks in self.fields.values() for k in ks}


def _field(col: Column) -> KpiField:
    template = col.tr181
    assert template is not None
    kind: Kind = (
        "text"  # a string or boolean parameter (a firmware version, a status), taken as sent
        if pa.types.is_string(col.dtype) or pa.types.is_boolean(col.dtype)
        else "counter"
        if is_counter(template)
        else "entries"
        if template.endswith("NumberOfEntries")
        else "gauge"
    )
    words = col.name.split("_")
    combine: Combine = (
        "first"
        if kind == "text"
        else "sum"
        if kind != "gauge"
        else "min"
        if "min" in words
        else "max"
        if "max" in words
        else "first"
        if pa.types.is_integer(col.dtype)
        else "mean"
    )
    scale, offset = unit_conversion(NATIVE_UNITS.get(template, col.unit), col.unit)
    if kind == "counter" and offset:
        raise ValueError(f"{col.name}: a counter's unit cannot have an offset")
    return KpiField(col, template, kind, combine, scale, offset)
