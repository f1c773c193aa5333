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
from collections.abc import Callable
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any, NamedTuple

import ibis
import ibis.expr.types as ir

from telcolens import engine as engines
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
EVENING_PROBES = 40  # IPPing probes of the 20:00-22:00 samples: two of twenty


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
    score_drop: float = 50.0  # or this many points below the peers' median score
    loss_pct: float = 1.0  # or this share of ping probes lost (the day's or the evening's)
    latency_ms: float = 20.0  # or an evening round trip this long
    harm_rx_dbm: float = -27.5  # or a mean received power this low: bit errors, lost packets
    dns_poor_pct: float = 5.0  # or this share of DNS queries failing
    drops: int = 3  # or this many WAN drops and reboots in the day
    missing_samples: int = 8  # or this many of the day's 24 reports missing, the ONT dark
    # Optical (street): ITU-T G.984.2 class B+.
    rx_sensitivity_dbm: float = -27.0
    rx_overload_dbm: float = -8.0
    errors_per_day: int = 10_000  # errored WAN packets a day: bit errors near sensitivity
    dim_db: float = 3.0  # mean power this far below the line's best day: dimmed (grouping)
    # Wi-Fi (home).
    wifi_signal_dbm: float = -72.0  # mean client signal at or below: coverage
    wifi_noise_dbm: float = -88.0  # mean noise at or above: interference ...
    wifi_busy_pct: float = 50.0  # ... or the 2.4 GHz channel busy this share of the time
    wifi_bottleneck: float = 0.7  # evening speed below this share of the WAN test: Wi-Fi caps it
    # The gateway (home), against gateways of the same model that day.
    cpu_rise_pct: float = 25.0  # mean CPU load this many points above the model's median
    temperature_rise_c: float = 12.0  # hottest reading this much above the model's median
    reboots: int = 2
    # Congestion (network): the evening against the same day's off-peak hours.
    peak_latency_rise_ms: float = 8.0
    peak_speed_drop: float = 0.6  # peak WAN test at most this share of the off-peak one
    # DNS and authentication (network).
    dns_fail_pct: float = 2.0
    dns_rtt_ms: float = 80.0
    # Shared causes (grouping).
    shared_share: float = 0.2  # share of an element's lines showing the sign
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
    with ``samples`` 0 and null measures, on the days some line reported and the line was
    installed. ``peer_*``: medians of lines of the same plan and
    gateway model on the same day; ``window_*``: the line over the whole window.
    """
    day = kpi.sample_time.date()
    kpi = kpi.filter((day >= min(days)) & (day <= max(days)))
    return frame_of(line_days(kpi), lines, days, params)


def frame_of(
    measured: ir.Table, lines: ir.Table, days: list[dt.date], params: dict | None = None
) -> ir.Table:
    """:func:`line_day_frame` from line-days already reduced (:func:`line_days` rows)."""
    scored = score_expr(measured, params, columns=("score",))
    meta = lines.select(
        "line_id",
        "plan_mbps",
        "cpe_model",
        "olt_id",
        "splitter_id",
        "install_date",
        port_id=lines.olt_id.concat("/", lines.pon_port),
    )
    # Only days some gateway reported on: a day missing from the data is no dark ONT.
    # (Literals, not an in-memory table: Ibis's PySpark ``cache`` does not register those.)
    present = measured.select("day").distinct()
    window = present.filter(present.day.isin(days))
    grid = meta.cross_join(window)
    grid = grid.filter(grid.install_date.isnull() | (grid.install_date <= grid.day))
    grid = grid.drop("install_date")
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
        window_rx_best_dbm=t.optical_rx_mean_dbm.max(),
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


def _num(x: ir.NumericValue, digits: int = 1) -> ir.StringValue:
    """A number as JSON text (``null`` when missing); floats rounded to ``digits``.

    Scaled to a whole number before rounding: DuckDB and Spark round 87.15 to one digit
    differently (its binary value is 87.1499...), but 871.5 alike.
    """
    if not x.type().is_floating():
        return ibis.coalesce(x.cast("string"), "null")
    scale = 10**digits
    return ibis.coalesce(((x * scale).round() / scale).cast("string"), "null")


@dataclass(frozen=True)
class Rule:
    """One sign of a cause (``family``) or one harm that makes a line-day poor (``poor``):
    when it holds, and what the evidence says of it (the KPI, its value, the threshold)."""

    family: str
    name: str
    when: Callable[[ir.Table, Settings], ir.BooleanValue]
    says: Callable[[ir.Table, Settings], ir.StringValue]


def _evening_loss(s: Settings) -> float:
    """The evening's loss that harms: ``loss_pct``, and at least two of its probes (one
    probe lost of forty is 2.5%, and a line losing 0.2% loses one on one evening in ten)."""
    return max(s.loss_pct, 200.0 / EVENING_PROBES)


def _says(column: str, rest: Callable[[Settings], str], digits: int = 1):
    """``column value rest``: the evidence text of a KPI against its threshold."""
    return lambda t, s: ibis.literal(f"{column} ").concat(_num(t[column], digits), rest(s))


RULES = (
    Rule(
        "optical",
        "low_rx",
        lambda t, s: t.optical_rx_min_dbm <= s.rx_sensitivity_dbm,
        _says(
            "optical_rx_min_dbm",
            lambda s: f" <= {s.rx_sensitivity_dbm:g} dBm (class B+ ONT sensitivity)",
        ),
    ),
    Rule(
        "optical",
        "bit_errors",
        lambda t, s: t.errors_received >= s.errors_per_day,
        _says("errors_received", lambda s: f" >= {s.errors_per_day} a day (bit errors)"),
    ),
    Rule(
        "optical",
        "dark",
        # A day without a report is an ONT without light only with another sign: a second
        # dark day, or power below sensitivity on another day (a lost day of reports
        # looks the same); or its splitter's lines dark too (grouping).
        lambda t, s: (
            (t.samples == 0)
            & ((t.window_dark_days >= 2) | (t.window_rx_min_dbm <= s.rx_sensitivity_dbm))
        ),
        lambda t, s: (
            ibis.literal("no report all day; dark days in the window ")
            .concat(_num(t.window_dark_days), ", lowest optical_rx_min_dbm in it ")
            .concat(_num(t.window_rx_min_dbm))
        ),
    ),
    Rule(
        "dns_auth",
        "dns_failures",
        lambda t, s: t.dns_fail_pct >= s.dns_fail_pct,
        _says("dns_fail_pct", lambda s: f" % >= {s.dns_fail_pct:g} %"),
    ),
    Rule(
        "dns_auth",
        "dns_slow",
        lambda t, s: t.dns_rtt_ms >= s.dns_rtt_ms,
        _says("dns_rtt_ms", lambda s: f" ms >= {s.dns_rtt_ms:g} ms"),
    ),
    Rule(
        "dns_auth",
        "no_service",
        lambda t, s: t.no_service_samples > 0,
        _says("no_service_samples", lambda s: " > 0 with the fibre up (authentication)"),
    ),
    Rule(
        "cpe_fault",
        "busy_cpu",
        lambda t, s: t.cpu_mean_pct - t.peer_cpu_mean_pct >= s.cpu_rise_pct,
        lambda t, s: _says("cpu_mean_pct", lambda s: " % >= the model's median ")(t, s).concat(
            _num(t.peer_cpu_mean_pct), f" + {s.cpu_rise_pct:g}"
        ),
    ),
    Rule(
        "cpe_fault",
        "hot",
        lambda t, s: t.temperature_max_c - t.peer_temperature_max_c >= s.temperature_rise_c,
        lambda t, s: _says("temperature_max_c", lambda s: " degrees Celsius >= the model's ")(
            t, s
        ).concat("median ", _num(t.peer_temperature_max_c), f" + {s.temperature_rise_c:g}"),
    ),
    Rule(
        "cpe_fault",
        "reboots",
        lambda t, s: t.reboots >= s.reboots,
        _says("reboots", lambda s: f" >= {s.reboots} a day"),
    ),
    Rule(
        "wifi_coverage",
        "weak_signal",
        lambda t, s: t.wifi_signal_dbm <= s.wifi_signal_dbm,
        _says("wifi_signal_dbm", lambda s: f" <= {s.wifi_signal_dbm:g} dBm"),
    ),
    Rule(
        "wifi_interference",
        "noise",
        lambda t, s: t.wifi_noise_dbm >= s.wifi_noise_dbm,
        _says("wifi_noise_dbm", lambda s: f" >= {s.wifi_noise_dbm:g} dBm"),
    ),
    Rule(
        "wifi_interference",
        "busy_channel",
        lambda t, s: t.wifi_utilization_pct >= s.wifi_busy_pct,
        _says("wifi_utilization_pct", lambda s: f" % >= {s.wifi_busy_pct:g} %"),
    ),
    Rule(
        "congestion",
        "evening_latency",
        lambda t, s: t.peak_latency_rise_ms >= s.peak_latency_rise_ms,
        lambda t, s: ibis.literal("latency 20:00-22:00 ").concat(
            _num(t.peak_latency_rise_ms),
            f" ms above off-peak (>= {s.peak_latency_rise_ms:g} ms)",
        ),
    ),
    Rule(
        "congestion",
        "evening_speed",
        lambda t, s: t.peak_speed_ratio <= s.peak_speed_drop,
        lambda t, s: ibis.literal("WAN test 20:00-22:00 at ").concat(
            _num(t.peak_speed_ratio, 2), f" of off-peak (<= {s.peak_speed_drop:g})"
        ),
    ),
    Rule(
        "poor",
        "slow",
        lambda t, s: t.speed_share <= s.speed_share,
        lambda t, s: (
            ibis.literal("evening speed ")
            .concat(_num(t.dl_peak_mbps), f" Mbit/s <= {s.speed_share:g} x the least of ")
            .concat(f"{s.speed_mbps:g} and the peers' ", _num(t.peer_dl_peak_mbps))
        ),
    ),
    Rule(
        "poor",
        "below_peers",
        lambda t, s: t.score_drop >= s.score_drop,
        lambda t, s: (
            ibis.literal("perception score ")
            .concat(_num(t.score), " <= the peers' median ")
            .concat(_num(t.peer_score), f" - {s.score_drop:g}")
        ),
    ),
    Rule(
        "poor",
        "low_score",
        lambda t, s: t.score < s.score_below,
        lambda t, s: ibis.literal("perception score ").concat(
            _num(t.score), f" < {s.score_below:g}"
        ),
    ),
    Rule(
        "poor",
        "loss",
        lambda t, s: (t.loss_pct >= s.loss_pct) | (t.loss_peak_pct >= _evening_loss(s)),
        lambda t, s: (
            ibis.literal("ping loss ")
            .concat(_num(t.loss_pct, 2), f" % (>= {s.loss_pct:g} %), 20:00-22:00 ")
            .concat(_num(t.loss_peak_pct, 2), f" % (>= {_evening_loss(s):g} %)")
        ),
    ),
    Rule(
        "poor",
        "latency",
        lambda t, s: t.latency_peak_ms >= s.latency_ms,
        lambda t, s: ibis.literal("latency 20:00-22:00 ").concat(
            _num(t.latency_peak_ms), f" ms >= {s.latency_ms:g} ms"
        ),
    ),
    Rule(
        "poor",
        "low_power",
        lambda t, s: t.optical_rx_mean_dbm <= s.harm_rx_dbm,
        _says("optical_rx_mean_dbm", lambda s: f" <= {s.harm_rx_dbm:g} dBm"),
    ),
    Rule(
        "poor",
        "dns_failing",
        lambda t, s: t.dns_fail_pct >= s.dns_poor_pct,
        _says("dns_fail_pct", lambda s: f" % >= {s.dns_poor_pct:g} %"),
    ),
    Rule(
        "poor",
        "outage",
        lambda t, s: t.no_service_samples > 0,
        lambda t, s: _num(t.no_service_samples).concat(" hours without service"),
    ),
    Rule(
        "poor",
        "drops",
        lambda t, s: t.disconnections >= s.drops,
        _says("disconnections", lambda s: f" >= {s.drops} a day"),
    ),
)
FAMILIES = ("optical", "dns_auth", "cpe_fault", "wifi_coverage", "wifi_interference", "congestion")


def signs(t: ir.Table, s: Settings) -> ir.Table:
    """``t`` (a :func:`line_day_frame`) with a boolean column per :data:`RULES` entry
    (``rule_<name>``), each family's sign (``sign_<family>``), whether the Wi-Fi caps the
    evening speed (``wifi_caps``), whether the day's probes show loss (``day_loss``),
    whether the power is ``dim_db`` below the line's best day (``dimmed``) and whether a
    harm makes the day poor (``harmed``)."""
    # NaN is no reading: DuckDB reads a NaN from pandas as NULL, Spark keeps it (and
    # orders it above every number), so it is made NULL on both.
    floats = [c for c, k in t.schema().items() if k.is_floating()]
    t = t.mutate(**{c: ibis.ifelse(t[c].isnan(), ibis.null("float64"), t[c]) for c in floats})
    t = t.mutate(
        missing_samples=SAMPLES_PER_DAY - t.samples,
        peak_speed_ratio=_ratio(t.wan_dl_peak_mbps, t.wan_dl_offpeak_mbps),
        peak_latency_rise_ms=t.latency_peak_ms - t.latency_offpeak_ms,
        wifi_share=_ratio(t.dl_peak_mbps, t.wan_dl_peak_mbps),
        speed_share=_ratio(t.dl_peak_mbps, ibis.least(t.peer_dl_peak_mbps, s.speed_mbps)),
        score_drop=t.peer_score - t.score,
    )
    t = t.mutate(**{f"rule_{r.name}": _true(r.when(t, s)) for r in RULES})
    grouped: dict[str, ir.BooleanValue] = {}
    for r in RULES:
        key = "harmed" if r.family == "poor" else f"sign_{r.family}"
        grouped[key] = grouped[key] | t[f"rule_{r.name}"] if key in grouped else t[f"rule_{r.name}"]
    return t.mutate(
        **grouped,
        wifi_caps=_true(t.wifi_share < s.wifi_bottleneck),
        # A fibre near sensitivity loses probes all day; one probe lost of the evening's
        # forty is already 2.5%, so the evening alone says nothing of the fibre.
        day_loss=_true(t.loss_pct >= s.loss_pct),
        # A shared fault dims every line under it by the same decibels, also the near
        # ones that stay in the window: against the line's own best day (the day-to-day
        # spread of a clean line's power is a few tenths of a dB).
        dimmed=_true(t.optical_rx_mean_dbm <= t.window_rx_best_dbm - s.dim_db),
    )


def cause(t: ir.Table) -> ir.Table:
    """The scenario of each line-day from its signs and shared elements (grouping's
    ``optical_level`` and ``congestion_level``): null where no sign explains it.

    The Wi-Fi first where it caps the household's speed and the fibre loses nothing; then
    optical power (a dark or erring ONT explains everything after it), DNS and
    authentication (the line works, its names do not), the gateway, the Wi-Fi when it caps
    the speed, shared congestion, and the Wi-Fi again.
    Congestion seen on no neighbour is no network cause (a household's own evening use).
    """
    optical = ibis.cases(
        (t.optical_level == "pon_port", "optical_port"),
        (t.optical_level == "splitter", "optical_splitter"),
        else_="optical_line",
    )
    congestion = ibis.ifelse(t.congestion_level == "olt", "olt_congestion", "port_congestion")
    congested = t.sign_congestion & t.congestion_level.notnull()
    # The Wi-Fi caps the speed of a line whose fibre drops nothing over the day: the Wi-Fi
    # it is, even with a weak optical sign (power near sensitivity, errors, a probe lost
    # in the evening).
    wifi_first = t.wifi_caps & (t.samples > 0) & ~t.day_loss & ~t.rule_low_power
    scenario = ibis.cases(
        (wifi_first & t.sign_wifi_coverage, "wifi_coverage"),
        (wifi_first & t.sign_wifi_interference, "wifi_interference"),
        (t.sign_optical, optical),
        (t.sign_dns_auth, "dns_auth"),
        (t.sign_cpe_fault, "cpe_fault"),
        (t.wifi_caps & t.sign_wifi_coverage, "wifi_coverage"),
        (t.wifi_caps & t.sign_wifi_interference, "wifi_interference"),
        (congested, congestion),
        (t.sign_wifi_coverage, "wifi_coverage"),
        (t.sign_wifi_interference, "wifi_interference"),
        else_=ibis.null("string"),
    )
    return t.mutate(scenario=scenario)


def _side_action(t: ir.Table) -> ir.Table:
    side = t.scenario.substitute(SIDES, else_=ibis.null("string"))
    # A hot gateway is relieved by a reboot; one that is not hot but busy or rebooting
    # runs firmware that leaks: a push. Coverage is steered remotely (band steering,
    # channel width): a home-side cause never gets a truck.
    action = ibis.cases(
        (t.scenario.isin(["wifi_interference", "wifi_coverage"]), "remote_channel_change"),
        ((t.scenario == "cpe_fault") & t.rule_hot, "cpe_reboot"),
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
    t = grouping.shared_elements(signs(frame, s), s)
    # Reports missing hurt only where the ONT went dark (an optical sign, its own or its
    # splitter's, and no report in the evening): a gateway off for the night is not poor.
    dark = (t.samples == 0) | t.latency_peak_ms.isnull()
    t = t.mutate(rule_dark_evening=t.sign_optical & (t.missing_samples >= s.missing_samples) & dark)
    t = cause(t.mutate(harmed=t.harmed | t.rule_dark_evening))
    t = t.mutate(poor=t.harmed & t.scenario.notnull())
    t = grouping.ticket_of(_side_action(t))
    return t.mutate(evidence=evidence(t, s))


# --- evidence ---------------------------------------------------------------------------

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


def _items(pieces: list[tuple[ir.BooleanValue, ir.StringValue]]) -> ir.StringValue:
    """The JSON strings of the pieces whose condition holds, comma-separated."""
    text: ir.StringValue = ibis.literal("")
    for cond, piece in pieces:
        text = text.concat(ibis.ifelse(cond, ibis.literal('"').concat(piece, '", '), ""))
    return text.re_replace(", $", "")


def _fields(t: ir.Table, names: tuple[str, ...]) -> ir.StringValue:
    out = ibis.literal("")
    for i, name in enumerate(names):
        out = out.concat(", " if i else "", f'"{name}": ', _num(t[name]))
    return out


def _context(t: ir.Table, s: Settings) -> dict[str, list[tuple[ir.BooleanValue, Any]]]:
    """The signs read off the line's neighbours and its Wi-Fi, per family."""
    shared = ibis.literal("shared by ").concat(_num((100 * t.optical_share).round(0)), "% of ")
    caps = (
        ibis.literal("dl_peak_mbps ")
        .concat(_num(t.dl_peak_mbps), f" < {s.wifi_bottleneck:g} x WAN test ")
        .concat(_num(t.wan_dl_peak_mbps), " Mbit/s (the Wi-Fi caps the speed)")
    )
    congested = (
        ibis.literal("shared by ")
        .concat(_num((100 * t.congestion_share).round(0)), "% of the ")
        .concat(ibis.ifelse(t.congestion_level == "olt", "OLT's ports", "port's lines"))
    )
    return {
        "optical": [
            (t.optical_level.notnull(), shared.concat("the ", t.optical_level, "'s lines"))
        ],
        "wifi_coverage": [(t.wifi_caps, caps)],
        "wifi_interference": [(t.wifi_caps, caps)],
        "congestion": [(t.congestion_level.notnull(), congested)],
    }


def evidence(t: ir.Table, s: Settings) -> ir.StringValue:
    """The evidence of each line-day's scenario as JSON text: the signs that point to it
    and the harms that make the day poor (KPI, value, threshold), the scenario's KPIs and,
    for an optical cause, the G.984 window used. Null where there is no scenario."""
    family = ibis.cases(
        (t.scenario.startswith("optical"), "optical"),
        (t.scenario.endswith("congestion"), "congestion"),
        else_=t.scenario,
    )
    context = _context(t, s)
    pieces = {
        k: [(t[f"rule_{r.name}"], r.says(t, s)) for r in RULES if r.family == k] for k in FAMILIES
    }
    harms = [(t[f"rule_{r.name}"], r.says(t, s)) for r in RULES if r.family == "poor"]
    harms.append(
        (
            t.rule_dark_evening,
            _num(t.missing_samples).concat(f" of {SAMPLES_PER_DAY} reports missing"),
        )
    )
    sign_text = ibis.cases(
        *[(family == k, _items(v + context.get(k, []))) for k, v in pieces.items()], else_=""
    )
    kpis = ibis.cases(*[(family == k, _fields(t, v)) for k, v in KPIS.items()], else_="")
    optical = ibis.literal(f', "standard": "{G984_B_PLUS}", ').concat(
        f'"thresholds_dbm": [{s.rx_sensitivity_dbm:g}, {s.rx_overload_dbm:g}]'
    )
    text = (
        ibis.literal('{"signs": [')
        .concat(sign_text, '], "poor": [', _items(harms), '], "kpis": {')
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
    return latest.select(*DIAGNOSIS_COLUMNS).order_by("line_id")


def diagnose_frame(frame: ir.Table, settings: Settings | None = None) -> Diagnosis:
    """:func:`diagnose` from a :func:`line_day_frame` already built (or materialised)."""
    diagnosed = diagnose_line_days(frame, settings)
    return Diagnosis(diagnosed, diagnoses_of(diagnosed), grouping.tickets(diagnosed, SIDES))


def flagged(diagnosed: ir.Table) -> ir.Table:
    """The line-days the diagnoses and tickets are made of: poor, or in a shared ticket
    (a few in a hundred; the rest need no evidence)."""
    return diagnosed.filter(diagnosed.poor | diagnosed.ticket_element.notnull())


def write_diagnosis(con: Any, result: Diagnosis, out: Path) -> tuple[Path, Path]:
    """Write ``result``'s diagnoses and tickets to OUT/diagnoses.parquet and
    OUT/tickets.parquet, computing the diagnosed line-days once for both."""
    with flagged(result.line_days).cache() as diagnosed:
        d = engines.write_parquet(con, diagnoses_of(diagnosed), out / "diagnoses.parquet")
        k = engines.write_parquet(con, grouping.tickets(diagnosed, SIDES), out / "tickets.parquet")
    return d, k


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
