"""What a line's gateway would measure on average, given its baselines and the scenarios
active on it, and how bad that is to live with.

One model serves the samples (:mod:`._broadband_kpi` adds the noise) and the truth (the
complaints, the poor line-days), so a scenario is as bad in the truth as it looks in the
KPIs. The physics: received optical power sets the packet loss (G.984 class B+: bit errors
from about -27 dBm); loss and round trip cap TCP throughput (Mathis et al., eight streams
of 1460-byte segments); a congested PON port or OLT uplink queues and shares its capacity
at the evening peak only; a weak signal or a busy channel lowers the clients' PHY rate
(about 30 dB of SNR for the top rate) and their airtime; a failing gateway's CPU cannot
forward at the plan's rate.
"""

from __future__ import annotations

import numpy as np

from telcolens.simulate import _broadband_scenarios as sc
from telcolens.simulate.activity import DATA as _DATA

STATES = (
    "drop",  # extra optical loss, dB (summed over a line's optical episodes)
    "wifi_coverage",
    "wifi_interference",
    "cpe_fault",
    "port_congestion",
    "olt_congestion",
    "dns_auth",  # DNS faults
    "leak",  # a failing gateway whose firmware leaks memory (rather than overheats)
    "auth",  # authentication faults
)
DATA = _DATA.astype(np.float32)
WIFI_AIRTIME = 0.6  # share of the PHY rate a client gets as throughput (MAC overhead)


def accumulate(eps: sc.Episodes, which: np.ndarray, rows: np.ndarray, sev: np.ndarray, m: int):
    """The state of ``m`` rows from episodes ``which`` at rows ``rows`` (same shape as
    ``which``, -1 for none) with severities ``sev``."""
    out = {k: np.zeros(m, np.float32) for k in STATES}
    kind, detail = eps.kind[which], eps.detail[which]
    ok = (rows >= 0) & (sev > 0)
    optical = ok & np.isin(kind, sc.OPTICAL)
    np.add.at(out["drop"], rows[optical], sev[optical])
    for k in (sc.WIFI_COVERAGE, sc.WIFI_INTERFERENCE, sc.CPE_FAULT, sc.PORT_CONGESTION):
        mine = ok & (kind == k)
        np.maximum.at(out[sc.KINDS[k]], rows[mine], sev[mine])
    mine = ok & (kind == sc.OLT_CONGESTION)
    np.maximum.at(out["olt_congestion"], rows[mine], sev[mine])
    variant = detail == 1
    leak = ok & (kind == sc.CPE_FAULT) & variant
    np.maximum.at(out["leak"], rows[leak], sev[leak])
    auth = ok & (kind == sc.DNS_AUTH) & variant
    np.maximum.at(out["auth"], rows[auth], sev[auth])
    dns = ok & (kind == sc.DNS_AUTH) & ~variant
    np.maximum.at(out["dns_auth"], rows[dns], sev[dns])
    return out


def expected(homes, line: np.ndarray, st: dict, peak: np.ndarray, hour: np.ndarray) -> dict:
    """Mean KPIs of rows (a line index, its state, the evening-peak weight and clock hour)."""
    h = homes
    heavy = h.heavy[line]
    cover, interf, cpe = st["wifi_coverage"], st["wifi_interference"], st["cpe_fault"]
    # A port busy at the peak without being a fault slows its lines the same way, less.
    busy = h.busy_port[line]
    pcong = 1 - (1 - st["port_congestion"]) * (1 - busy)
    ocong, dns, auth = st["olt_congestion"], st["dns_auth"], st["auth"]
    rx = h.base_rx[line] - st["drop"]
    optical_loss = np.where(rx < -27, 0.002 * np.exp(np.minimum(1.6 * (-27 - rx), 6)), 0)
    loss = h.loss[line] + peak * (0.004 * pcong + 0.006 * ocong) + optical_loss
    loss = np.minimum(loss, 0.9).astype(np.float32)
    queue = 0.5 + peak * (1.2 + 3 * heavy + 25 * pcong + 35 * ocong) + 8 * cpe
    queue = queue + np.where(loss > 0.01, 3.0, 0.0)
    rtt = h.rtt[line] + 1.2 * queue
    tcp = 8 * 11_680 / ((rtt + 5) / 1000) * 1.22 / np.sqrt(np.maximum(loss, 1e-5)) / 1e6
    shared = (1 - 0.85 * pcong * peak) * (1 - 0.8 * ocong * peak) * (1 - 0.04 * peak)
    gateway = (1 - 0.85 * cpe) * (1 - 0.25 * heavy * peak)
    eff = h.efficiency[line]
    dl = np.minimum(h.wan_cap[line] * shared, tcp) * gateway * eff
    up_cap = h.plan_up[line] * 1.1 * (1 - 0.3 * pcong * peak) * (1 - 0.85 * cpe)
    ul = np.minimum(up_cap, tcp / 2) * eff
    signal = h.signal[line] - 35 * cover
    noise = h.noise[line] + interf * (14 + 1.5 * peak)
    util = np.clip(h.util[line] + 10 * peak + interf * (45 + 15 * peak), 1, 99)
    snr = signal - noise
    rate = h.phy[line] * np.clip((snr - 10) / 30, 0.03, 1)
    retrans = np.clip(0.03 + 0.35 * np.clip((28 - snr) / 22, 0, 1) + 0.22 * interf, 0.005, 0.8)
    volume = h.volume[line] * (1 + 2 * heavy * peak)
    cpu = h.cpu[line] + 12 * DATA[hour] / 9 * np.minimum(h.volume[line], 3)
    cpu = cpu + 25 * heavy * peak + cpe * (45 + 10 * peak)
    hot = np.where(st["leak"] > 0, 0, cpe)
    return {
        "rx": rx,
        "loss": loss,
        "queue": queue,
        "rtt": rtt,
        "tcp": tcp,
        "dl": dl,
        "ul": ul,
        "signal": signal,
        "noise": noise,
        "util": util,
        "snr": snr,
        "rate": rate,
        "retrans": retrans,
        "wifi_capacity": rate * WIFI_AIRTIME * (1 - util / 100) * (1 - retrans),
        "dns_fail": h.dns_fail[line] + dns * (0.05 + 0.35 * dns),
        "dns_rtt": h.dns_rtt[line] * 1.03
        + peak * (15 * pcong + 20 * ocong)
        + np.where(dns > 0, 100 + 300 * dns, 0),
        "auth_down": 0.5 * auth,  # chance an hour has no service
        "link_downs": np.where(rx < -29, (-29 - rx) * 2 + 0.3, 0) + 2 * auth + 0.002,
        "crashes_per_day": 1.2 * cpe,
        "volume": volume,
        "cpu": cpu,
        "hot": hot,
    }


def experience(x: dict) -> np.ndarray:
    """How bad the expected KPIs are to live with, 0 (fine) .. 1 (unusable): download
    (200 Mbit/s fine, 10 unusable, Wi-Fi included), loss (0.1% .. 10%), latency (30 ..
    150 ms), DNS failures (0 .. 20%) and drops (0 .. 4 a day)."""
    got = np.minimum(x["dl"], x["wifi_capacity"]) * (1 - x["auth_down"])
    parts = (
        np.log(200 / np.maximum(got, 0.1)) / np.log(20),
        np.log10(np.maximum(x["loss"], 1e-6) / 0.001) / 2,
        (x["rtt"] - 30) / 120,
        np.maximum(x["dns_fail"], x["auth_down"]) / 0.2,
        (24 * x["link_downs"] + x["crashes_per_day"]) / 4,
    )
    fine = np.ones(len(got))
    for p in parts:
        fine *= 1 - np.clip(p, 0, 1)
    return 1 - fine


def badness(homes, eps: sc.Episodes, which: np.ndarray, t, n: int):
    """Per line, how much worse its evening is than it would be without its episodes
    ``which`` at ``t`` (0..1), and the kind of the episode that alone does the most harm
    (-1: none)."""
    bad, worst = np.zeros(n), np.full(n, -1, np.int64)
    if not len(which):
        return bad, worst
    lines, rows = np.unique(eps.line[which], return_inverse=True)
    sev = eps.severity(which, t)
    m = len(lines)
    peak, hour = np.ones(m, np.float32), np.full(m, 20)
    nothing = {k: np.zeros(m, np.float32) for k in STATES}
    clean = experience(expected(homes, lines, nothing, peak, hour))
    total = experience(expected(homes, lines, accumulate(eps, which, rows, sev, m), peak, hour))
    bad[lines] = np.clip(total - clean, 0, 1)
    best = np.zeros(m)
    kinds = eps.kind[which]
    for k in np.unique(kinds).tolist():
        alone = np.where(kinds == k, rows, -1)
        harm = experience(expected(homes, lines, accumulate(eps, which, alone, sev, m), peak, hour))
        harm = harm - clean
        better = harm > np.maximum(best, 1e-9)
        best = np.where(better, harm, best)
        worst[lines[better]] = k
    return bad, worst
