"""The line measures: one vocabulary for a home line's network quality over a period.

The perception score (``perception``) is fitted on the Ofcom panel, whose lines were
measured by SamKnows routers over a month, and applied to the province's lines per day,
whose gateways report TR-181 samples. Both are first reduced to these measures, so one set
of fitted parameters scores both. A measure may be missing (null) for a line.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Measure:
    """One line measure: its unit, what it is, and whether larger values are better."""

    name: str
    unit: str
    description: str
    higher_is_better: bool


MEASURES: dict[str, Measure] = {
    m.name: m
    for m in (
        Measure("dl_mbps", "Mbit/s", "Mean download throughput of the period's speed tests.", True),
        Measure("dl_peak_mbps", "Mbit/s", "Mean download throughput, 20:00-22:00.", True),
        Measure("ul_mbps", "Mbit/s", "Mean upload throughput of the period's speed tests.", True),
        Measure("latency_ms", "ms", "Mean round-trip time of the gateway's ping tests.", False),
        Measure("latency_peak_ms", "ms", "Mean round-trip time, 20:00-22:00.", False),
        Measure("jitter_ms", "ms", "Mean variation of the round-trip time.", False),
        Measure("loss_pct", "%", "Share of ping probes lost.", False),
        Measure("loss_peak_pct", "%", "Share of ping probes lost, 20:00-22:00.", False),
        Measure("dns_rtt_ms", "ms", "Mean DNS resolution time.", False),
        Measure("dns_fail_pct", "%", "Share of DNS queries that failed.", False),
        Measure("disconnections", "count per day", "WAN disconnections per day.", False),
    )
}
