"""The home gateway's hourly KPI samples, from each line's baselines and active scenarios.

Every sample is what a gateway measures, with the physics that links causes to KPIs: the
received optical power sets the bit errors and packet loss (worse below -27 dBm, the
link drops near -30); loss and round trip cap TCP throughput (Mathis et al.); a congested
PON port or OLT uplink slows every line on it, and only at the evening peak; a weak Wi-Fi
signal or a busy 2.4 GHz channel lowers the clients' PHY rate and raises retransmissions
but leaves the gateway's own WAN tests alone; a failing gateway runs hot, reboots and
forwards slowly. Healthy lines vary too (plan, distance to the OLT, household habits,
weekday and evening load), and samples go missing (lost reports, gateways switched off at
night, an ACS outage, the ONT offline when the signal is lost).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from telcolens.schema import BROADBAND_KPI
from telcolens.simulate import _broadband_model as model
from telcolens.simulate import _broadband_scenarios as sc
from telcolens.simulate import activity
from telcolens.simulate._broadband_care import FIRMWARE, REBOOT
from telcolens.simulate.activity import US_PER_DAY, US_PER_HOUR, Day

SAMPLES_PER_DAY = 24
CHUNK = 1 << 16  # rows drawn at a time
_TYPES = {f.name: f.type for f in BROADBAND_KPI.arrow_schema()}
DATA = activity.DATA.astype(np.float32)
MISSING = 0.015  # reports lost on the way to the ACS
PING_PROBES = 20
CHANNELS_24 = np.array([1, 6, 11], np.int32)
S = 1_000_000
SPAN = 1 << 32  # seconds per line in the event keys
# Evening peak: how much of the busy hour each clock hour carries (20:00-22:00 the most).
PEAK = np.array([0.0] * 18 + [0.3, 0.6, 1.0, 1.0, 0.7, 0.3], np.float32)
WEEKEND_PEAK = np.maximum(PEAK, np.array([0.0] * 10 + [0.25] * 8 + [0.0] * 6, np.float32))
LOS_DBM = -30.5  # below this the ONT loses the downstream and drops off the ACS


@dataclass(frozen=True)
class Homes:
    """Per line: its plan and gateway, and the baselines its KPIs vary around."""

    plan: np.ndarray
    plan_up: np.ndarray
    wan_cap: np.ndarray  # what plan, gateway and ONT port let through, Mbit/s
    phy: np.ndarray  # Wi-Fi PHY rate to the household's clients at full signal
    cpu: np.ndarray
    temp: np.ndarray
    base_rx: np.ndarray
    base_tx: np.ndarray
    rtt: np.ndarray
    signal: np.ndarray
    noise: np.ndarray
    util: np.ndarray
    dns_rtt: np.ndarray
    dns_fail: np.ndarray
    loss: np.ndarray
    efficiency: np.ndarray  # speed-test efficiency (server, TCP stack)
    heavy: np.ndarray  # a household that streams and games all evening
    busy_port: np.ndarray  # its PON port's evening load short of congestion, 0..1
    garden: np.ndarray  # one client sometimes far away (garden, balcony)
    volume: np.ndarray
    offset_s: np.ndarray


@dataclass(frozen=True)
class History:
    """Gateway events of the window: boots and channel changes, keyed line * SPAN + s."""

    start_us: int
    boot_key: np.ndarray
    boot_base: np.ndarray  # boots before the window, per line
    last_boot_us: np.ndarray  # per line, the boot before the window
    chan_key: np.ndarray
    chan_value: np.ndarray
    chan_first: np.ndarray  # per line, its 2.4 GHz channel at the start
    boot_at: np.ndarray  # per line (and one past the last), its first entry in boot_key
    chan_at: np.ndarray  # the same in chan_key


def history(
    homes_n: int,
    eps: sc.Episodes,
    care,
    boot_s: np.ndarray,
    start_us: int,
    days: int,
    rng: np.random.Generator,
) -> History:
    """Boots (unplugged, crashed, rebooted by a repair) and channel changes of the window."""
    end_us = start_us + days * US_PER_DAY
    unplugged = rng.poisson(0.015 * days, homes_n)
    line = [np.repeat(np.arange(homes_n), unplugged)]
    when = [start_us + (rng.random(len(line[0])) * (end_us - start_us)).astype(np.int64)]
    cpe = np.flatnonzero(eps.kind == sc.CPE_FAULT)
    lo, hi = np.maximum(eps.onset[cpe], start_us), np.minimum(eps.end[cpe], end_us)
    span = np.maximum(hi - lo, 0)
    crashes = rng.poisson(1.2 * eps.sev[cpe] * span / US_PER_DAY)
    line.append(np.repeat(eps.line[cpe], crashes))
    when.append(np.repeat(lo, crashes) + (rng.random(crashes.sum()) * np.repeat(span, crashes)))
    rebooted = (care.r_line >= 0) & np.isin(care.r_action, (REBOOT, FIRMWARE))
    line.append(care.r_line[rebooted])
    when.append(care.r_time[rebooted] + 60 * S)
    boot_line = np.concatenate(line)
    boot_key = np.sort(boot_line * SPAN + (np.concatenate(when).astype(np.int64) - start_us) // S)
    changed = (care.r_line >= 0) & (care.r_action == 0)
    chan_first = CHANNELS_24[rng.choice(3, homes_n, p=[0.35, 0.4, 0.25])]
    chan_line, chan_time = care.r_line[changed], care.r_time[changed]
    order = np.lexsort((chan_time, chan_line))
    chan_line, chan_time = chan_line[order], chan_time[order]
    # Each change moves the radio to one of the two other non-overlapping channels.
    value = np.empty(len(chan_line), np.int32)
    current = chan_first.copy()
    for i, (ln, step) in enumerate(zip(chan_line, rng.integers(1, 3, len(chan_line)), strict=True)):
        k = int(np.flatnonzero(current[ln] == CHANNELS_24)[0])
        current[ln] = value[i] = CHANNELS_24[(k + step) % 3]
    chan_key = chan_line * SPAN + (chan_time - start_us) // S
    per_line = np.arange(homes_n + 1) * SPAN
    return History(
        start_us,
        boot_key,
        rng.poisson(12, homes_n).astype(np.int32),
        start_us - boot_s.astype(np.int64) * S,
        chan_key,
        value,
        chan_first,
        np.searchsorted(boot_key, per_line),
        np.searchsorted(chan_key, per_line),
    )


def legacy_draws(rng: np.random.Generator, condition: np.ndarray) -> dict[str, np.ndarray]:
    """The draws the first KPI generator made from the plant stream, in its order.

    The alarms of a day are drawn after the KPIs from the same stream, so these draws
    must stay exactly as they were for the alarms to stay the same; the samples use them
    (the lost reports, six noise channels, Wi-Fi statistics skipped, clients, errors).
    """
    n = len(condition)
    keep = rng.random(n * SAMPLES_PER_DAY) >= MISSING
    line = np.repeat(np.arange(n), SAMPLES_PER_DAY)[keep]
    hour = np.tile(np.arange(SAMPLES_PER_DAY), n)[keep]
    m = len(line)
    noise = rng.standard_normal((6, m), dtype=np.float32)
    no_wifi = rng.random(m) < 0.01
    clients = rng.poisson(1 + DATA[hour] / 3).astype(np.int32)
    errors = rng.poisson(0.3, m)
    rng.poisson(150.0, int(np.count_nonzero(condition[line] == 1)))
    return {
        "line": line,
        "hour": hour,
        "noise": noise,
        "no_wifi": no_wifi,
        "clients": clients,
        "errors": errors,
    }


def _states(eps: sc.Episodes, line, hour, n: int, day: Day) -> dict[str, np.ndarray]:
    """Per sample, the severity of each kind of scenario active then."""
    m = len(line)
    sel = np.flatnonzero((eps.onset < day.start_us + US_PER_DAY) & (eps.end > day.start_us))
    pos = np.full((n, SAMPLES_PER_DAY), -1, np.int64)
    pos[line, hour] = np.arange(m)
    hours = day.start_us + np.arange(SAMPLES_PER_DAY) * US_PER_HOUR
    sev = eps.severity(sel[:, None], hours)
    which = np.broadcast_to(sel[:, None], sev.shape)
    return model.accumulate(eps, which.ravel(), pos[eps.line[sel]].ravel(), sev.ravel(), m)


def samples(
    homes: Homes,
    eps: sc.Episodes,
    hist: History,
    day: Day,
    legacy: dict[str, np.ndarray],
    rng: np.random.Generator,
) -> tuple[pa.Table, np.ndarray]:
    """The day's samples (a table in ``broadband_kpi`` order, without line ids) and each
    sample's line index.

    Rows are drawn in fixed-size chunks (the same for every province, so the draws do not
    depend on anything else), which keeps the temporaries in cache.
    """
    line, hour = legacy["line"], legacy["hour"]
    n = len(homes.plan)
    day_rows = {
        "line": line,
        "hour": hour,
        "t": day.start_us + hour * US_PER_HOUR + homes.offset_s[line] * S,
        "peak": (WEEKEND_PEAK if day.weekend else PEAK)[hour],
        "wander": rng.normal(0, 0.15, n).astype(np.float32)[line],
        "absent": _absent(line, hour, n, rng),
        **{f"n{k}": legacy["noise"][k] for k in range(6)},
        **{k: legacy[k] for k in ("no_wifi", "clients", "errors")},
        **_states(eps, line, hour, n, day),
    }
    tables, lines = [], []
    for lo in range(0, len(line), CHUNK):
        rows = {k: v[lo : lo + CHUNK] for k, v in day_rows.items()}
        table, kept = _chunk(homes, hist, rows, rng)
        tables.append(table)
        lines.append(rows["line"][kept])
    if not tables:
        return _chunk(homes, hist, day_rows, rng)[0], line
    return pa.concat_tables(tables), np.concatenate(lines)


def _chunk(homes: Homes, hist: History, r: dict, rng: np.random.Generator):
    """One chunk's samples, and which of its rows reached the ACS."""
    line, hour, t, peak = r["line"], r["hour"], r["t"], r["peak"]
    n0, n1, n2, n3, n4, n5 = (r[f"n{k}"] for k in range(6))
    m = len(line)
    st = {k: r[k] for k in model.STATES}
    x = model.expected(homes, line, st, peak, hour)
    # Four noise channels: the speed test's (down and up alike), the radio's (busy share,
    # retransmissions), the DNS relay's, and the clients' (rate, spread, temperature).
    z = rng.standard_normal((4, m), dtype=np.float32)
    u = rng.random((4, m), dtype=np.float32)

    rx = x["rx"] + 0.3 * n1 + r["wander"]
    auth_down = u[0] < x["auth_down"]
    loss = np.where(auth_down, 1.0, x["loss"])
    success = rng.binomial(PING_PROBES, 1 - loss).astype(np.int32)
    queue = x["queue"]
    avg = homes.rtt[line] + queue * (1 + 0.25 * np.abs(n3))
    answered = success > 0
    tested = (u[1] >= 0.04 + 0.4 * homes.heavy[line] * peak) & ~auth_down & (loss < 0.5)
    dl = x["dl"] * np.exp(0.05 * z[0])
    ul = x["ul"] * np.exp(0.05 * z[0])

    queries = np.round((5 + 40 * DATA[hour] / 9 * homes.volume[line]) * np.exp(0.3 * z[2]))
    queries = queries.astype(np.int32)
    fail_rate = np.where(auth_down, 1.0, np.minimum(x["dns_fail"], 1.0))
    failures = rng.binomial(queries, fail_rate).astype(np.int32)
    dns_rtt = x["dns_rtt"] * np.exp(0.25 * z[2])

    clients = r["clients"]
    cover = st["wifi_coverage"]
    signal = x["signal"] + 3 * n4
    spread = np.where(clients > 1, 5 + 3 * np.abs(z[3]) + 8 * cover, 0)
    spread = spread + np.where(homes.garden[line] & (u[2] < 0.2), 15, 0)
    noise = x["noise"] + 1.5 * n5
    util = np.clip(x["util"] + 4 * z[1], 1, 99)
    snr = signal - noise
    rate = homes.phy[line] * np.clip((snr - 10) / 30, 0.03, 1) * np.exp(0.1 * z[3])
    retrans = np.clip(x["retrans"] + 0.01 * z[1], 0.005, 0.8)
    rx_bytes = DATA[hour] * x["volume"] * 4e7 * np.exp(0.4 * n0)
    rx_bytes = np.where(auth_down, rx_bytes * 0.002, rx_bytes).astype(np.int64)
    packets = (rx_bytes * 0.85 / 1300).astype(np.int64)

    cpu = np.clip(np.round(x["cpu"] + 4 * n3), 1, 100)
    temp = homes.temp[line] + 0.08 * cpu + x["hot"] * (22 + 6 * peak) + 1.2 * z[3]
    link_downs = (u[3] < 0.002).astype(np.int32)
    downs = x["link_downs"] - 0.002
    some = np.flatnonzero(downs > 0.001)
    link_downs[some] += rng.poisson(downs[some]).astype(np.int32)
    errors = r["errors"].copy()
    weak = np.flatnonzero(rx < -25.5)
    errors[weak] += rng.poisson(40 * np.exp(np.minimum(2.3 * (-26 - rx[weak]), 12)))
    boots, uptime = _boots(hist, line, t)

    skipped = r["no_wifi"]
    no_wifi = skipped | (clients == 0)
    kept = (rx >= LOS_DBM) & ~r["absent"]
    up = ~answered
    columns = {
        "sample_time": (t, None),
        "optical_rx_dbm": (np.round(rx, 2), None),
        "optical_tx_dbm": (np.round(homes.base_tx[line] + 0.1 * n2 - 0.6 * x["hot"], 2), None),
        "bytes_received": (rx_bytes, None),
        "bytes_sent": (rx_bytes // 9, None),
        "errors_received": (errors, None),
        "ping_avg_ms": (np.round(avg, 1), up),
        "ping_min_ms": (np.round(homes.rtt[line] + 0.08 * queue, 1), up),
        "ping_max_ms": (np.round(avg + 2.5 * queue * (1 + 0.3 * np.abs(z[3])), 1), up),
        "ping_success": (success, None),
        "ping_failure": ((PING_PROBES - success).astype(np.int32), None),
        "dns_rtt_ms": (np.round(dns_rtt), failures >= queries),
        "dns_queries": (queries, None),
        "dns_failures": (failures, None),
        "download_mbps": (np.round(np.maximum(dl, 0.1), 1), ~tested),
        "upload_mbps": (np.round(np.maximum(ul, 0.1), 1), ~tested),
        "wifi_signal_dbm": (_half_db(signal), no_wifi),
        "wifi_signal_min_dbm": (_half_db(signal - spread), no_wifi),
        "wifi_noise_dbm": (_half_db(noise), no_wifi),
        "wifi_clients": (clients, skipped),
        "wifi_rate_mbps": (np.round(rate), no_wifi),
        "wifi_channel": (_channels(hist, line, t), skipped),
        "wifi_utilization_pct": (np.round(util), skipped),
        "wifi_packets_sent": (packets, no_wifi),
        "wifi_retransmissions": ((packets * retrans).astype(np.int64), no_wifi),
        "cpu_usage_pct": (cpu, None),
        "temperature_c": (np.round(temp).astype(np.int32), None),
        "boot_count": (boots, None),
        "uptime_s": (uptime, None),
        "wan_link_downs": (link_downs, None),
    }
    return _table(columns, None if kept.all() else kept), kept


def _half_db(dbm: np.ndarray) -> np.ndarray:
    """dBm in the 0.5 dB steps of the 802.11 RCPI and ANPI codes TR-181 reports."""
    return np.round(dbm * 2) / 2


def _table(columns: dict, kept: np.ndarray | None) -> pa.Table:
    """The columns (values, null mask) as a ``broadband_kpi`` table without line ids, only
    the rows ``kept`` (cutting numpy arrays is much cheaper than filtering Arrow ones)."""
    arrays = {}
    for name, (values, mask) in columns.items():
        kind = _TYPES[name]
        values = values.astype(kind.to_pandas_dtype() if name != "sample_time" else np.int64)
        if kept is not None:
            values, mask = values[kept], None if mask is None else mask[kept]
        arrays[name] = _arrow(values, kind, mask)
    return pa.table(arrays)


def _arrow(values: np.ndarray, kind: pa.DataType, mask: np.ndarray | None) -> pa.Array:
    """An Arrow array over ``values`` with nulls where ``mask``; built from its buffers,
    since ``pa.array(..., mask=)`` is some twenty times slower on floats."""
    if mask is None:
        return pa.Array.from_buffers(kind, len(values), [None, pa.py_buffer(values)])
    valid = np.packbits(~mask, bitorder="little")
    buffers = [pa.py_buffer(valid), pa.py_buffer(values)]
    return pa.Array.from_buffers(kind, len(values), buffers, null_count=int(mask.sum()))


def _absent(line, hour, n: int, rng: np.random.Generator) -> np.ndarray:
    """Samples that never reach the ACS besides lost reports: the gateway switched off for
    the night (some homes, some days) or the whole day lost (an ACS outage)."""
    off = rng.random(n) < 0.015
    lost_day = rng.random(n) < 0.002
    return (off[line] & (hour >= 1) & (hour <= 6)) | lost_day[line]


def _boots(hist: History, line: np.ndarray, t: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Boot count and uptime at each sample (few lines boot within the window: only their
    samples are looked up)."""
    first = hist.boot_at
    since = np.zeros(len(line), np.int64)
    last = hist.last_boot_us[line]
    rows = np.flatnonzero((first[1:] > first[:-1])[line])
    if len(rows):
        at, key = line[rows], line[rows] * SPAN + (t[rows] - hist.start_us) // S
        upto = np.searchsorted(hist.boot_key, key, "right")
        since[rows] = upto - first[at]
        booted = hist.start_us + (hist.boot_key[np.maximum(upto - 1, 0)] - at * SPAN) * S
        last[rows] = np.where(since[rows] > 0, booted, last[rows])
    return (hist.boot_base[line] + since).astype(np.int32), (t - last) // S


def _channels(hist: History, line: np.ndarray, t: np.ndarray) -> np.ndarray:
    first = hist.chan_at
    out = hist.chan_first[line]
    rows = np.flatnonzero((first[1:] > first[:-1])[line])
    if len(rows):
        key = line[rows] * SPAN + (t[rows] - hist.start_us) // S
        at = np.searchsorted(hist.chan_key, key, "right") - 1
        out[rows] = np.where(at >= first[line[rows]], hist.chan_value[np.maximum(at, 0)], out[rows])
    return out
