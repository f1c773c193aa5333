"""Home broadband: lines on splitters, PON ports and OLTs, the gateway's KPI samples,
the customers' complaints and the operator's repairs.

A KPI column names the TR-181 (Device:2) parameter it is read from (``tr181``) only where
that exact path is defined in the TR-181 files the project ships
(../shared/data/broadband/tr181: DeviceInfo, Optical, WiFi, IP, BulkData, root). Those
files define some objects only as components mounted by files they do not include (the
IP interface counters of tr-181-2-interface.xml, the IPPing and download/upload diagnostics
results of tr-181-2-ip.xml, the Wi-Fi access points and radios of tr-181-2-wifi-base.xml):
such a column leaves ``tr181`` empty and its description names where the value comes from.
The Wi-Fi per-client columns name the Multi-AP ``AssociatedDevice`` parameters, the per-STA
statistics those files define (TR-181 encodes signal as RCPI and noise as ANPI, 0-220,
dBm = value / 2 - 110; stored here in dBm).
"""

import pyarrow as pa

from telcolens.schema._table import DATE, TIMESTAMP, Column, Table, subscriber_column

_STA = "Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.AssociatedDevice.{i}."
_NOT_SHARED = "not among the shared TR-181 files"

BROADBAND_LINES = Table(
    name="broadband_lines",
    domain="broadband",
    description=(
        "One row per home fibre line: where it hangs in the access network (OLT, PON port, "
        "splitter), its gateway and its plan."
    ),
    key=("line_id",),
    columns=(
        Column("line_id", pa.int64(), "Line (access account) identifier."),
        subscriber_column("Pseudonym of the holder's mobile number, if any.", nullable=True),
        Column("olt_id", pa.string(), "Optical line terminal."),
        Column("pon_port", pa.string(), "PON port on the OLT, as frame/slot/port."),
        Column(
            "splitter_id",
            pa.string(),
            "Optical splitter the line's drop fibre leaves from: the port's id "
            "(`olt_id/pon_port`) followed by `/S` and its number on the port.",
        ),
        Column(
            "split_ratio",
            pa.int32(),
            "Outputs of the line's splitter: 1:32 or 1:64 on one level of splitting; 1:8 or 1:16 "
            "for a building splitter under a cabinet's 1:4 or 1:8.",
            minimum=2,
        ),
        Column("city", pa.string(), "Prefecture-level city."),
        Column("county", pa.string(), "County-level division code."),
        Column("access_type", pa.string(), "PON technology.", allowed=("GPON", "XGS-PON")),
        Column("plan_mbps", pa.int32(), "Subscribed downstream rate.", minimum=1, unit="Mbit/s"),
        Column("plan_up_mbps", pa.int32(), "Subscribed upstream rate.", minimum=1, unit="Mbit/s"),
        Column("install_date", DATE, "Day the line was installed."),
        Column("cpe_model", pa.string(), "Home gateway (ONT/CPE) model."),
        Column(
            "cpe_firmware",
            pa.string(),
            "Gateway firmware version when the table was drawn (a later firmware push is "
            "in `broadband_repairs`).",
        ),
    ),
)

BROADBAND_KPI = Table(
    name="broadband_kpi",
    domain="broadband",
    description=(
        "Periodic KPI samples per line from the home gateway (TR-181 parameters and the "
        "gateway's periodic diagnostics), one per reporting interval."
    ),
    key=("line_id", "sample_time"),
    time="sample_time",
    columns=(
        Column("line_id", pa.int64(), "Line identifier."),
        Column("sample_time", TIMESTAMP, "End of the sampling interval (China Standard Time)."),
        Column(
            "optical_rx_dbm",
            pa.float64(),
            "Received optical power at the ONT (TR-181 reports thousandths of a dBm).",
            nullable=True,
            minimum=-50,
            maximum=10,
            unit="dBm",
            tr181="Device.Optical.Interface.{i}.OpticalSignalLevel",
        ),
        Column(
            "optical_tx_dbm",
            pa.float64(),
            "Transmitted optical power of the ONT (TR-181 reports thousandths of a dBm).",
            nullable=True,
            minimum=-50,
            maximum=10,
            unit="dBm",
            tr181="Device.Optical.Interface.{i}.TransmitOpticalLevel",
        ),
        Column(
            "bytes_received",
            pa.int64(),
            "Bytes received on the WAN in the interval: the change of the WAN IP interface's "
            "Stats.BytesReceived (Layer3Interface component of tr-181-2-interface.xml, "
            f"{_NOT_SHARED}).",
            nullable=True,
            minimum=0,
            unit="bytes",
        ),
        Column(
            "bytes_sent",
            pa.int64(),
            "Bytes sent on the WAN in the interval: the change of the WAN IP interface's "
            f"Stats.BytesSent (tr-181-2-interface.xml, {_NOT_SHARED}).",
            nullable=True,
            minimum=0,
            unit="bytes",
        ),
        Column(
            "errors_received",
            pa.int64(),
            "Errored packets received on the WAN in the interval: the change of the WAN IP "
            f"interface's Stats.ErrorsReceived (tr-181-2-interface.xml, {_NOT_SHARED}).",
            nullable=True,
            minimum=0,
        ),
        Column(
            "ping_avg_ms",
            pa.float64(),
            "Mean round trip of the interval's ping test (20 probes to the operator's test "
            "server): the IPPing result AverageResponseTime (component IPPingDiagnosticsOutput "
            f"of tr-181-2-ip.xml; the object mounting it is {_NOT_SHARED}). Null when no probe "
            "came back.",
            nullable=True,
            minimum=0,
            unit="ms",
        ),
        Column(
            "ping_min_ms",
            pa.float64(),
            "Fastest probe of the ping test: IPPing MinimumResponseTime "
            "(IPPingDiagnosticsOutput, tr-181-2-ip.xml).",
            nullable=True,
            minimum=0,
            unit="ms",
        ),
        Column(
            "ping_max_ms",
            pa.float64(),
            "Slowest probe of the ping test: IPPing MaximumResponseTime "
            "(IPPingDiagnosticsOutput, tr-181-2-ip.xml).",
            nullable=True,
            minimum=0,
            unit="ms",
        ),
        Column(
            "ping_success",
            pa.int32(),
            "Probes of the ping test answered: IPPing SuccessCount (IPPingDiagnosticsOutput).",
            nullable=True,
            minimum=0,
        ),
        Column(
            "ping_failure",
            pa.int32(),
            "Probes of the ping test lost: IPPing FailureCount (IPPingDiagnosticsOutput).",
            nullable=True,
            minimum=0,
        ),
        Column(
            "dns_rtt_ms",
            pa.float64(),
            "Mean time the gateway's DNS relay took to answer in the interval (the relay's "
            "own statistics; TR-181 Device.DNS is not among the shared files).",
            nullable=True,
            minimum=0,
            unit="ms",
        ),
        Column(
            "dns_queries",
            pa.int32(),
            "DNS queries the gateway's relay forwarded in the interval (relay statistics).",
            nullable=True,
            minimum=0,
        ),
        Column(
            "dns_failures",
            pa.int32(),
            "DNS queries that failed (timeout or SERVFAIL) in the interval (relay statistics).",
            nullable=True,
            minimum=0,
        ),
        Column(
            "download_mbps",
            pa.float64(),
            "Throughput of the interval's WAN download test (TR-143 DownloadDiagnostics run by "
            "the gateway: TestBytesReceived x 8 / (EOMTime - BOMTime), results of component "
            f"IPDownloadDiagnosticsOutput of tr-181-2-ip.xml; its mount is {_NOT_SHARED}). Null "
            "when the test was skipped (household traffic) or failed.",
            nullable=True,
            minimum=0,
            unit="Mbit/s",
        ),
        Column(
            "upload_mbps",
            pa.float64(),
            "Throughput of the interval's WAN upload test (TR-143 UploadDiagnostics: "
            "TestBytesSent x 8 / (EOMTime - BOMTime), IPUploadDiagnosticsOutput of "
            "tr-181-2-ip.xml).",
            nullable=True,
            minimum=0,
            unit="Mbit/s",
        ),
        Column(
            "wifi_signal_dbm",
            pa.float64(),
            "Mean signal strength of the associated Wi-Fi clients (RCPI, decoded).",
            nullable=True,
            minimum=-120,
            maximum=0,
            unit="dBm",
            tr181=_STA + "SignalStrength",
        ),
        Column(
            "wifi_signal_min_dbm",
            pa.float64(),
            "Signal strength of the weakest associated Wi-Fi client (RCPI, decoded).",
            nullable=True,
            minimum=-120,
            maximum=0,
            unit="dBm",
            tr181=_STA + "SignalStrength",
        ),
        Column(
            "wifi_noise_dbm",
            pa.float64(),
            "Mean noise plus interference power on the clients' uplinks (ANPI, decoded).",
            nullable=True,
            minimum=-120,
            maximum=0,
            unit="dBm",
            tr181=_STA + "Noise",
        ),
        Column(
            "wifi_clients",
            pa.int32(),
            "Associated Wi-Fi clients.",
            nullable=True,
            minimum=0,
            tr181="Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.AP.{i}.AssociatedDeviceNumberOfEntries",
        ),
        Column(
            "wifi_rate_mbps",
            pa.float64(),
            "Mean downlink PHY rate last used towards the associated clients (TR-181 kbps).",
            nullable=True,
            minimum=0,
            unit="Mbit/s",
            tr181=_STA + "LastDataDownlinkRate",
        ),
        Column(
            "wifi_channel",
            pa.int32(),
            "Channel of the 2.4 GHz radio.",
            nullable=True,
            minimum=1,
            maximum=14,
            tr181="Device.WiFi.MultiAP.APDevice.{i}.Radio.{i}.Channel",
        ),
        Column(
            "wifi_utilization_pct",
            pa.float64(),
            "Share of the interval the 2.4 GHz channel was busy (clear-channel assessment, "
            "own and neighbours' traffic), from the radio's channel statistics (TR-181 "
            f"WiFi.Radio.{{i}}.Stats of tr-181-2-wifi-base.xml, {_NOT_SHARED}).",
            nullable=True,
            minimum=0,
            maximum=100,
            unit="%",
        ),
        Column(
            "wifi_packets_sent",
            pa.int64(),
            "Packets sent to the associated clients in the interval (sum over clients).",
            nullable=True,
            minimum=0,
            tr181=_STA + "Stats.PacketsSent",
        ),
        Column(
            "wifi_retransmissions",
            pa.int64(),
            "Packets retransmitted to the associated clients in the interval (sum over clients).",
            nullable=True,
            minimum=0,
            tr181=_STA + "Stats.RetransCount",
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
            "temperature_c",
            pa.int32(),
            "Gateway's main temperature sensor.",
            nullable=True,
            minimum=-274,
            unit="degrees Celsius",
            tr181="Device.DeviceInfo.TemperatureStatus.TemperatureSensor.{i}.Value",
        ),
        Column(
            "boot_count",
            pa.int32(),
            "Times the gateway has booted since its last factory reset.",
            nullable=True,
            minimum=0,
            tr181="Device.DeviceInfo.Reboots.BootCount",
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
        Column(
            "wan_link_downs",
            pa.int32(),
            "Times the WAN connection went down in the interval without a reboot (optical "
            "loss of signal, failed PPPoE/IPoE authentication), from the gateway's connection "
            f"log (the interface Status/LastChange of tr-181-2-interface.xml, {_NOT_SHARED}).",
            nullable=True,
            minimum=0,
        ),
    ),
)

BROADBAND_COMPLAINTS = Table(
    name="broadband_complaints",
    domain="broadband",
    description="Customer complaints about a broadband line, as the help desk recorded them.",
    key=("complaint_id",),
    time="complaint_time",
    columns=(
        Column("complaint_id", pa.int64(), "Complaint (trouble ticket) number."),
        Column("line_id", pa.int64(), "Line complained about."),
        Column("complaint_time", TIMESTAMP, "When the complaint was made (China Standard Time)."),
        Column(
            "category",
            pa.string(),
            "What the customer said was wrong, as the agent filed it.",
            allowed=("slow", "drops", "wifi", "no_service"),
        ),
        Column(
            "channel",
            pa.string(),
            "How the complaint came in.",
            allowed=("hotline", "app", "wechat", "store"),
        ),
    ),
)

BROADBAND_REPAIRS = Table(
    name="broadband_repairs",
    domain="broadband",
    description=(
        "Repair actions the operator took on a line or on a network element, and how the "
        "ticket was closed."
    ),
    key=("repair_id",),
    time="repair_time",
    columns=(
        Column("repair_id", pa.int64(), "Repair (work order) number."),
        Column(
            "line_id",
            pa.int64(),
            "Line repaired; null for work on a network element.",
            nullable=True,
        ),
        Column(
            "element_id",
            pa.string(),
            "Network element worked on: a splitter_id, a PON port (`olt_id/pon_port`) or an "
            "olt_id; null for work on a line.",
            nullable=True,
        ),
        Column(
            "element_type",
            pa.string(),
            "Kind of element worked on; null for work on a line.",
            nullable=True,
            allowed=("splitter", "pon_port", "olt"),
        ),
        Column("repair_time", TIMESTAMP, "When the action was carried out (China Standard Time)."),
        Column(
            "action",
            pa.string(),
            "What was done.",
            allowed=(
                "remote_channel_change",
                "cpe_reboot",
                "firmware_push",
                "field_visit",
                "network_ticket",
            ),
        ),
        Column(
            "complaint_id",
            pa.int64(),
            "Complaint the action answered; null for work the operator started itself.",
            nullable=True,
        ),
        Column(
            "closed_as_fixed",
            pa.bool_(),
            "Whether the ticket was closed as fixed (what the operator recorded, not whether "
            "the cause went away).",
        ),
    ),
)
