"""Gateway KPI samples reduced to one row per line and day: the line measures, and the
aggregates a diagnosis reads.

The measures (:data:`telcolens.broadband.measures.MEASURES`) are what the household gets:

- ``dl_mbps``, ``dl_peak_mbps``, ``ul_mbps``: the gateway's WAN speed test of each sample,
  capped by what its Wi-Fi clients could receive then (the Wi-Fi capacity below), averaged
  over the day (peak: samples taken 20:00-22:00). A gateway test alone never sees the home
  network, where most complaints start;
- ``latency_ms``, ``latency_peak_ms``: mean IPPing round trip; ``jitter_ms``: mean excess of
  a test's mean over its fastest probe (for exponential queueing delays, the mean absolute
  difference of successive round trips, which is what RFC 3550 jitter estimates);
- ``loss_pct``, ``loss_peak_pct``: lost probes over probes sent;
- ``dns_rtt_ms``, ``dns_fail_pct``: the DNS relay's mean answer time and failed queries;
- ``disconnections``: WAN link drops plus reboots.

A measure is null when the day has no sample that carries it. The Wi-Fi capacity of a
sample is ``wifi_rate_mbps x WIFI_AIRTIME x (1 - utilisation) x (1 - retransmitted share)``:
the clients' PHY rate, the share of it 802.11 delivers as throughput, and the airtime the
channel leaves free. Reboots are counted from the boot counter (its rise over the day) plus
one when the day's first sample shows a boot earlier that day (its uptime is shorter than
the time since midnight), so no window function is needed and a single day can be reduced
on its own.

Pure Ibis: DuckDB and Spark run the same expression.
"""

from __future__ import annotations

import ibis
import ibis.expr.types as ir

PEAK_HOURS = (20, 21)  # samples taken 20:00-22:00, as the measures' peak
OFF_PEAK_BEFORE = 18  # samples before 18:00 are off-peak
WIFI_AIRTIME = 0.6  # 802.11 throughput per bit of PHY rate, MAC overhead and aggregation

DIAGNOSTICS: dict[str, str] = {
    "samples": "KPI samples of the day.",
    "speed_tests": "Samples with a WAN download test result.",
    "wan_dl_mbps": "Mean WAN download test throughput (no Wi-Fi cap), Mbit/s.",
    "wan_dl_peak_mbps": "The same, samples taken 20:00-22:00.",
    "wan_dl_offpeak_mbps": "The same, samples taken before 18:00.",
    "wan_ul_mbps": "Mean WAN upload test throughput, Mbit/s.",
    "latency_offpeak_ms": "Mean ping round trip, samples taken before 18:00.",
    "no_service_samples": "Samples whose ping test got no answer at all.",
    "optical_rx_min_dbm": "Lowest received optical power.",
    "optical_rx_mean_dbm": "Mean received optical power.",
    "optical_tx_mean_dbm": "Mean transmitted optical power.",
    "errors_received": "Errored WAN packets received over the day.",
    "wan_link_downs": "WAN link drops without a reboot over the day.",
    "reboots": "Gateway boots during the day.",
    "wifi_capacity_mbps": "Mean Wi-Fi capacity towards the clients, Mbit/s.",
    "wifi_rate_mbps": "Mean client downlink PHY rate, Mbit/s.",
    "wifi_signal_dbm": "Mean client signal strength, dBm.",
    "wifi_weakest_dbm": "Mean signal of the weakest client, dBm.",
    "wifi_weakest_min_dbm": "Weakest client signal of the day, dBm.",
    "wifi_noise_dbm": "Mean noise plus interference on the clients' uplinks, dBm.",
    "wifi_utilization_pct": "Mean busy share of the 2.4 GHz channel, %.",
    "wifi_utilization_peak_pct": "The same, samples taken 20:00-22:00.",
    "wifi_retrans_pct": "Retransmitted share of packets sent to the clients, %.",
    "wifi_clients": "Mean associated clients.",
    "wifi_channels": "Distinct 2.4 GHz channels seen over the day (2+: the channel changed).",
    "cpu_mean_pct": "Mean gateway CPU load, %.",
    "cpu_max_pct": "Highest gateway CPU load, %.",
    "temperature_mean_c": "Mean gateway temperature, degrees Celsius.",
    "temperature_max_c": "Highest gateway temperature, degrees Celsius.",
    "bytes_received": "Bytes received on the WAN over the day.",
}


def line_days(kpi: ir.Table, *, wifi_airtime: float = WIFI_AIRTIME) -> ir.Table:
    """One row per (``line_id``, ``day``) of ``kpi`` (a ``broadband_kpi`` table): the
    :data:`~telcolens.broadband.measures.MEASURES` columns, then the :data:`DIAGNOSTICS`
    ones.

    Parameters
    ----------
    kpi
        Gateway samples with the ``broadband_kpi`` columns (a day's or many days').
    wifi_airtime
        Throughput per bit of Wi-Fi PHY rate used for the Wi-Fi capacity.
    """
    s = _per_sample(kpi, wifi_airtime)
    peak, off = s.peak, s.off_peak
    downs = s.wan_link_downs.sum()
    boots = (s.boot_count.max() - s.boot_count.min()) + ibis.ifelse(s.boot_margin.min() >= 0, 1, 0)
    reboots = ibis.ifelse(s.boot_count.count() > 0, boots, ibis.null("int64"))
    measures = {
        "dl_mbps": s.dl.mean(),
        "dl_peak_mbps": s.dl.mean(where=peak),
        "ul_mbps": s.ul.mean(),
        "latency_ms": s.ping_avg_ms.mean(),
        "latency_peak_ms": s.ping_avg_ms.mean(where=peak),
        "jitter_ms": s.jitter.mean(),
        "loss_pct": _share(s.ping_failure.sum(), s.probes.sum()),
        "loss_peak_pct": _share(s.ping_failure.sum(where=peak), s.probes.sum(where=peak)),
        "dns_rtt_ms": s.dns_rtt_ms.mean(),
        "dns_fail_pct": _share(s.dns_failures.sum(), s.dns_queries.sum()),
        "disconnections": ibis.ifelse(
            (s.wan_link_downs.count() + s.boot_count.count()) > 0,
            ibis.coalesce(downs, 0) + ibis.coalesce(reboots, 0),
            ibis.null("int64"),
        ),
    }
    diagnostics = {
        "samples": s.count(),
        "speed_tests": s.download_mbps.count(),
        "wan_dl_mbps": s.download_mbps.mean(),
        "wan_dl_peak_mbps": s.download_mbps.mean(where=peak),
        "wan_dl_offpeak_mbps": s.download_mbps.mean(where=off),
        "wan_ul_mbps": s.upload_mbps.mean(),
        "latency_offpeak_ms": s.ping_avg_ms.mean(where=off),
        "no_service_samples": s.no_answer.sum(),
        "optical_rx_min_dbm": s.optical_rx_dbm.min(),
        "optical_rx_mean_dbm": s.optical_rx_dbm.mean(),
        "optical_tx_mean_dbm": s.optical_tx_dbm.mean(),
        "errors_received": s.errors_received.sum(),
        "wan_link_downs": downs,
        "reboots": reboots,
        "wifi_capacity_mbps": s.wifi_capacity.mean(),
        "wifi_rate_mbps": s.wifi_rate_mbps.mean(),
        "wifi_signal_dbm": s.wifi_signal_dbm.mean(),
        "wifi_weakest_dbm": s.wifi_signal_min_dbm.mean(),
        "wifi_weakest_min_dbm": s.wifi_signal_min_dbm.min(),
        "wifi_noise_dbm": s.wifi_noise_dbm.mean(),
        "wifi_utilization_pct": s.wifi_utilization_pct.mean(),
        "wifi_utilization_peak_pct": s.wifi_utilization_pct.mean(where=peak),
        "wifi_retrans_pct": _share(s.wifi_retransmissions.sum(), s.wifi_packets_sent.sum()),
        "wifi_clients": s.wifi_clients.mean(),
        "wifi_channels": s.wifi_channel.nunique(),
        "cpu_mean_pct": s.cpu_usage_pct.mean(),
        "cpu_max_pct": s.cpu_usage_pct.max(),
        "temperature_mean_c": s.temperature_c.mean(),
        "temperature_max_c": s.temperature_c.max(),
        "bytes_received": s.bytes_received.sum(),
    }
    return s.group_by(["line_id", "day"]).aggregate(**measures, **diagnostics)


def _per_sample(kpi: ir.Table, airtime: float) -> ir.Table:
    t = kpi.sample_time
    hour = t.hour()
    retrans = ibis.ifelse(
        kpi.wifi_packets_sent > 0,
        kpi.wifi_retransmissions.cast("float64") / kpi.wifi_packets_sent,
        ibis.null("float64"),
    )
    free = 1 - kpi.wifi_utilization_pct / 100
    capacity = kpi.wifi_rate_mbps * airtime * free * (1 - ibis.coalesce(retrans, 0))
    return kpi.mutate(
        day=t.date(),
        peak=hour.isin(PEAK_HOURS),
        off_peak=hour < OFF_PEAK_BEFORE,
        wifi_capacity=capacity,
        dl=_capped(kpi.download_mbps, capacity),
        ul=_capped(kpi.upload_mbps, capacity),
        jitter=kpi.ping_avg_ms - kpi.ping_min_ms,
        probes=kpi.ping_success + kpi.ping_failure,
        no_answer=ibis.ifelse((kpi.ping_success == 0) & (kpi.ping_failure > 0), 1, 0),
        # Seconds from midnight to the sample, less its uptime: >= 0 when it booted that day.
        boot_margin=hour * 3600 + t.minute() * 60 + t.second() - kpi.uptime_s,
    )


def _capped(speed: ir.FloatingValue, capacity: ir.FloatingValue) -> ir.FloatingValue:
    """``speed`` capped by ``capacity`` where the sample has one."""
    return ibis.ifelse(capacity.notnull() & (capacity < speed), capacity, speed)


def _share(part: ir.NumericValue, whole: ir.NumericValue) -> ir.FloatingValue:
    """``part`` as a percentage of ``whole``, null where ``whole`` is null or 0."""
    return ibis.ifelse(whole > 0, 100.0 * part / whole, ibis.null("float64"))
