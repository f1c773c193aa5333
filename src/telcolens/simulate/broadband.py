"""Home fibre lines on OLT PON ports, and their hourly gateway KPI samples.

Most lines are healthy; some have a weak optical signal (dirty connector, bent
fibre), a noisy Wi-Fi (crowded channel, gateway in a cupboard) or congestion in
the evening. Their condition is ground truth in ``truth/broadband_lines.parquet``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from telcolens.simulate.activity import DATA, US_PER_HOUR, Day
from telcolens.simulate.geography import CITY_NAMES, Geography
from telcolens.simulate.population import Population, epoch_day

CONDITIONS = ("healthy", "weak_optical", "noisy_wifi", "congested")
CONDITION_SHARE = [0.85, 0.04, 0.08, 0.03]
LINES_PER_OLT = 1500
PLANS = np.array([100, 200, 300, 500, 1000], np.int32)
CPE = np.array(["HG8145X6", "F7607P", "HN8145XR", "ZXHN-F670L", "HS8145V5", "PT926G"])
SAMPLES_PER_DAY = 24
MISSING = 0.015


@dataclass(frozen=True)
class Lines:
    """Per line: its id, holder, OLT, condition and hidden baselines."""

    line_id: np.ndarray
    condition: np.ndarray
    base_rx: np.ndarray
    volume: np.ndarray
    offset_s: np.ndarray
    boot_s: np.ndarray
    olt_id: np.ndarray
    olt_county: np.ndarray
    table: pa.Table


def build_lines(pop: Population, geo: Geography, rng: np.random.Generator) -> Lines:
    """About one line per three subscribers: a household's fibre."""
    holder = np.sort(rng.choice(pop.n, pop.n // 3, replace=False))
    n = len(holder)
    county = pop.county[holder]
    per_county = np.bincount(county, minlength=len(geo.county_code))
    n_olt = np.maximum(1, -(-per_county // LINES_PER_OLT))
    olt_county = np.repeat(np.arange(len(n_olt)), n_olt)
    seq = np.concatenate([np.arange(1, k + 1) for k in n_olt])
    olt_id = np.char.add(
        np.char.add(np.char.add("OLT-", geo.county_code[olt_county]), "-"),
        np.char.zfill(seq.astype(str), 2),
    )
    first_olt = np.concatenate([[0], np.cumsum(n_olt)[:-1]])
    olt = first_olt[county] + (rng.random(n) * n_olt[county]).astype(np.int64)
    port = np.char.add(
        np.char.add("0/", rng.integers(1, 17, n).astype(str)),
        np.char.add("/", rng.integers(0, 16, n).astype(str)),
    )
    plan = PLANS[rng.choice(len(PLANS), n, p=[0.15, 0.25, 0.3, 0.2, 0.1])]
    condition = rng.choice(len(CONDITIONS), n, p=CONDITION_SHARE).astype(np.int8)
    line_id = 5_310_000_000 + np.arange(n, dtype=np.int64) * 7 + rng.integers(0, 7, n)
    table = pa.table(
        {
            "line_id": line_id,
            "subscriber_id": pa.array(pop.sub_id[holder], mask=rng.random(n) < 0.08),
            "olt_id": olt_id[olt],
            "pon_port": port,
            "city": np.array(CITY_NAMES)[geo.county_city[county]],
            "county": geo.county_code[county],
            "access_type": np.where((plan >= 1000) | (rng.random(n) < 0.1), "XGS-PON", "GPON"),
            "plan_mbps": plan,
            "install_date": pa.array(
                (epoch_day(pop.start) - rng.integers(30, 3000, n)).astype(np.int32), pa.date32()
            ),
            "cpe_model": CPE[rng.integers(0, len(CPE), n)],
        }
    )
    base_rx = np.where(condition == 1, rng.normal(-26.8, 0.8, n), rng.normal(-19.5, 1.8, n))
    return Lines(
        line_id,
        condition,
        base_rx,
        rng.lognormal(0, 0.8, n),
        rng.integers(0, 3600, n),
        rng.integers(0, 40 * 86_400, n),
        olt_id,
        olt_county,
        table,
    )


def kpi(lines: Lines, day: Day) -> pa.Table:
    """Hourly KPI samples of every line for one day (some samples lost)."""
    rng = day.rng
    n = len(lines.line_id)
    line = np.repeat(np.arange(n), SAMPLES_PER_DAY)
    hour = np.tile(np.arange(SAMPLES_PER_DAY), n)
    keep = rng.random(len(line)) >= MISSING
    line, hour = line[keep], hour[keep]
    m = len(line)
    cond = lines.condition[line]
    t = day.start_us + hour * US_PER_HOUR + lines.offset_s[line] * 1_000_000
    noise = rng.standard_normal((6, m), dtype=np.float32)
    evening = (hour >= 19) & (hour <= 23)
    rx_bytes = (DATA[hour] * lines.volume[line] * 4e7 * np.exp(0.4 * noise[0])).astype(np.int64)
    noisy, congested = cond == 2, (cond == 3) & evening
    no_wifi = rng.random(m) < 0.01  # gateway skipped the Wi-Fi statistics
    clients = rng.poisson(1 + DATA[hour] / 3).astype(np.int32)
    # A scalar-rate draw is much cheaper than a per-sample rate; weak lines are few.
    errors = rng.poisson(0.3, m)
    weak = np.flatnonzero(cond == 1)
    errors[weak] = rng.poisson(150.0, len(weak))
    return pa.table(
        {
            "line_id": lines.line_id[line],
            "sample_time": pa.array(t, pa.timestamp("us")),
            "optical_rx_dbm": np.round(lines.base_rx[line] + 0.3 * noise[1], 2),
            "optical_tx_dbm": np.round(2.2 + 0.1 * noise[2], 2),
            "bytes_received": rx_bytes,
            "bytes_sent": rx_bytes // 9,
            "errors_received": errors,
            "ping_avg_ms": np.round(np.where(congested, 55, 9) + np.abs(noise[3]) * 4, 1),
            "wifi_signal_dbm": pa.array(
                np.round(np.where(noisy, -72, -52) + 5 * noise[4], 1), mask=no_wifi
            ),
            "wifi_noise_dbm": pa.array(
                np.round(np.where(noisy, -78, -93) + 2 * noise[5], 1), mask=no_wifi
            ),
            "wifi_clients": pa.array(clients, mask=no_wifi),
            "cpu_usage_pct": np.round(
                np.clip(np.where(congested, 60, 15) + 6 * noise[3], 1, 100), 1
            ),
            "uptime_s": lines.boot_s[line] + day.index * 86_400 + hour * 3600,
        }
    )


def truth(lines: Lines) -> pa.Table:
    return pa.table({"line_id": lines.line_id, "condition": np.array(CONDITIONS)[lines.condition]})
