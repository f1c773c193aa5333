"""Gateway samples reduced to line-days: hand-made samples worked out by hand (on each
engine), and the generated province's scenarios in the measures."""

from __future__ import annotations

import datetime as dt

import ibis
import pandas as pd
import pyarrow as pa
import pytest

from telcolens import engine as engines
from telcolens.broadband.line_days import DIAGNOSTICS, line_days
from telcolens.broadband.measures import MEASURES
from telcolens.dataset import write_part
from telcolens.schema import BROADBAND_KPI
from tests.simulate._frames import truth

DAY = dt.datetime(2026, 11, 2)


def _samples(*rows: dict) -> pa.Table:
    """``broadband_kpi`` rows: the columns given, null elsewhere."""
    names = BROADBAND_KPI.names
    data = {n: [r.get(n) for r in rows] for n in names}
    return pa.Table.from_pydict(data, schema=BROADBAND_KPI.arrow_schema())


def _row(line: int, at: dt.datetime, **values) -> dict:
    return {"line_id": line, "sample_time": at, **values}


HAND = _samples(
    # Line 1, an ordinary night sample: the speed test (100) is below the Wi-Fi capacity
    # 500 x 0.6 x (1 - 0.2) x (1 - 0) = 240; booted 2 h ago, before midnight.
    _row(
        1,
        DAY + dt.timedelta(hours=1),
        download_mbps=100.0,
        upload_mbps=20.0,
        wifi_rate_mbps=500.0,
        wifi_utilization_pct=20.0,
        wifi_packets_sent=1000,
        wifi_retransmissions=0,
        ping_avg_ms=10.0,
        ping_min_ms=8.0,
        ping_success=19,
        ping_failure=1,
        dns_rtt_ms=20.0,
        dns_queries=100,
        dns_failures=2,
        wan_link_downs=0,
        boot_count=5,
        uptime_s=7200,
        cpu_usage_pct=20.0,
        temperature_c=50,
        optical_rx_dbm=-20.0,
        wifi_channel=6,
        errors_received=3,
    ),
    # At the peak the Wi-Fi gives only 200 x 0.6 x 0.5 x (1 - 20/100) = 48; it rebooted at
    # 20:20 (boot count 5 -> 6).
    _row(
        1,
        DAY + dt.timedelta(hours=20, minutes=30),
        download_mbps=300.0,
        upload_mbps=30.0,
        wifi_rate_mbps=200.0,
        wifi_utilization_pct=50.0,
        wifi_packets_sent=100,
        wifi_retransmissions=20,
        ping_avg_ms=30.0,
        ping_min_ms=10.0,
        ping_success=10,
        ping_failure=10,
        dns_rtt_ms=40.0,
        dns_queries=50,
        dns_failures=10,
        wan_link_downs=2,
        boot_count=6,
        uptime_s=600,
        cpu_usage_pct=80.0,
        temperature_c=70,
        optical_rx_dbm=-21.0,
        wifi_channel=11,
        errors_received=5,
    ),
    # No answer at all, no speed test, no Wi-Fi statistics.
    _row(
        1,
        DAY + dt.timedelta(hours=21, minutes=15),
        ping_success=0,
        ping_failure=20,
        dns_queries=10,
        dns_failures=10,
        wan_link_downs=1,
        boot_count=6,
        uptime_s=3300,
        cpu_usage_pct=60.0,
        temperature_c=65,
        optical_rx_dbm=-22.0,
    ),
    # Next day: booted at 07:43, before its first sample, the counter already says so.
    _row(
        1,
        DAY + dt.timedelta(days=1, hours=8),
        download_mbps=90.0,
        ping_avg_ms=9.0,
        ping_min_ms=9.0,
        ping_success=20,
        ping_failure=0,
        wan_link_downs=0,
        boot_count=7,
        uptime_s=1000,
    ),
    # Line 2 reports almost nothing.
    _row(2, DAY + dt.timedelta(hours=3), download_mbps=50.0, dns_queries=0, dns_failures=0),
)


def test_measures_then_diagnostics_per_line_and_day():
    expr = line_days(ibis.memtable(HAND))
    assert expr.columns == ("line_id", "day", *MEASURES, *DIAGNOSTICS)


def test_hand_made_samples_give_the_hand_worked_line_days(engine, tmp_path):
    # Through Parquet, as a data directory is read: Spark would turn a memtable's nulls
    # into NaN.
    write_part(tmp_path, BROADBAND_KPI, HAND, "part-0")
    con = engines.connect(engine)
    kpi = engines.tables(con, tmp_path)["broadband_kpi"]
    got = con.execute(line_days(kpi)).sort_values(["line_id", "day"])
    got = got.set_index(["line_id", got.day.astype(str)])
    first, second = got.loc[(1, "2026-11-02")], got.loc[(1, "2026-11-03")]
    other = got.loc[(2, "2026-11-02")]
    assert len(got) == 3
    approx = pytest.approx
    assert first.dl_mbps == approx((100 + 48) / 2) and first.dl_peak_mbps == approx(48)
    assert first.ul_mbps == approx(25) and first.wan_dl_mbps == approx(200)
    assert (first.wan_dl_peak_mbps, first.wan_dl_offpeak_mbps) == (approx(300), approx(100))
    assert (first.latency_ms, first.latency_peak_ms) == (approx(20), approx(30))
    assert first.jitter_ms == approx((2 + 20) / 2)
    assert first.loss_pct == approx(100 * 31 / 60) and first.loss_peak_pct == approx(75)
    assert first.dns_rtt_ms == approx(30) and first.dns_fail_pct == approx(100 * 22 / 160)
    assert (first.reboots, first.wan_link_downs, first.disconnections) == (1, 3, 4)
    assert (first.samples, first.speed_tests, first.no_service_samples) == (3, 2, 1)
    assert first.wifi_capacity_mbps == approx((240 + 48) / 2)
    assert first.wifi_retrans_pct == approx(100 * 20 / 1100) and first.wifi_channels == 2
    assert (first.optical_rx_min_dbm, first.optical_rx_mean_dbm) == (approx(-22), approx(-21))
    assert (first.cpu_max_pct, first.temperature_max_c, first.errors_received) == (80, 70, 8)
    # A boot before the day's first sample counts once (uptime shorter than since midnight).
    assert (second.reboots, second.disconnections) == (1, 1)
    assert second.dl_mbps == approx(90) and second.loss_pct == approx(0)
    # Nothing measured is null, not zero.
    assert other.dl_mbps == approx(50)
    for name in ("latency_ms", "loss_pct", "dns_fail_pct", "disconnections", "reboots"):
        assert pd.isna(other[name]), name


def test_the_provinces_scenarios_show_in_the_line_days(province):
    con = engines.connect("duckdb")
    t = engines.tables(con, province)
    days = con.execute(line_days(t["broadband_kpi"]))
    kpi = t["broadband_kpi"]
    pairs = kpi.select("line_id", day=kpi.sample_time.date()).distinct().count()
    assert len(days) == con.execute(pairs)
    lines = truth(province, "broadband_lines")[["line_id", "scenario"]]
    by = days.merge(lines, on="line_id").groupby("scenario").median(numeric_only=True)
    healthy = by.loc["healthy"]
    # Wi-Fi troubles lower what the household gets, not what the gateway's WAN test sees.
    for name in ("wifi_coverage", "wifi_interference"):
        assert by.loc[name, "dl_mbps"] < healthy.dl_mbps * 0.85, name
        assert by.loc[name, "wan_dl_mbps"] > healthy.wan_dl_mbps * 0.9, name
    assert by.loc["wifi_coverage", "wifi_weakest_dbm"] < healthy.wifi_weakest_dbm - 8
    assert by.loc["wifi_interference", "wifi_utilization_pct"] > healthy.wifi_utilization_pct + 10
    assert by.loc["optical_line", "optical_rx_min_dbm"] < healthy.optical_rx_min_dbm - 3
    assert by.loc["dns_auth", "dns_fail_pct"] > 5 * healthy.dns_fail_pct
    assert by.loc["cpe_fault", "temperature_max_c"] > healthy.temperature_max_c + 3
    assert by.loc["port_congestion", "latency_peak_ms"] > healthy.latency_peak_ms + 3
