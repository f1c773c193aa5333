"""The broadband ground truth: what was planted on which line and element, when, how bad
it made each day, what each complaint was really about and what each repair did.

Written under ``truth/`` for evaluation only (detectors never read it):

- ``broadband_lines``: per line its main scenario (``healthy`` if none), the scenario's
  side (home, street, network), a coarse ``condition`` and, for a healthy line that looks
  poor, its ``lookalike`` kind;
- ``broadband_scenarios``: one row per episode on a line (onset, end if within the window,
  severity, the shared fault it belongs to, the repair that ended it);
- ``broadband_faults``: one row per shared fault (its element: splitter, PON port or OLT,
  and how many lines it covers);
- ``broadband_line_days``: per line and day with an active episode, the worst scenario,
  how bad the day was in the evening (0..1) and whether that makes it ``poor``;
- ``broadband_complaint_truth`` and ``broadband_repair_truth``: per complaint the scenario
  behind it, per repair the scenario it was aimed at, whether the action was the right
  one and whether it fixed the cause (``effect``: fixed, temporary or none).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np
import pyarrow as pa

from telcolens.simulate import _broadband_care as care_
from telcolens.simulate import _broadband_model as model
from telcolens.simulate import _broadband_scenarios as sc
from telcolens.simulate import _broadband_topology as topo_
from telcolens.simulate.activity import US_PER_DAY, US_PER_HOUR

if TYPE_CHECKING:
    from telcolens.simulate.broadband import Lines

CONDITIONS = (
    "weak_optical",
    "weak_optical",
    "weak_optical",
    "weak_wifi",
    "noisy_wifi",
    "faulty_cpe",
    "congested",
    "congested",
    "service_fault",
)
LOOKALIKES = ("heavy_evening", "busy_port", "far_line", "garden_client", "old_cpe", "low_plan")
POOR = 0.3  # evening badness from which a line-day counts as poor
EVENING_ONLY = (sc.PORT_CONGESTION, sc.OLT_CONGESTION)


def tables(lines: Lines) -> dict[str, pa.Table]:
    days = _line_days(lines)
    line, day, kind, bad = days
    return {
        "broadband_lines": _lines(lines, days),
        "broadband_scenarios": _scenarios(lines),
        "broadband_faults": _faults(lines),
        "broadband_line_days": pa.table(
            {
                "line_id": lines.line_id[line],
                "day": pa.array((lines.start_us // US_PER_DAY + day).astype(np.int32), pa.date32()),
                "scenario": np.array(sc.KINDS)[kind].astype(object),
                "badness": np.round(bad, 3),
                "poor": bad >= POOR,
            }
        ),
        "broadband_complaint_truth": _complaints(lines),
        "broadband_repair_truth": _repairs(lines),
    }


def _window(lines: Lines) -> tuple[int, int]:
    return lines.start_us, lines.start_us + lines.days * US_PER_DAY


def _line_days(lines: Lines) -> tuple[np.ndarray, ...]:
    """Each line-day with an episode active: line index, day, worst scenario, badness."""
    eps, n = lines.episodes, len(lines.line_id)
    out: list[tuple[np.ndarray, ...]] = []
    for d in range(lines.days):
        lo = lines.start_us + d * US_PER_DAY
        on = (eps.onset < lo + US_PER_DAY) & (eps.end > lo)
        # Congestion hurts at the evening peak only: an episode that starts after the
        # day's 20:00-22:00 or ends before it leaves that evening as it was.
        evening = (eps.onset < lo + 22 * US_PER_HOUR) & (eps.end > lo + 20 * US_PER_HOUR)
        on = np.flatnonzero(on & (evening | ~np.isin(eps.kind, EVENING_ONLY)))
        # An episode that starts or ends that day is judged at its worst moment in it.
        at = np.clip(lo + 20 * US_PER_HOUR, eps.onset[on], eps.end[on] - 1)
        bad, worst = model.badness(lines.homes, eps, on, at, n)
        hit = np.unique(eps.line[on])
        first = np.full(n, -1, np.int64)
        first[eps.line[on][::-1]] = eps.kind[on][::-1]
        kind = np.where(worst[hit] >= 0, worst[hit], first[hit])
        out.append((hit, np.full(len(hit), d), kind, bad[hit]))
    line, day, kind, bad = (np.concatenate(c) for c in zip(*out, strict=True))
    return line.astype(np.int64), day.astype(np.int64), kind.astype(np.int64), bad


def _lines(lines: Lines, days: tuple[np.ndarray, ...]) -> pa.Table:
    line, _, kind, bad = days
    main = np.full(len(lines.line_id), -1, np.int64)
    order = np.lexsort((bad, line))  # each line's worst day last
    main[line[order]] = kind[order]
    has = main >= 0
    look = _lookalikes(lines, has)
    return pa.table(
        {
            "line_id": lines.line_id,
            "scenario": np.where(has, np.array(sc.KINDS)[np.maximum(main, 0)], "healthy"),
            "side": pa.array(np.array(sc.SIDE)[np.maximum(main, 0)], mask=~has),
            "condition": np.where(has, np.array(CONDITIONS)[np.maximum(main, 0)], "healthy"),
            "lookalike": pa.array(np.array(LOOKALIKES)[np.maximum(look, 0)], mask=look < 0),
        }
    )


def _lookalikes(lines: Lines, has: np.ndarray) -> np.ndarray:
    """For each line with nothing planted, the first look-alike trait it has (-1: none)."""
    h = lines.homes
    model = lines.table["cpe_model"].to_numpy(zero_copy_only=False)
    cap = topo_.spec_arrays(model)["wan_cap_mbps"]
    traits = [
        h.heavy > 0,
        h.busy_port > 0.12,
        h.base_rx < -24.5,
        h.garden,
        cap < h.plan * 0.9,
        h.plan <= 100,
    ]
    look = np.full(len(has), -1, np.int64)
    for k in range(len(traits) - 1, -1, -1):
        look = np.where(traits[k], k, look)
    return np.where(has, -1, look)


def _ts(us: np.ndarray, hi: int | None = None) -> pa.Array:
    us = np.asarray(us, np.int64)
    mask = us >= hi if hi is not None else None
    return pa.array(
        np.where(mask, 0, us) if mask is not None else us, pa.timestamp("us"), mask=mask
    )


def _scenarios(lines: Lines) -> pa.Table:
    eps = lines.episodes
    lo, hi = _window(lines)
    i = np.flatnonzero((eps.onset < hi) & (eps.end > lo))
    i = i[np.lexsort((eps.onset[i], eps.line[i]))]
    kind = eps.kind[i]
    detail = np.array(
        [
            sc.DETAILS[k][d] if k in sc.DETAILS else ""
            for k, d in zip(kind.tolist(), eps.detail[i].tolist(), strict=True)
        ],
        dtype=object,
    )
    return pa.table(
        {
            "line_id": lines.line_id[eps.line[i]],
            "scenario": np.array(sc.KINDS)[kind].astype(object),
            "side": np.array(sc.SIDE)[kind].astype(object),
            "detail": pa.array(detail, pa.string(), mask=detail == ""),
            "fault_id": pa.array(eps.fault[i] + 1, mask=eps.fault[i] < 0),
            "onset": _ts(eps.onset[i]),
            "end": _ts(eps.end[i], hi),
            "severity": np.round(eps.sev[i].astype(np.float64), 3),
            "ended_by_repair_id": pa.array(eps.ended_by[i] + 1, mask=eps.ended_by[i] < 0),
        }
    )


def _faults(lines: Lines) -> pa.Table:
    f, topo, eps = lines.faults, lines.topo, lines.episodes
    _, hi = _window(lines)
    k = len(f.kind)
    olt = np.where(
        f.kind == sc.OLT_CONGESTION,
        f.element,
        np.where(
            f.kind == sc.OPTICAL_SPLITTER,
            topo.port_olt[topo.splitter_port[np.minimum(f.element, len(topo.splitter_id) - 1)]],
            topo.port_olt[np.minimum(f.element, len(topo.port_id) - 1)],
        ),
    )
    shared = eps.fault >= 0
    ended = np.full(k, -1, np.int64)
    np.maximum.at(ended, eps.fault[shared], eps.ended_by[shared])
    return pa.table(
        {
            "fault_id": np.arange(1, k + 1, dtype=np.int64),
            "scenario": np.array(sc.KINDS)[f.kind].astype(object),
            "element_type": np.array([sc.ELEMENT_TYPE[int(x)] for x in f.kind], dtype=object),
            "element_id": np.array(
                [element_id(lines, int(a), int(b)) for a, b in zip(f.kind, f.element, strict=True)],
                dtype=object,
            ),
            "olt_id": lines.olt_id[olt].astype(object),
            "onset": _ts(f.onset),
            "end": _ts(f.end, hi),
            "severity": np.round(f.sev.astype(np.float64), 3),
            "lines": np.bincount(eps.fault[shared], minlength=k).astype(np.int32),
            "ended_by_repair_id": pa.array(ended + 1, mask=ended < 0),
        }
    )


def element_id(lines: Lines, kind: int, element: int) -> str:
    """The id of a shared fault's element: a splitter_id, ``olt_id/pon_port`` or olt_id."""
    if kind == sc.OPTICAL_SPLITTER:
        return str(lines.topo.splitter_id[element])
    if kind == sc.OLT_CONGESTION:
        return str(lines.olt_id[element])
    return str(lines.topo.port_id[element])


def _complaints(lines: Lines) -> pa.Table:
    c = lines.care
    kind = c.c_kind
    return pa.table(
        {
            "complaint_id": np.arange(1, len(c.c_line) + 1, dtype=np.int64),
            "line_id": lines.line_id[c.c_line],
            "scenario": np.where(kind >= 0, np.array(sc.KINDS)[np.maximum(kind, 0)], "healthy"),
            "badness": np.round(c.c_badness, 3),
        }
    )


def _repairs(lines: Lines) -> pa.Table:
    c = lines.care
    kind = c.r_kind
    return pa.table(
        {
            "repair_id": np.arange(1, len(c.r_line) + 1, dtype=np.int64),
            "scenario": np.where(kind >= 0, np.array(sc.KINDS)[np.maximum(kind, 0)], "healthy"),
            "fault_id": pa.array(c.r_fault + 1, mask=c.r_fault < 0),
            "right_action": pa.array(c.r_right == 1, mask=c.r_right < 0),
            "effect": np.array(care_.EFFECTS)[c.r_effect].astype(object),
            "fixed_cause": c.r_effect == care_.FIXED,
        }
    )
