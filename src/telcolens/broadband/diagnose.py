"""Poor broadband lines and the scenario behind each, with its evidence.

Per line and day (:func:`line_day_frame`): the line measures and diagnostic aggregates
(:mod:`~telcolens.broadband.line_days`), the perception score, the line's place in the
access network and plan, and a row for every line-day the gateway sent nothing (a dark
ONT). Then, per row (:func:`signs`, :func:`diagnose_line_days`), as Ibis expressions that
DuckDB and Spark run alike:

* **poor**: the evening was bad to live with, judged against the line's plan and its peers
  (lines of the same plan and gateway model, that day), not only on the Ofcom scale: the
  perception score fitted on UK lines of 2015 rates a 60 Mbit/s evening on a 500 Mbit/s
  plan as good;
* **signs** of each cause, in the TR-181 units the gateway reports (dBm, Mbit/s, %, ms);
* the **scenario** from the signs (optical first, then DNS/authentication, the gateway,
  the Wi-Fi when it is what caps the household's speed, shared congestion), with the side
  it lies on (home, street, network) and the action it needs.

Shared causes (one splitter, PON port or OLT for many lines) are found by
:mod:`~telcolens.broadband.grouping`; :func:`diagnose` runs the whole chain over a window of
days and returns one row per poor line and one ticket per shared cause. Thresholds are in
:class:`Settings`; how they were chosen is in docs/broadband.md.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import asdict, dataclass, fields, replace
from typing import Any, NamedTuple

import ibis
import ibis.expr.types as ir

from telcolens.broadband import grouping
from telcolens.broadband.line_days import line_days
from telcolens.broadband.perception import score_expr
from telcolens.errors import BadInput

# The scenarios the province plants, in the names its truth uses, each with its side.
SIDES = {
    "optical_line": "street",
    "optical_splitter": "street",
    "optical_port": "street",
    "wifi_coverage": "home",
    "wifi_interference": "home",
    "cpe_fault": "home",
    "port_congestion": "network",
    "olt_congestion": "network",
    "dns_auth": "network",
}
SCENARIOS = tuple(SIDES)
HOME_ACTIONS = ("remote_channel_change", "cpe_reboot", "firmware_push")
STREET_ACTIONS = ("field_visit",)
NETWORK_ACTIONS = ("network_ticket",)
SIDE_ACTIONS = {"home": HOME_ACTIONS, "street": STREET_ACTIONS, "network": NETWORK_ACTIONS}
# ITU-T G.984.2 Amendment 1 (2006), class B+ optical budget: the ONT must receive from
# -27 dBm (its sensitivity at a bit error ratio of 1e-10) up to -8 dBm (overload).
G984_B_PLUS = "ITU-T G.984.2 Amd.1 class B+ ONT receive window -27 to -8 dBm"
LINE_COLUMNS = ("line_id", "plan_mbps", "cpe_model", "olt_id", "port_id", "splitter_id")
SAMPLES_PER_DAY = 24  # the gateways report hourly


class DiagnosisError(BadInput):
    """Settings or inputs a diagnosis cannot use."""


@dataclass(frozen=True)
class Settings:
    """The thresholds of the diagnosis (units as the gateway reports them, decoded).

    The defaults were chosen by cross-validation across provinces of different seeds
    (docs/broadband.md, "Diagnosis and shared causes"); the optical window is the standard's.
    """

    # Poor: the evening speed the household got (Wi-Fi included) at most ``speed_share`` of
    # what its peers got, or of ``speed_mbps`` if they got more (more is not missed) ...
    speed_share: float = 0.4
    speed_mbps: float = 200.0
    score_below: float = 20.0  # or a perception score this low (Ofcom's worst fifth)
    score_drop: float = 25.0  # or this many points below the peers' median score
    loss_pct: float = 1.0  # or this share of ping probes lost (the day's or the evening's)
    latency_ms: float = 30.0  # or an evening round trip this long
    harm_rx_dbm: float = -27.5  # or a mean received power this low: bit errors, lost packets
    dns_poor_pct: float = 5.0  # or this share of DNS queries failing
    drops: int = 3  # or this many WAN drops and reboots in the day
    missing_samples: int = 8  # or this many of the day's 24 reports missing, the ONT dark
    # Optical (street): ITU-T G.984.2 class B+.
    rx_sensitivity_dbm: float = -27.0
    rx_overload_dbm: float = -8.0
    errors_per_day: int = 10_000  # errored WAN packets a day: bit errors near sensitivity
    # Wi-Fi (home).
    wifi_signal_dbm: float = -68.0  # mean client signal at or below: coverage
    wifi_noise_dbm: float = -88.0  # mean noise at or above: interference ...
    wifi_busy_pct: float = 50.0  # ... or the 2.4 GHz channel busy this share of the time
    wifi_bottleneck: float = 0.7  # evening speed below this share of the WAN test: Wi-Fi caps it
    # The gateway (home), against gateways of the same model that day.
    cpu_rise_pct: float = 20.0  # mean CPU load this many points above the model's median
    temperature_rise_c: float = 12.0  # hottest reading this much above the model's median
    reboots: int = 2
    # Congestion (network): the evening against the same day's off-peak hours.
    peak_latency_rise_ms: float = 8.0
    peak_speed_drop: float = 0.6  # peak WAN test at most this share of the off-peak one
    # DNS and authentication (network).
    dns_fail_pct: float = 2.0
    dns_rtt_ms: float = 80.0
    # Shared causes (grouping).
    shared_share: float = 0.5  # share of an element's lines showing the sign
    shared_min_lines: int = 2
    dark_samples: int = 4  # reports missing that count a line under an element as dark
    dark_share: float = 0.8  # share of an element's lines dark together: light lost
    olt_port_share: float = 0.6  # share of an OLT's ports congested: its uplink
    single_splitter_level: str = "splitter"  # a port with one splitter: which to name

    def __post_init__(self) -> None:
        if self.single_splitter_level not in ("splitter", "pon_port"):
            raise DiagnosisError("single_splitter_level is splitter or pon_port")
        if not 0 < self.shared_share <= 1 or not 0 < self.olt_port_share <= 1:
            raise DiagnosisError("shared_share and olt_port_share are shares in (0, 1]")
        if self.shared_min_lines < 1:
            raise DiagnosisError("shared_min_lines must be at least 1")

    def with_values(self, **values: Any) -> Settings:
        """A copy with ``values`` changed; unknown names are a :class:`DiagnosisError`."""
        known = {f.name for f in fields(self)}
        unknown = sorted(set(values) - known)
        if unknown:
            raise DiagnosisError(f"no diagnosis setting {', '.join(unknown)}")
        return replace(self, **values)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class Diagnosis(NamedTuple):
    """What :func:`diagnose` returns (Ibis tables)."""

    line_days: ir.Table  # every line-day of the window, its signs, poor and scenario
    diagnoses: ir.Table  # one row per line poor on some day of the window
    tickets: ir.Table  # one row per shared cause


# --- the line-day frame ------------------------------------------------------------------


def window_days(as_of: dt.date, days: int) -> list[dt.date]:
    """The ``days`` days before ``as_of``, oldest first."""
    if days < 1:
        raise DiagnosisError("a diagnosis window has at least one day")
    return [as_of - dt.timedelta(days=k) for k in range(days, 0, -1)]


def data_end(con: Any, kpi: ir.Table) -> dt.date:
    """The day after the last KPI sample: the default as-of date."""
    last = con.execute(kpi.sample_time.max())
    if last is None or last != last:  # None, or NaT from an empty table
        raise DiagnosisError("the broadband_kpi table has no samples: nothing to diagnose")
    return (last.date() if hasattr(last, "date") else last) + dt.timedelta(days=1)


def line_day_frame(
    kpi: ir.Table, lines: ir.Table, days: list[dt.date], params: dict | None = None
) -> ir.Table:
    """Every (line, day) of ``lines`` x ``days``: measures, score, diagnostics, peers.

    A line-day without samples (the ONT dark, the gateway off, the reports lost) is kept
    with ``samples`` 0 and null measures. ``peer_*``: medians of lines of the same plan and
    gateway model on the same day; ``window_*``: the line over the whole window.
    """
    day = kpi.sample_time.date()
    lo, hi = min(days), max(days)
    kpi = kpi.filter((day >= lo) & (day <= hi))
    scored = score_expr(line_days(kpi), params, columns=("score",))
    meta = lines.select(
        "line_id",
        "plan_mbps",
        "cpe_model",
        "olt_id",
        "splitter_id",
        port_id=lines.olt_id.concat("/", lines.pon_port),
    )
    grid = meta.cross_join(ibis.memtable({"day": days}, schema={"day": "date"}))
    t = grid.left_join(scored, ["line_id", "day"]).drop("line_id_right", "day_right")
    t = t.mutate(samples=ibis.coalesce(t.samples, 0))
    peers = t.group_by(["day", "plan_mbps", "cpe_model"]).aggregate(
        peer_dl_peak_mbps=t.dl_peak_mbps.median(),
        peer_wan_dl_offpeak_mbps=t.wan_dl_offpeak_mbps.median(),
        peer_score=t.score.median(),
    )
    # A gateway model's own idle load and heat: an old model runs busier and hotter.
    models = t.group_by(["day", "cpe_model"]).aggregate(
        peer_cpu_mean_pct=t.cpu_mean_pct.median(),
        peer_temperature_max_c=t.temperature_max_c.median(),
    )
    window = t.group_by("line_id").aggregate(
        window_dark_days=(t.samples == 0).sum(),
        window_rx_min_dbm=t.optical_rx_min_dbm.min(),
    )
    t = t.left_join(peers, ["day", "plan_mbps", "cpe_model"]).drop(
        "day_right", "plan_mbps_right", "cpe_model_right"
    )
    t = t.left_join(models, ["day", "cpe_model"]).drop("day_right", "cpe_model_right")
    return t.left_join(window, "line_id").drop("line_id_right")


# --- signs, poor, scenario ----------------------------------------------------------------


def _ratio(a: ir.NumericValue, b: ir.NumericValue) -> ir.FloatingValue:
    return ibis.ifelse(b > 0, a.cast("float64") / b, ibis.null("float64"))


def _true(cond: ir.BooleanValue) -> ir.BooleanValue:
    """``cond``, false where it is null (a missing KPI is no sign)."""
    return ibis.coalesce(cond, False)


def signs(t: ir.Table, s: Settings) -> ir.Table:
    """``t`` (a :func:`line_day_frame`) with each cause's signs and the harms that make a
    line-day poor, as boolean columns."""
    missing = SAMPLES_PER_DAY - t.samples
    dark = t.samples == 0
    peak_ratio = _ratio(t.wan_dl_peak_mbps, t.wan_dl_offpeak_mbps)
    wifi_share = _ratio(t.dl_peak_mbps, t.wan_dl_peak_mbps)
    t = t.mutate(
        missing_samples=missing,
        peak_speed_ratio=peak_ratio,
        peak_latency_rise_ms=t.latency_peak_ms - t.latency_offpeak_ms,
        wifi_share=wifi_share,
        speed_share=_ratio(t.dl_peak_mbps, ibis.least(t.peer_dl_peak_mbps, s.speed_mbps)),
        score_drop=t.peer_score - t.score,
    )
    low_rx = _true(t.optical_rx_min_dbm <= s.rx_sensitivity_dbm)
    window_low = _true(t.window_rx_min_dbm <= s.rx_sensitivity_dbm)
    sign_optical = (
        low_rx
        | _true(t.errors_received >= s.errors_per_day)
        | (dark & ((t.window_dark_days >= 2) | window_low))
    )
    sign_dns = (
        _true(t.dns_fail_pct >= s.dns_fail_pct)
        | _true(t.dns_rtt_ms >= s.dns_rtt_ms)
        | _true(t.no_service_samples > 0)
    )
    sign_cpe = (
        _true(t.cpu_mean_pct - t.peer_cpu_mean_pct >= s.cpu_rise_pct)
        | _true(t.temperature_max_c - t.peer_temperature_max_c >= s.temperature_rise_c)
        | _true(t.reboots >= s.reboots)
    )
    sign_coverage = _true(t.wifi_signal_dbm <= s.wifi_signal_dbm)
    sign_interference = _true(t.wifi_noise_dbm >= s.wifi_noise_dbm) | _true(
        t.wifi_utilization_pct >= s.wifi_busy_pct
    )
    sign_congestion = _true(t.peak_latency_rise_ms >= s.peak_latency_rise_ms) | _true(
        peak_ratio <= s.peak_speed_drop
    )
    harm_speed = _true(t.speed_share <= s.speed_share)
    harm = (
        harm_speed
        | _true(t.score < s.score_below)
        | _true(t.score_drop >= s.score_drop)
        | _true(ibis.greatest(t.loss_peak_pct, t.loss_pct) >= s.loss_pct)
        | _true(t.latency_peak_ms >= s.latency_ms)
        | _true(t.optical_rx_mean_dbm <= s.harm_rx_dbm)
        | _true(t.dns_fail_pct >= s.dns_poor_pct)
        | _true(t.no_service_samples > 0)
        | _true(t.disconnections >= s.drops)
    )
    return t.mutate(
        sign_optical=sign_optical,
        sign_dns=sign_dns,
        sign_cpe=sign_cpe,
        sign_coverage=sign_coverage,
        sign_interference=sign_interference,
        sign_congestion=sign_congestion,
        wifi_caps=_true(wifi_share < s.wifi_bottleneck),
        harm_speed=harm_speed,
        harmed=harm,
    )


def cause(t: ir.Table) -> ir.Table:
    """The scenario of each line-day from its signs and shared elements (grouping's
    ``optical_level`` and ``congestion_level``): null where no sign explains it.

    Optical power comes first (a dark or erring ONT explains everything after it), then
    DNS and authentication (the line works, its names do not), the gateway, then the Wi-Fi
    when it is what caps the household's speed, shared congestion, and the Wi-Fi again.
    """
    optical = ibis.cases(
        (t.optical_level == "pon_port", "optical_port"),
        (t.optical_level == "splitter", "optical_splitter"),
        else_="optical_line",
    )
    congestion = ibis.cases(
        (t.congestion_level == "olt", "olt_congestion"),
        else_="port_congestion",
    )
    congested = t.sign_congestion & t.congestion_level.notnull()
    scenario = ibis.cases(
        (t.sign_optical, optical),
        (t.sign_dns, "dns_auth"),
        (t.sign_cpe, "cpe_fault"),
        (t.wifi_caps & t.sign_coverage, "wifi_coverage"),
        (t.wifi_caps & t.sign_interference, "wifi_interference"),
        (congested, congestion),
        (t.sign_coverage, "wifi_coverage"),
        (t.sign_interference, "wifi_interference"),
        else_=ibis.null("string"),
    )
    return t.mutate(scenario=scenario)


def _side_action(t: ir.Table, s: Settings) -> ir.Table:
    side = t.scenario.substitute(SIDES, else_=ibis.null("string"))
    # A hot gateway is relieved by a reboot; one that is not hot but busy or rebooting
    # runs firmware that leaks: a push. Coverage is steered remotely (band steering,
    # channel width): a home-side cause never gets a truck.
    hot = _true(t.temperature_max_c - t.peer_temperature_max_c >= s.temperature_rise_c)
    action = ibis.cases(
        (t.scenario == "wifi_interference", "remote_channel_change"),
        (t.scenario == "wifi_coverage", "remote_channel_change"),
        ((t.scenario == "cpe_fault") & hot, "cpe_reboot"),
        (t.scenario == "cpe_fault", "firmware_push"),
        (side == "street", "field_visit"),
        (side == "network", "network_ticket"),
        else_=ibis.null("string"),
    )
    return t.mutate(side=side, action=action)


def diagnose_line_days(frame: ir.Table, settings: Settings | None = None) -> ir.Table:
    """Every line-day of ``frame`` (a :func:`line_day_frame`) with its signs, ``poor``,
    ``scenario``, ``side``, ``action``, ``evidence`` and the shared ``ticket_*`` it belongs
    to."""
    s = settings or Settings()
    t = signs(frame, s)
    t = grouping.shared_elements(t, s)
    # Reports missing in the evening hurt only where the ONT went dark (an optical sign,
    # its own or its splitter's): a gateway switched off at night is not a poor line.
    dark_harm = t.sign_optical & (t.missing_samples >= s.missing_samples)
    t = cause(t.mutate(harmed=t.harmed | dark_harm))
    t = t.mutate(poor=t.harmed & t.scenario.notnull())
    t = grouping.ticket_of(_side_action(t, s))
    return t.mutate(evidence=evidence(t, s))


# --- evidence ---------------------------------------------------------------------------


def _num(x: ir.NumericValue, digits: int = 1) -> ir.StringValue:
    """A number as JSON text (``null`` when missing); floats rounded to ``digits``."""
    text = x.round(digits).cast("string") if x.type().is_floating() else x.cast("string")
    return ibis.coalesce(text, "null")


def _items(pieces: list[tuple[ir.BooleanValue, Any]]) -> ir.StringValue:
    """The JSON strings of the pieces whose condition holds, comma-separated."""
    text: ir.StringValue = ibis.literal("")
    for cond, piece in pieces:
        text = text.concat(ibis.ifelse(cond, ibis.literal('"').concat(piece, '", '), ""))
    return text.re_replace(", $", "")


def _fields(t: ir.Table, names: tuple[str, ...]) -> ir.StringValue:
    parts = [ibis.literal(f'"{n}": ').concat(_num(t[n])) for n in names]
    out = parts[0]
    for part in parts[1:]:
        out = out.concat(", ", part)
    return out


# The KPIs each scenario's evidence lists (TR-181 values decoded: dBm, Mbit/s, %, ms).
KPIS = {
    "optical": (
        "optical_rx_min_dbm",
        "optical_rx_mean_dbm",
        "window_rx_min_dbm",
        "errors_received",
        "samples",
        "window_dark_days",
        "loss_pct",
    ),
    "dns_auth": ("dns_fail_pct", "dns_rtt_ms", "no_service_samples", "wan_link_downs"),
    "cpe_fault": (
        "cpu_mean_pct",
        "peer_cpu_mean_pct",
        "temperature_max_c",
        "peer_temperature_max_c",
        "reboots",
        "wan_dl_offpeak_mbps",
        "peer_wan_dl_offpeak_mbps",
    ),
    "wifi_coverage": (
        "wifi_signal_dbm",
        "wifi_weakest_dbm",
        "wifi_rate_mbps",
        "wifi_retrans_pct",
        "dl_peak_mbps",
        "wan_dl_peak_mbps",
    ),
    "wifi_interference": (
        "wifi_noise_dbm",
        "wifi_utilization_pct",
        "wifi_retrans_pct",
        "wifi_channels",
        "dl_peak_mbps",
        "wan_dl_peak_mbps",
    ),
    "congestion": (
        "wan_dl_peak_mbps",
        "wan_dl_offpeak_mbps",
        "latency_peak_ms",
        "latency_offpeak_ms",
        "loss_peak_pct",
        "congestion_share",
    ),
}
POOR_KPIS = ("score", "peer_score", "dl_peak_mbps", "peer_dl_peak_mbps", "plan_mbps")


def _signs(t: ir.Table, s: Settings) -> dict[str, ir.StringValue]:
    """Per scenario family, the signs that fired, as text with their thresholds."""
    n = _num
    rx = f"ITU-T G.984.2 class B+ sensitivity {s.rx_sensitivity_dbm:g} dBm"
    missing = t.missing_samples
    return {
        "optical": _items(
            [
                (
                    _true(t.optical_rx_min_dbm <= s.rx_sensitivity_dbm),
                    ibis.literal("optical_rx_min_dbm ").concat(
                        n(t.optical_rx_min_dbm), f" <= {s.rx_sensitivity_dbm:g} dBm ({rx})"
                    ),
                ),
                (
                    _true(t.errors_received >= s.errors_per_day),
                    ibis.literal("errors_received ").concat(
                        n(t.errors_received), f" >= {s.errors_per_day} a day (bit errors)"
                    ),
                ),
                (
                    t.samples == 0,
                    ibis.literal("no report all day (ONT dark; dark days in window ").concat(
                        n(t.window_dark_days), ")"
                    ),
                ),
                (
                    (missing >= s.missing_samples) & (t.samples > 0),
                    n(missing).concat(f" of {SAMPLES_PER_DAY} reports missing"),
                ),
                (
                    _true(t.window_rx_min_dbm <= s.rx_sensitivity_dbm)
                    & _true(t.optical_rx_min_dbm > s.rx_sensitivity_dbm),
                    ibis.literal("window_rx_min_dbm ").concat(
                        n(t.window_rx_min_dbm), f" <= {s.rx_sensitivity_dbm:g} dBm"
                    ),
                ),
                (
                    t.optical_level.notnull(),
                    ibis.literal("shared by ")
                    .concat(n((100 * t.optical_share).round(0)), "% of the ")
                    .concat(ibis.coalesce(t.optical_level, ""), "'s lines"),
                ),
            ]
        ),
        "dns_auth": _items(
            [
                (
                    _true(t.dns_fail_pct >= s.dns_fail_pct),
                    ibis.literal("dns_fail_pct ").concat(
                        n(t.dns_fail_pct), f" >= {s.dns_fail_pct:g} %"
                    ),
                ),
                (
                    _true(t.dns_rtt_ms >= s.dns_rtt_ms),
                    ibis.literal("dns_rtt_ms ").concat(n(t.dns_rtt_ms), f" >= {s.dns_rtt_ms:g} ms"),
                ),
                (
                    _true(t.no_service_samples > 0),
                    ibis.literal("no_service_samples ").concat(
                        n(t.no_service_samples), " > 0 with the optical link up (authentication)"
                    ),
                ),
            ]
        ),
        "cpe_fault": _items(
            [
                (
                    _true(t.cpu_mean_pct - t.peer_cpu_mean_pct >= s.cpu_rise_pct),
                    ibis.literal("cpu_mean_pct ")
                    .concat(n(t.cpu_mean_pct), " % >= the model's median ")
                    .concat(n(t.peer_cpu_mean_pct), f" + {s.cpu_rise_pct:g}"),
                ),
                (
                    _true(t.temperature_max_c - t.peer_temperature_max_c >= s.temperature_rise_c),
                    ibis.literal("temperature_max_c ")
                    .concat(n(t.temperature_max_c), " degrees Celsius >= the model's median ")
                    .concat(n(t.peer_temperature_max_c), f" + {s.temperature_rise_c:g}"),
                ),
                (
                    _true(t.reboots >= s.reboots),
                    ibis.literal("reboots ").concat(n(t.reboots), f" >= {s.reboots} a day"),
                ),
            ]
        ),
        "wifi_coverage": _items(
            [
                (
                    t.sign_coverage,
                    ibis.literal("wifi_signal_dbm ").concat(
                        n(t.wifi_signal_dbm), f" <= {s.wifi_signal_dbm:g} dBm"
                    ),
                ),
                (t.wifi_caps, _caps_text(t, s)),
            ]
        ),
        "wifi_interference": _items(
            [
                (
                    _true(t.wifi_noise_dbm >= s.wifi_noise_dbm),
                    ibis.literal("wifi_noise_dbm ").concat(
                        n(t.wifi_noise_dbm), f" >= {s.wifi_noise_dbm:g} dBm"
                    ),
                ),
                (
                    _true(t.wifi_utilization_pct >= s.wifi_busy_pct),
                    ibis.literal("wifi_utilization_pct ").concat(
                        n(t.wifi_utilization_pct), f" >= {s.wifi_busy_pct:g} %"
                    ),
                ),
                (t.wifi_caps, _caps_text(t, s)),
            ]
        ),
        "congestion": _items(
            [
                (
                    _true(t.peak_latency_rise_ms >= s.peak_latency_rise_ms),
                    ibis.literal("latency 20:00-22:00 ").concat(
                        n(t.peak_latency_rise_ms),
                        f" ms above off-peak (>= {s.peak_latency_rise_ms:g} ms)",
                    ),
                ),
                (
                    _true(t.peak_speed_ratio <= s.peak_speed_drop),
                    ibis.literal("WAN test 20:00-22:00 at ").concat(
                        n(t.peak_speed_ratio, 2), f" of off-peak (<= {s.peak_speed_drop:g})"
                    ),
                ),
                (
                    t.congestion_level.notnull(),
                    ibis.literal("shared by ")
                    .concat(n((100 * t.congestion_share).round(0)), "% of the ")
                    .concat(
                        ibis.ifelse(t.congestion_level == "olt", "OLT's ports", "port's lines")
                    ),
                ),
            ]
        ),
    }


def _caps_text(t: ir.Table, s: Settings) -> ir.StringValue:
    return (
        ibis.literal("dl_peak_mbps ")
        .concat(_num(t.dl_peak_mbps), f" < {s.wifi_bottleneck:g} x WAN test ")
        .concat(_num(t.wan_dl_peak_mbps), " Mbit/s (the Wi-Fi caps the speed)")
    )


def _harms(t: ir.Table, s: Settings) -> ir.StringValue:
    n = _num
    return _items(
        [
            (
                t.harm_speed,
                ibis.literal("evening speed ")
                .concat(n(t.dl_peak_mbps), f" Mbit/s <= {s.speed_share:g} x the least of ")
                .concat(f"{s.speed_mbps:g} and the peers' ", n(t.peer_dl_peak_mbps)),
            ),
            (
                _true(t.score_drop >= s.score_drop),
                ibis.literal("perception score ")
                .concat(n(t.score), " <= the peers' median ")
                .concat(n(t.peer_score), f" - {s.score_drop:g}"),
            ),
            (
                _true(t.score < s.score_below),
                ibis.literal("perception score ").concat(n(t.score), f" < {s.score_below:g}"),
            ),
            (
                _true(ibis.greatest(t.loss_peak_pct, t.loss_pct) >= s.loss_pct),
                ibis.literal("ping loss ").concat(
                    n(ibis.greatest(t.loss_peak_pct, t.loss_pct), 2), f" % >= {s.loss_pct:g} %"
                ),
            ),
            (
                _true(t.latency_peak_ms >= s.latency_ms),
                ibis.literal("latency 20:00-22:00 ").concat(
                    n(t.latency_peak_ms), f" ms >= {s.latency_ms:g} ms"
                ),
            ),
            (
                _true(t.optical_rx_mean_dbm <= s.harm_rx_dbm),
                ibis.literal("optical_rx_mean_dbm ").concat(
                    n(t.optical_rx_mean_dbm), f" <= {s.harm_rx_dbm:g} dBm"
                ),
            ),
            (
                _true(t.dns_fail_pct >= s.dns_poor_pct),
                ibis.literal("DNS failures ").concat(
                    n(t.dns_fail_pct), f" % >= {s.dns_poor_pct:g} %"
                ),
            ),
            (
                _true(t.no_service_samples > 0),
                n(t.no_service_samples).concat(" hours without service"),
            ),
            (
                _true(t.disconnections >= s.drops),
                ibis.literal("disconnections ").concat(n(t.disconnections), f" >= {s.drops}"),
            ),
            (
                t.sign_optical & (t.missing_samples >= s.missing_samples),
                n(t.missing_samples).concat(f" of {SAMPLES_PER_DAY} reports missing"),
            ),
        ]
    )


def _family(scenario: ir.StringValue) -> ir.StringValue:
    return ibis.cases(
        (scenario.startswith("optical"), "optical"),
        (scenario.endswith("congestion"), "congestion"),
        else_=scenario,
    )


def evidence(t: ir.Table, s: Settings) -> ir.StringValue:
    """The evidence of each line-day's scenario as JSON text: the signs that point to it
    and the harms that make the day poor (KPI, value, threshold), the scenario's KPIs and,
    for an optical cause, the G.984 window used. Null where there is no scenario."""
    family = _family(t.scenario)
    signs = _signs(t, s)
    sign_text = ibis.cases(*[(family == k, v) for k, v in signs.items()], else_="")
    kpis = ibis.cases(*[(family == k, _fields(t, v)) for k, v in KPIS.items()], else_="")
    optical = ibis.literal(f', "standard": "{G984_B_PLUS}", ').concat(
        f'"thresholds_dbm": [{s.rx_sensitivity_dbm:g}, {s.rx_overload_dbm:g}]'
    )
    text = (
        ibis.literal('{"signs": [')
        .concat(sign_text, '], "poor": [', _harms(t, s), '], "kpis": {')
        .concat(kpis, ", ", _fields(t, POOR_KPIS), "}")
        .concat(ibis.ifelse(family == "optical", optical, ""), "}")
    )
    return ibis.ifelse(t.scenario.notnull(), text, ibis.null("string"))


# --- the window ------------------------------------------------------------------------------

DIAGNOSIS_COLUMNS = (
    "line_id",
    "day",
    "scenario",
    "side",
    "action",
    "score",
    "evidence",
    "ticket_element",
    "ticket_level",
    "first_day",
    "poor_days",
    "olt_id",
    "port_id",
    "splitter_id",
)


def diagnoses_of(diagnosed: ir.Table) -> ir.Table:
    """One row per line poor on some day of the window: its latest poor day's diagnosis,
    when it was first poor and on how many days."""
    poor = diagnosed.filter(diagnosed.poor)
    span = poor.group_by("line_id").aggregate(
        first_day=poor.day.min(), last=poor.day.max(), poor_days=poor.count()
    )
    latest = poor.join(span, (poor.line_id == span.line_id) & (poor.day == span.last))
    return latest.select(*DIAGNOSIS_COLUMNS)


def diagnose_frame(frame: ir.Table, settings: Settings | None = None) -> Diagnosis:
    """:func:`diagnose` from a :func:`line_day_frame` already built (or materialised)."""
    diagnosed = diagnose_line_days(frame, settings)
    return Diagnosis(diagnosed, diagnoses_of(diagnosed), grouping.tickets(diagnosed, SIDES))


def diagnose(
    kpi: ir.Table,
    lines: ir.Table,
    days: list[dt.date],
    *,
    settings: Settings | None = None,
    params: dict | None = None,
) -> Diagnosis:
    """Diagnose the lines of ``lines`` over ``days`` from the gateways' ``kpi`` samples.

    Parameters
    ----------
    kpi, lines
        ``broadband_kpi`` and ``broadband_lines`` tables (any engine).
    days
        The window's days (:func:`window_days`); the samples of other days are not read.
    settings
        Thresholds; :class:`Settings`' defaults when None.
    params
        Perception parameters; the shipped ones when None.
    """
    return diagnose_frame(line_day_frame(kpi, lines, days, params), settings)
