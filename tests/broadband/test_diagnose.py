"""Diagnosis of poor lines on crafted line-days (each scenario, the look-alikes), on each
engine: the scenario, its side and action, the evidence; and on a generated province."""

from __future__ import annotations

import datetime as dt
import functools
import json

import ibis
import pandas as pd
import pytest

from telcolens import engine as engines
from telcolens.broadband.diagnose import (
    HOME_ACTIONS,
    SCENARIOS,
    SIDE_ACTIONS,
    SIDES,
    DiagnosisError,
    Settings,
    data_end,
    diagnose,
    diagnose_line_days,
    line_day_frame,
    window_days,
)
from telcolens.schema import BROADBAND_KPI, BROADBAND_LINES

DAY = dt.date(2026, 11, 2)

# A healthy line-day of a 300 Mbit/s line, and its peers (lines of its plan and model).
HEALTHY = {
    "plan_mbps": 300,
    "cpe_model": "HG8145X6",
    "samples": 24,
    "dl_mbps": 290.0,
    "dl_peak_mbps": 280.0,
    "ul_mbps": 30.0,
    "latency_ms": 7.0,
    "latency_peak_ms": 8.0,
    "jitter_ms": 1.0,
    "loss_pct": 0.0,
    "loss_peak_pct": 0.0,
    "dns_rtt_ms": 15.0,
    "dns_fail_pct": 0.2,
    "disconnections": 0,
    "speed_tests": 23,
    "wan_dl_mbps": 300.0,
    "wan_dl_peak_mbps": 290.0,
    "wan_dl_offpeak_mbps": 300.0,
    "wan_ul_mbps": 30.0,
    "latency_offpeak_ms": 6.5,
    "no_service_samples": 0,
    "optical_rx_min_dbm": -21.0,
    "optical_rx_mean_dbm": -20.5,
    "optical_tx_mean_dbm": 2.3,
    "errors_received": 7,
    "wan_link_downs": 0,
    "reboots": 0,
    "wifi_capacity_mbps": 290.0,
    "wifi_rate_mbps": 650.0,
    "wifi_signal_dbm": -50.0,
    "wifi_weakest_dbm": -56.0,
    "wifi_weakest_min_dbm": -60.0,
    "wifi_noise_dbm": -93.0,
    "wifi_utilization_pct": 22.0,
    "wifi_utilization_peak_pct": 30.0,
    "wifi_retrans_pct": 3.0,
    "wifi_clients": 2.0,
    "wifi_channels": 1,
    "cpu_mean_pct": 20.0,
    "cpu_max_pct": 30.0,
    "temperature_mean_c": 52.0,
    "temperature_max_c": 58.0,
    "bytes_received": 10**9,
    "score": 88.0,
    "peer_dl_peak_mbps": 280.0,
    "peer_wan_dl_offpeak_mbps": 300.0,
    "peer_score": 87.0,
    "peer_cpu_mean_pct": 20.0,
    "peer_temperature_max_c": 58.0,
    "window_dark_days": 0,
    "window_rx_min_dbm": -21.5,
    "window_rx_best_dbm": -20.3,
}
DARK = {k: None for k in HEALTHY if k not in ("plan_mbps", "cpe_model") and "peer" not in k}

# Each planted scenario as a gateway would report it, then the look-alikes: what each is.
CASES: dict[str, tuple[str | None, dict]] = {
    "dirty connector": (
        "optical_line",
        {
            "optical_rx_min_dbm": -29.5,
            "optical_rx_mean_dbm": -28.8,
            "window_rx_min_dbm": -29.9,
            "errors_received": 1_000_000,
            "loss_pct": 4.0,
            "loss_peak_pct": 5.0,
            "dl_peak_mbps": 20.0,
            "wan_dl_peak_mbps": 20.0,
            "score": 15.0,
        },
    ),
    "dark ONT, second day": ("optical_line", {**DARK, "samples": 0, "window_dark_days": 2}),
    "weak Wi-Fi in far rooms": (
        "wifi_coverage",
        {
            "wifi_signal_dbm": -80.0,
            "wifi_weakest_dbm": -90.0,
            "wifi_rate_mbps": 60.0,
            "wifi_capacity_mbps": 25.0,
            "wifi_retrans_pct": 26.0,
            "dl_mbps": 30.0,
            "dl_peak_mbps": 20.0,
            "score": 45.0,
        },
    ),
    "crowded 2.4 GHz channel": (
        "wifi_interference",
        {
            "wifi_noise_dbm": -81.0,
            "wifi_utilization_pct": 60.0,
            "wifi_retrans_pct": 22.0,
            "wifi_capacity_mbps": 40.0,
            "dl_peak_mbps": 35.0,
            "score": 60.0,
        },
    ),
    "overheating gateway": (
        "cpe_fault",
        {
            "cpu_mean_pct": 60.0,
            "cpu_max_pct": 75.0,
            "temperature_max_c": 80.0,
            "reboots": 1,
            "disconnections": 1,
            "wan_dl_offpeak_mbps": 80.0,
            "wan_dl_peak_mbps": 70.0,
            "dl_peak_mbps": 65.0,
            "latency_ms": 16.0,
            "latency_peak_ms": 16.0,
            "latency_offpeak_ms": 15.0,
            "score": 45.0,
        },
    ),
    "leaking firmware": (
        "cpe_fault",
        {
            "cpu_mean_pct": 62.0,
            "reboots": 2,
            "disconnections": 2,
            "wan_dl_offpeak_mbps": 70.0,
            "wan_dl_peak_mbps": 65.0,
            "dl_peak_mbps": 60.0,
            "score": 40.0,
        },
    ),
    "DNS resolver failing": (
        "dns_auth",
        {"dns_fail_pct": 20.0, "dns_rtt_ms": 220.0, "score": 25.0},
    ),
    "authentication failing": (
        "dns_auth",
        {"no_service_samples": 5, "wan_link_downs": 30, "disconnections": 30, "loss_pct": 20.0},
    ),
    "household streaming all evening": (
        None,
        {
            "wan_dl_peak_mbps": 215.0,
            "dl_peak_mbps": 170.0,
            "latency_peak_ms": 11.4,
            "latency_offpeak_ms": 6.5,
            "cpu_max_pct": 53.0,
            "score": 80.0,
        },
    ),
    "line far from its OLT": (
        None,
        {"optical_rx_min_dbm": -26.0, "optical_rx_mean_dbm": -25.3, "errors_received": 119},
    ),
    "client in the garden": (None, {"wifi_weakest_dbm": -66.0, "wifi_weakest_min_dbm": -75.0}),
    "old gateway on a fast plan": (
        None,
        {
            "plan_mbps": 1000,
            "cpe_model": "PT926G",
            "wan_dl_offpeak_mbps": 400.0,
            "wan_dl_peak_mbps": 390.0,
            "dl_peak_mbps": 85.0,
            "wifi_capacity_mbps": 90.0,
            "cpu_mean_pct": 31.0,
            "temperature_max_c": 64.0,
            "peer_dl_peak_mbps": 86.0,
            "peer_wan_dl_offpeak_mbps": 400.0,
            "peer_cpu_mean_pct": 30.0,
            "peer_temperature_max_c": 64.0,
            "score": 78.0,
            "peer_score": 78.0,
        },
    ),
    "100 Mbit/s plan": (
        None,
        {
            "plan_mbps": 100,
            "dl_peak_mbps": 95.0,
            "wan_dl_peak_mbps": 96.0,
            "wan_dl_offpeak_mbps": 101.0,
            "peer_dl_peak_mbps": 96.0,
            "peer_wan_dl_offpeak_mbps": 101.0,
            "score": 80.0,
            "peer_score": 80.0,
        },
    ),
    "gateway switched off at night": (None, {"samples": 18}),
    # A line at the edge of the window (-27.2 dBm at its lowest, errors) losing one probe
    # of the evening's forty (0.2% lost over the day loses one on one evening in ten): no
    # harm, so nothing to send a truck for.
    "one probe lost in the evening at the window's edge": (
        None,
        {
            "optical_rx_min_dbm": -27.2,
            "optical_rx_mean_dbm": -26.8,
            "errors_received": 12_000,
            "loss_peak_pct": 2.5,
            "loss_pct": 0.2,
        },
    ),
    "congestion seen on no neighbour": (
        None,
        {
            "wan_dl_peak_mbps": 60.0,
            "dl_peak_mbps": 60.0,
            "latency_peak_ms": 30.0,
            "score": 60.0,
        },
    ),
}


@functools.cache
def frame_schema() -> ibis.Schema:
    """The columns of a line-day frame, as :func:`line_day_frame` builds them."""
    kpi = ibis.memtable(BROADBAND_KPI.empty())
    lines = ibis.memtable(BROADBAND_LINES.empty())
    return line_day_frame(kpi, lines, [DAY]).schema()


def crafted(rows: list[dict]) -> ibis.Table:
    """A line-day frame of ``rows`` (each a healthy line-day with its changes; ``line_id``,
    ``day``, ``splitter_id``, ``port_id``, ``olt_id`` as given or one element per line)."""
    schema = frame_schema()
    records = []
    for i, changes in enumerate(rows):
        row = {**HEALTHY, **changes}
        row.setdefault("line_id", i + 1)
        row.setdefault("day", DAY)
        row.setdefault("olt_id", f"OLT-{row['line_id']}")
        row.setdefault("port_id", f"{row['olt_id']}/0/1/0")
        row.setdefault("splitter_id", f"{row['port_id']}/S1")
        records.append(row)
    columns = {}
    for name, kind in schema.items():
        values = [r.get(name) for r in records]
        if kind.is_integer():
            # Python ints and None in an object column: a float column (NaN for None)
            # reaches Spark as nulls in an integer field.
            values = pd.Series([None if v is None else int(v) for v in values], dtype=object)
        columns[name] = values
    # A memtable, not create_table: Spark would make a managed table in ./spark-warehouse.
    return ibis.memtable(pd.DataFrame(columns), schema=schema)


def run(engine: str, rows: list[dict], settings: Settings | None = None) -> pd.DataFrame:
    expr = diagnose_line_days(crafted(rows), settings)
    return engines.connect(engine).execute(expr).sort_values(["line_id", "day"])


def test_each_scenario_and_look_alike_is_told_apart(engine: str) -> None:
    got = run(engine, [changes for _, changes in CASES.values()]).set_index("line_id")
    for i, (name, (expected, _)) in enumerate(CASES.items(), start=1):
        row = got.loc[i]
        if expected is None:
            assert not row.poor, f"{name}: flagged {row.scenario}"
        else:
            assert row.poor, f"{name}: not flagged poor"
            assert row.scenario == expected, f"{name}: {row.scenario}, not {expected}"


def test_the_side_rule_never_sends_a_truck_home_nor_fixes_the_street_at_home(engine) -> None:
    got = run(engine, [changes for _, changes in CASES.values()])
    got = got[got.scenario.notna()]
    assert set(got.side) == {"home", "street", "network"}
    for row in got.itertuples():
        assert row.side == SIDES[row.scenario]
        assert row.action in SIDE_ACTIONS[row.side]
    home, street = got[got.side == "home"], got[got.side == "street"]
    assert (home.action != "field_visit").all()
    assert not street.action.isin(HOME_ACTIONS).any()
    actions = dict(zip(got.scenario + "/" + got.line_id.astype(str), got.action, strict=True))
    assert actions["cpe_fault/5"] == "cpe_reboot"  # hot: a reboot cools it for a while
    assert actions["cpe_fault/6"] == "firmware_push"  # not hot, leaking: new firmware
    assert actions["wifi_interference/4"] == "remote_channel_change"


def test_evidence_names_the_kpis_thresholds_and_the_optical_window(engine: str) -> None:
    got = run(engine, [CASES["dirty connector"][1], CASES["weak Wi-Fi in far rooms"][1]])
    optical, wifi = (json.loads(e) for e in got.evidence)
    assert optical["standard"] == "ITU-T G.984.2 Amd.1 class B+ ONT receive window -27 to -8 dBm"
    assert optical["thresholds_dbm"] == [-27, -8]
    assert any(s.startswith("optical_rx_min_dbm -29.5 <= -27 dBm") for s in optical["signs"])
    assert optical["kpis"]["optical_rx_min_dbm"] == -29.5
    assert optical["kpis"]["errors_received"] == 1_000_000
    assert "wifi_signal_dbm -80.0 <= -72 dBm" in wifi["signs"]
    assert any("the Wi-Fi caps the speed" in s for s in wifi["signs"])
    assert wifi["poor"], "the harm that makes it poor is listed"
    assert "standard" not in wifi


def test_a_healthy_line_has_no_scenario_and_no_evidence(engine: str) -> None:
    got = run(engine, [{}])
    assert not got.poor.iloc[0]
    assert got.scenario.isna().iloc[0] and got.evidence.isna().iloc[0]


def test_thresholds_move_the_verdict() -> None:
    # The same weak signal: coverage at -68 dBm, nothing at -85 dBm.
    weak = {"wifi_signal_dbm": -75.0, "wifi_capacity_mbps": 30.0, "dl_peak_mbps": 25.0}
    assert run("duckdb", [weak]).scenario.iloc[0] == "wifi_coverage"
    strict = Settings().with_values(wifi_signal_dbm=-85.0)
    assert run("duckdb", [weak], strict).scenario.isna().iloc[0]


def test_settings_refuse_unknown_names_and_bad_values() -> None:
    with pytest.raises(DiagnosisError, match="no diagnosis setting"):
        Settings().with_values(wifi_signal=-70)
    with pytest.raises(DiagnosisError, match="single_splitter_level"):
        Settings(single_splitter_level="olt")
    with pytest.raises(DiagnosisError, match="at least one day"):
        window_days(DAY, 0)


def test_window_days_are_the_days_before_as_of() -> None:
    assert window_days(dt.date(2026, 11, 5), 3) == [
        dt.date(2026, 11, 2),
        dt.date(2026, 11, 3),
        dt.date(2026, 11, 4),
    ]


def test_the_province_is_diagnosed_alike_on_both_engines(province) -> None:
    """On a generated province: every scenario name is one the province plants, the side
    rule holds, the evidence is JSON; and (Spark) DuckDB and Spark give the same rows."""
    con = engines.connect("duckdb")
    t = engines.tables(con, province)
    days = window_days(data_end(con, t["broadband_kpi"]), 2)
    result = diagnose(t["broadband_kpi"], t["broadband_lines"], days)
    got = con.execute(result.diagnoses)
    assert len(got) > 10
    assert set(got.scenario) <= set(SCENARIOS)
    for row in got.itertuples():
        assert row.action in SIDE_ACTIONS[SIDES[row.scenario]]
        json.loads(row.evidence)
    assert got.line_id.is_unique


def test_days_without_any_report_are_no_dark_lines(province) -> None:
    # A window reaching before the data: its empty days are missing data, not dark ONTs.
    con = engines.connect("duckdb")
    t = engines.tables(con, province)
    end = data_end(con, t["broadband_kpi"])
    two, five = (
        con.execute(
            diagnose(t["broadband_kpi"], t["broadband_lines"], window_days(end, n)).diagnoses
        )
        for n in (2, 5)
    )
    assert len(five) == len(two) and (five.scenario == two.scenario).all()


@pytest.mark.spark
def test_duckdb_and_spark_agree_on_the_province(province) -> None:
    out = {}
    for engine in ("duckdb", "spark"):
        con = engines.connect(engine)
        t = engines.tables(con, province)
        days = window_days(data_end(con, t["broadband_kpi"]), 2)
        result = diagnose(t["broadband_kpi"], t["broadband_lines"], days)
        d = con.execute(result.diagnoses).sort_values("line_id").reset_index(drop=True)
        k = con.execute(result.tickets).sort_values(["element", "scenario"])
        k["lines"] = k["lines"].map(list)
        out[engine] = d, k.reset_index(drop=True)
    (d1, k1), (d2, k2) = out["duckdb"], out["spark"]
    for column in ("line_id", "day", "scenario", "side", "action", "ticket_element", "poor_days"):
        assert d1[column].tolist() == d2[column].tolist(), column
    pd.testing.assert_series_equal(d1.score, d2.score, rtol=1e-9)
    assert d1.evidence.tolist() == d2.evidence.tolist()
    assert k1.drop(columns="lines").equals(k2.drop(columns="lines"))
    assert k1["lines"].tolist() == k2["lines"].tolist()
