"""TR-181 Bulk Data JSON reports decoded into broadband_kpi values."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa
import pytest

from telcolens.broadband.bulkdata import (
    BulkDataError,
    DecodedReport,
    Refusal,
    Sample,
    collection_time,
    decode_report,
    interval_deltas,
    parse_body,
    to_row,
)
from telcolens.broadband.tr181 import KpiSpec, is_counter, unit_conversion
from telcolens.schema import BROADBAND_KPI, TIMESTAMP, Column, Table

STA = "Device.WiFi.MultiAP.APDevice.1.Radio.1.AP.1.AssociatedDevice"
EPOCH_S = 1_764_000_000  # 2025-11-24 16:00:00 UTC = 2025-11-25 00:00:00 CST
CST_MIDNIGHT = dt.datetime(2025, 11, 25, 0, 0, 0)
SPEC = KpiSpec()

NVP = {
    "CollectionTime": EPOCH_S,
    "Device.DeviceInfo.SerialNumber": "ZTEG00000001",
    "Device.DeviceInfo.UpTime": 86_400,
    "Device.Optical.Interface.1.OpticalSignalLevel": -21_500,
    "Device.Optical.Interface.1.TransmitOpticalLevel": 2_250,
    f"{STA}.1.SignalStrength": 100,  # RCPI: 100 / 2 - 110 = -60 dBm
    f"{STA}.2.SignalStrength": 80,  # -70 dBm
    f"{STA}.1.LastDataDownlinkRate": 866_700,  # kbps
    f"{STA}.2.LastDataDownlinkRate": 144_400,
    f"{STA}.1.Stats.PacketsSent": 1_000,
    f"{STA}.2.Stats.PacketsSent": 500,
    "Device.WiFi.MultiAP.APDevice.1.Radio.1.AP.1.AssociatedDeviceNumberOfEntries": 2,
    "Device.WiFi.MultiAP.APDevice.1.Radio.2.AP.1.AssociatedDeviceNumberOfEntries": 1,
    "Device.WiFi.MultiAP.APDevice.1.Radio.1.Channel": 6,
    "Device.WiFi.MultiAP.APDevice.1.Radio.2.Channel": 36,
    "Device.DeviceInfo.ProcessStatus.CPUUsage": 37,
    "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.1.Value": 58,
    "Device.DeviceInfo.Manufacturer": "ZTE",  # no column reads it: ignored
}


def hierarchy(flat: dict) -> dict:
    """The ObjectHierarchy encoding of a NameValuePair instance."""
    out: dict = {}
    for path, value in flat.items():
        if path == "CollectionTime":
            out[path] = value
            continue
        node = out
        *parents, leaf = path.split(".")
        for name in parents:
            node = node.setdefault(name, {})
        node[leaf] = value
    return out


def decoded(instance: dict, **parse) -> DecodedReport:
    (raw,) = parse_body({"Report": [instance]}, **parse)
    report = decode_report(raw, SPEC)
    assert isinstance(report, DecodedReport), report
    return report


def refusal(instance: dict, **parse) -> str:
    (raw,) = parse_body({"Report": [instance]}, **parse)
    report = decode_report(raw, SPEC)
    assert isinstance(report, Refusal), report
    return report.reason


def test_both_encodings_give_the_same_values():
    nvp, oh = decoded(NVP), decoded(hierarchy(NVP))
    assert nvp == oh
    assert nvp.sample_time == CST_MIDNIGHT
    assert nvp.serial_number == "ZTEG00000001" and nvp.uptime_s == 86_400
    assert nvp.gauges == {
        "optical_rx_dbm": -21.5,  # Dbm1000: thousandths of a dBm
        "optical_tx_dbm": 2.25,
        "wifi_signal_dbm": -65.0,  # mean of the clients
        "wifi_signal_min_dbm": -70.0,  # the weakest
        "wifi_rate_mbps": pytest.approx(505.55),  # kbps -> Mbit/s, mean
        "wifi_clients": 3,  # NumberOfEntries: summed over access points
        "wifi_channel": 6,  # an integer gauge: the lowest-numbered instance
        "cpu_usage_pct": 37.0,
        "temperature_c": 58,
        "uptime_s": 86_400,
    }
    assert nvp.counters == {
        "wifi_packets_sent": {f"{STA}.1.Stats.PacketsSent": 1000, f"{STA}.2.Stats.PacketsSent": 500}
    }


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (EPOCH_S, CST_MIDNIGHT),  # Unix-Epoch in seconds (TR-069 Annex A's examples)
        (EPOCH_S * 1000 + 250, CST_MIDNIGHT + dt.timedelta(milliseconds=250)),  # milliseconds
        (str(EPOCH_S), CST_MIDNIGHT),
        ("2025-11-24T16:00:00Z", CST_MIDNIGHT),  # ISO-8601
        ("2025-11-25T00:00:00+08:00", CST_MIDNIGHT),
        ("2025-11-24T11:00:00-05:00", CST_MIDNIGHT),
        ("2025-11-24T16:00:00", CST_MIDNIGHT),  # no offset: UTC, as TR-106 writes dateTime
        (None, None),  # ReportTimestamp None
        (3_600, None),  # a device without a clock sends its time since boot
    ],
)
def test_report_timestamp_variants(value, expected):
    assert collection_time(value) == expected


@pytest.mark.parametrize("value", ["yesterday", True, [EPOCH_S], -5, "2025-13-01T00:00:00Z"])
def test_a_bad_collection_time_refuses_the_report(value):
    assert "CollectionTime" in refusal({**NVP, "CollectionTime": value})


def test_a_report_array_with_several_collection_times():
    reports = [{**NVP, "CollectionTime": EPOCH_S + 900 * k} for k in range(3)]
    reports[1] = hierarchy(reports[1])  # each instance is recognised by its own shape
    parsed = parse_body({"Report": reports})
    assert [r.collection_time for r in parsed] == [
        CST_MIDNIGHT + dt.timedelta(minutes=15 * k) for k in range(3)
    ]
    assert [r.index for r in parsed] == [0, 1, 2]


def test_one_bad_instance_is_refused_alone():
    reports = [NVP, {**NVP, "Device.Optical.Interface.1.OpticalSignalLevel": "n/a"}, NVP]
    out = [decode_report(r, SPEC) for r in parse_body({"Report": reports})]
    assert [type(r).__name__ for r in out] == ["DecodedReport", "Refusal", "DecodedReport"]
    assert out[1].index == 1 and "OpticalSignalLevel" in out[1].reason


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"Device.Optical.Interface.1.OpticalSignalLevel": 20_000}, "outside optical_rx_dbm"),
        # dBm sent where thousandths are due: a fraction, not -0.0215 dBm
        ({"Device.Optical.Interface.1.OpticalSignalLevel": -21.5}, "not an integer"),
        ({"Device.DeviceInfo.ProcessStatus.CPUUsage": 130}, "outside cpu_usage_pct"),
        ({f"{STA}.1.SignalStrength": 230}, "outside wifi_signal_dbm"),  # RCPI 221-254 reserved
        ({f"{STA}.1.Stats.PacketsSent": -3}, "negative"),
        ({"Device.DeviceInfo.UpTime": True}, "not an integer"),
        ({"Device.DeviceInfo.SerialNumber": {"a": 1}}, "NameValuePair value"),
        ({"Device.DeviceInfo.ProcessStatus.CPUUsage": "NaN"}, "not a finite number"),
    ],
)
def test_garbage_refuses_the_whole_report(change, why):
    assert why in refusal({**NVP, **change})


def test_numbers_sent_as_strings_are_read():
    report = decoded({**NVP, "Device.Optical.Interface.1.OpticalSignalLevel": "-19000"})
    assert report.gauges["optical_rx_dbm"] == -19.0
    big = str(2**64 - 1)  # a StatsCounter64 keeps every digit
    report = decoded({**NVP, f"{STA}.1.Stats.PacketsSent": big})
    assert report.counters["wifi_packets_sent"][f"{STA}.1.Stats.PacketsSent"] == 2**64 - 1


def test_no_reading_codes_are_nulls_not_values():
    report = decoded(
        {
            **NVP,
            f"{STA}.1.SignalStrength": 255,  # RCPI 255: not available
            "Device.DeviceInfo.TemperatureStatus.TemperatureSensor.1.Value": -274,
        }
    )
    assert report.gauges["wifi_signal_dbm"] == -70.0  # the other client only
    assert "temperature_c" not in report.gauges


def test_a_report_without_any_kpi_is_refused():
    why = refusal({"CollectionTime": EPOCH_S, "Device.DeviceInfo.Manufacturer": "ZTE"})
    assert "none of the broadband_kpi parameters" in why


def test_the_report_format_header_is_enforced():
    (raw,) = parse_body({"Report": [NVP]}, report_format="NameValuePair")
    assert isinstance(raw, Refusal) is False
    (wrong,) = parse_body({"Report": [NVP]}, report_format="objecthierarchy")
    assert isinstance(wrong, Refusal) and "not as the ObjectHierarchy" in wrong.reason
    with pytest.raises(BulkDataError, match="BBF-Report-Format"):
        parse_body({"Report": [NVP]}, report_format="ParameterPerRow")


@pytest.mark.parametrize(
    "body", [b"not json", b"\xff\xfe", b"[]", b"{}", b'{"Report": []}', b'{"Report": {"a": 1}}']
)
def test_a_body_that_is_not_a_report_is_an_error(body):
    with pytest.raises(BulkDataError):
        parse_body(body)


@pytest.mark.parametrize(
    "instance",
    [
        {"CollectionTime": EPOCH_S, "Device": {"Optical": [1, 2]}},  # arrays are not OH
        {"CollectionTime": EPOCH_S, "Device": {"Optical.Interface": {"1": {}}}},
        {"CollectionTime": EPOCH_S, "Optical": {"Interface": {}}},  # neither encoding
        "a string",
    ],
)
def test_malformed_instances_are_refused(instance):
    (raw,) = parse_body({"Report": [instance]})
    assert isinstance(raw, Refusal)


def sample(minute: int, uptime: int | None, **counters: dict[str, int]) -> Sample:
    return Sample(CST_MIDNIGHT + dt.timedelta(minutes=minute), uptime, counters)


def test_counter_deltas_per_interval():
    prev = sample(0, 1000, wifi_packets_sent={"a": 100, "b": 50})
    assert interval_deltas(prev, sample(15, 1900, wifi_packets_sent={"a": 160, "b": 70})) == {
        "wifi_packets_sent": 80
    }
    # No previous report, or one newer than this (a retained report arriving late): unknown.
    assert interval_deltas(None, prev) == {"wifi_packets_sent": None}
    assert interval_deltas(sample(30, 2800, wifi_packets_sent={"a": 1}), prev) == {
        "wifi_packets_sent": None
    }
    # A counter the previous report did not carry: unknown, not its value since boot.
    assert interval_deltas(sample(0, 1000), sample(15, 1900, wifi_packets_sent={"a": 5})) == {
        "wifi_packets_sent": None
    }


def test_a_reboot_restarts_counters_from_zero():
    prev = sample(0, 90_000, wifi_packets_sent={"a": 5_000})
    # Uptime went down: the gateway booted; what it counted since boot, even above before.
    after = sample(15, 300, wifi_packets_sent={"a": 7_000})
    assert interval_deltas(prev, after) == {"wifi_packets_sent": 7_000}
    # Without UpTime a reboot cannot be seen; a counter that went down was reset.
    assert interval_deltas(
        sample(0, None, wifi_packets_sent={"a": 5_000}),
        sample(15, None, wifi_packets_sent={"a": 40}),
    ) == {"wifi_packets_sent": 40}


def test_clients_that_come_go_and_reassociate():
    prev = sample(0, 1000, wifi_packets_sent={"a": 100, "b": 50, "c": 10})
    # a grew by 20; b re-associated (counter went down): 5 since; c left; d is new: 7.
    cur = sample(15, 1900, wifi_packets_sent={"a": 120, "b": 5, "d": 7})
    assert interval_deltas(prev, cur) == {"wifi_packets_sent": 32}


def test_a_row_holds_every_column_and_the_deltas():
    report = decoded(NVP)
    row = to_row(42, report, {"wifi_packets_sent": 1_234}, SPEC)
    assert list(row) == BROADBAND_KPI.names
    assert row["line_id"] == 42 and row["sample_time"] == CST_MIDNIGHT
    assert row["wifi_packets_sent"] == 1_234 and row["wifi_retransmissions"] is None
    assert row["optical_rx_dbm"] == -21.5
    pa.Table.from_pylist([row], schema=BROADBAND_KPI.arrow_schema())  # stores as it is


def test_a_new_column_is_read_without_a_change_to_the_decoder():
    """The decoder follows the schema: a column added with a tr181 path is filled."""
    table = Table(
        name="broadband_kpi",
        domain="broadband",
        description="test",
        key=("line_id", "sample_time"),
        time="sample_time",
        columns=(
            Column("line_id", pa.int64(), "Line."),
            Column("sample_time", TIMESTAMP, "Time."),
            Column(
                "memory_free_mib",
                pa.float64(),
                "Free memory.",
                nullable=True,
                minimum=0,
                unit="MiB",
                tr181="Device.DeviceInfo.MemoryStatus.Free",  # TR-181 KiB
            ),
            Column(
                "eth_errors",
                pa.int64(),
                "Errors.",
                nullable=True,
                minimum=0,
                tr181="Device.Ethernet.Interface.{i}.Stats.ErrorsReceived",
            ),
            Column(
                "firmware",
                pa.string(),
                "Firmware.",
                nullable=True,
                tr181="Device.DeviceInfo.SoftwareVersion",
            ),
            Column(
                "optics_on",
                pa.bool_(),
                "Enabled.",
                nullable=True,
                tr181="Device.Optical.Interface.{i}.Enable",
            ),
        ),
    )
    spec = KpiSpec(table)
    assert spec.by_column["eth_errors"].kind == "counter"
    (raw,) = parse_body(
        {
            "Report": [
                {
                    "CollectionTime": EPOCH_S,
                    "Device.DeviceInfo.MemoryStatus.Free": 51_200,
                    "Device.Ethernet.Interface.1.Stats.ErrorsReceived": 9,
                    "Device.DeviceInfo.SoftwareVersion": "V9.0.10P1N7",
                    "Device.Optical.Interface.1.Enable": "true",
                    "Device.Optical.Interface.1.OpticalSignalLevel": 1,  # not in this table
                }
            ]
        }
    )
    report = decode_report(raw, spec)
    assert report.gauges == {"memory_free_mib": 50.0, "firmware": "V9.0.10P1N7", "optics_on": True}
    assert report.counters == {
        "eth_errors": {"Device.Ethernet.Interface.1.Stats.ErrorsReceived": 9}
    }


def test_counters_and_units():
    assert is_counter("Device.IP.Interface.{i}.Stats.BytesReceived")
    assert is_counter(STA.replace("1", "{i}") + ".{i}.Stats.RetransCount")
    assert not is_counter("Device.WiFi.Radio.{i}.Stats.Noise")  # a gauge in a Stats object
    assert not is_counter("Device.IP.Diagnostics.IPPing.SuccessCount")
    assert unit_conversion("kbps", "Mbit/s") == (0.001, 0.0)
    assert unit_conversion("RCPI", "dBm") == (0.5, -110.0)
    assert unit_conversion("milliseconds", "ms") == (1.0, 0.0)
    with pytest.raises(ValueError, match="cannot convert"):
        unit_conversion("seconds", "dBm")
