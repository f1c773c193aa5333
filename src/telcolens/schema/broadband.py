"""Home broadband: lines on OLT/PON ports, and KPI samples read from the home gateway.

KPI columns carry the TR-181 (Device:2) parameter they come from, so an operator's
ACS / TR-069 export maps onto them one to one.
"""

import pyarrow as pa

from telcolens.schema._table import DATE, TIMESTAMP, Column, Table, subscriber_column

BROADBAND_LINES = Table(
    name="broadband_lines",
    domain="broadband",
    description="One row per home fibre line, with the OLT and PON port it hangs off.",
    key=("line_id",),
    columns=(
        Column("line_id", pa.int64(), "Line (access account) identifier."),
        subscriber_column("Pseudonym of the holder's mobile number, if any.", nullable=True),
        Column("olt_id", pa.string(), "Optical line terminal."),
        Column("pon_port", pa.string(), "PON port on the OLT, as frame/slot/port."),
        Column("city", pa.string(), "Prefecture-level city."),
        Column("county", pa.string(), "County-level division code."),
        Column("access_type", pa.string(), "PON technology.", allowed=("GPON", "XGS-PON")),
        Column("plan_mbps", pa.int32(), "Subscribed downstream rate.", minimum=1, unit="Mbit/s"),
        Column("install_date", DATE, "Day the line was installed."),
        Column("cpe_model", pa.string(), "Home gateway (ONT/CPE) model."),
    ),
)

BROADBAND_KPI = Table(
    name="broadband_kpi",
    domain="broadband",
    description="Periodic KPI samples per line from the home gateway (TR-181 parameters).",
    key=("line_id", "sample_time"),
    time="sample_time",
    columns=(
        Column("line_id", pa.int64(), "Line identifier."),
        Column("sample_time", TIMESTAMP, "End of the sampling interval (China Standard Time)."),
        Column(
            "optical_rx_dbm",
            pa.float64(),
            "Received optical power at the ONT.",
            nullable=True,
            minimum=-50,
            maximum=10,
            unit="dBm",
            tr181="Device.Optical.Interface.{i}.OpticalSignalLevel",
        ),
        Column(
            "optical_tx_dbm",
            pa.float64(),
            "Transmitted optical power of the ONT.",
            nullable=True,
            minimum=-50,
            maximum=10,
            unit="dBm",
            tr181="Device.Optical.Interface.{i}.TransmitOpticalLevel",
        ),
        Column(
            "bytes_received",
            pa.int64(),
            "Bytes received on the WAN in the interval.",
            nullable=True,
            minimum=0,
            unit="bytes",
            tr181="Device.IP.Interface.{i}.Stats.BytesReceived",
        ),
        Column(
            "bytes_sent",
            pa.int64(),
            "Bytes sent on the WAN in the interval.",
            nullable=True,
            minimum=0,
            unit="bytes",
            tr181="Device.IP.Interface.{i}.Stats.BytesSent",
        ),
        Column(
            "errors_received",
            pa.int64(),
            "Errored packets received in the interval.",
            nullable=True,
            minimum=0,
            tr181="Device.IP.Interface.{i}.Stats.ErrorsReceived",
        ),
        Column(
            "ping_avg_ms",
            pa.float64(),
            "Average round trip of the periodic IP ping test.",
            nullable=True,
            minimum=0,
            unit="ms",
            tr181="Device.IP.Diagnostics.IPPing.AverageResponseTime",
        ),
        Column(
            "wifi_signal_dbm",
            pa.float64(),
            "Mean signal strength of associated Wi-Fi clients.",
            nullable=True,
            minimum=-120,
            maximum=0,
            unit="dBm",
            tr181="Device.WiFi.AccessPoint.{i}.AssociatedDevice.{i}.SignalStrength",
        ),
        Column(
            "wifi_noise_dbm",
            pa.float64(),
            "Noise floor on the Wi-Fi radio.",
            nullable=True,
            minimum=-120,
            maximum=0,
            unit="dBm",
            tr181="Device.WiFi.Radio.{i}.Stats.Noise",
        ),
        Column(
            "wifi_clients",
            pa.int32(),
            "Associated Wi-Fi clients.",
            nullable=True,
            minimum=0,
            tr181="Device.WiFi.AccessPoint.{i}.AssociatedDeviceNumberOfEntries",
        ),
        Column(
            "cpu_usage_pct",
            pa.float64(),
            "Gateway CPU load.",
            nullable=True,
            minimum=0,
            maximum=100,
            unit="%",
            tr181="Device.DeviceInfo.ProcessStatus.CPUUsage",
        ),
        Column(
            "uptime_s",
            pa.int64(),
            "Seconds since the gateway last booted.",
            nullable=True,
            minimum=0,
            unit="s",
            tr181="Device.DeviceInfo.UpTime",
        ),
    ),
)
