"""Customer care over the window: who complains, what the operator does, what it fixes.

Day by day each line's experience of the evening before (when homes use the line most)
is scored from its active episodes (:func:`._broadband_model.badness`). A customer
complains with a probability that grows with how bad it is and how long it has lasted;
a third never complain, and a few with a healthy line do. The help desk files what the
customer said (a category that only loosely follows the cause) and most complaints get
a repair a day or so later: the right one for the cause when the agent reads the line
well, else one chosen from the category (a reboot for a street fault, a truck for a
Wi-Fi problem). A repair ends the episodes it fixes from that moment, so the KPIs change
after it; a reboot only relieves a failing gateway for a few days. When several lines
under one element complain, the network operations centre opens a ticket on the element.
Tickets are closed as fixed more often than they fix anything.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from telcolens.simulate import _broadband_model as model
from telcolens.simulate import _broadband_scenarios as sc
from telcolens.simulate.activity import US_PER_DAY, US_PER_HOUR

CATEGORIES = ("slow", "drops", "wifi", "no_service")
CHANNELS = ("hotline", "app", "wechat", "store")
CHANNEL_SHARE = (0.55, 0.25, 0.15, 0.05)
ACTIONS = ("remote_channel_change", "cpe_reboot", "firmware_push", "field_visit", "network_ticket")
CHANNEL_CHANGE, REBOOT, FIRMWARE, FIELD_VISIT, NETWORK_TICKET = range(len(ACTIONS))

SILENT = 0.33  # customers who never complain however bad it is
HEALTHY_RATE = 0.0006  # complaints per line-day with nothing planted
RATE = 0.16  # complaints per day of a complaining customer at badness 1, once fed up
REPAIRED = 0.75  # share of complaints that get a repair
READS_THE_LINE = 0.4  # share of repairs whose agent picks the action the cause needs

# What customers say, per cause (rows: healthy, then KINDS in order).
_SAY = np.array(
    [
        [0.45, 0.2, 0.3, 0.05],
        [0.3, 0.5, 0.05, 0.15],
        [0.3, 0.5, 0.05, 0.15],
        [0.3, 0.5, 0.05, 0.15],
        [0.35, 0.1, 0.55, 0.0],
        [0.4, 0.15, 0.45, 0.0],
        [0.35, 0.45, 0.1, 0.1],
        [0.8, 0.15, 0.05, 0.0],
        [0.8, 0.15, 0.05, 0.0],
        [0.3, 0.2, 0.0, 0.5],
    ]
)
# The action an agent picks from the category alone (rows: CATEGORIES; columns: ACTIONS).
_POLICY = np.array(
    [
        [0.15, 0.4, 0.05, 0.25, 0.15],
        [0.0, 0.35, 0.05, 0.4, 0.2],
        [0.5, 0.25, 0.05, 0.2, 0.0],
        [0.0, 0.15, 0.0, 0.5, 0.35],
    ]
)
# Chance that an action fixes an active episode of each kind (columns: KINDS).
_FIXES = np.array(
    [
        [0, 0, 0, 0.05, 0.75, 0, 0, 0, 0],
        [0, 0, 0, 0, 0.2, 0, 0, 0, 0.25],
        [0, 0, 0, 0, 0.1, 0.1, 0, 0, 0.1],
        [0.85, 0.15, 0.05, 0.8, 0.6, 0.9, 0, 0, 0.1],
        [0.1, 0.8, 0.85, 0, 0, 0, 0.5, 0.5, 0.85],
    ]
)
FIRMWARE_FIXES_LEAK = 0.85
# The right action per kind (a leaking firmware wants a push, a hot gateway a swap).
RIGHT = np.array(
    [
        FIELD_VISIT,
        NETWORK_TICKET,
        NETWORK_TICKET,
        FIELD_VISIT,
        CHANNEL_CHANGE,
        FIELD_VISIT,
        NETWORK_TICKET,
        NETWORK_TICKET,
        NETWORK_TICKET,
    ]
)
NONE, FIXED, TEMPORARY = 0, 1, 2
EFFECTS = ("none", "fixed", "temporary")


@dataclass
class Care:
    """Complaints and repairs of the window, time-ordered, with their truth."""

    c_line: np.ndarray
    c_time: np.ndarray
    c_category: np.ndarray
    c_channel: np.ndarray
    c_kind: np.ndarray  # truth: the worst active scenario then (-1: none)
    c_badness: np.ndarray
    r_line: np.ndarray  # -1: an element ticket
    r_fault: np.ndarray  # truth: the fault an element ticket targets, else the line's
    r_time: np.ndarray
    r_action: np.ndarray
    r_complaint: np.ndarray  # index into the complaints, -1: none
    r_closed_fixed: np.ndarray
    r_kind: np.ndarray  # truth: the scenario it was aimed at (-1: healthy)
    r_effect: np.ndarray
    r_right: np.ndarray  # truth: 1 the action the cause needs, 0 another, -1 nothing needed


class _Log:
    """Complaints and repairs as they are drawn."""

    def __init__(self) -> None:
        self.complaints: list[tuple] = []
        self.repairs: list[tuple] = []


def simulate(
    eps: sc.Episodes,
    faults: sc.Faults,
    homes,
    start_us: int,
    days: int,
    rng: np.random.Generator,
) -> Care:
    """Draw the window's complaints and repairs; ends (and splits) ``eps`` in place."""
    n = len(homes.plan)
    end_us = start_us + days * US_PER_DAY
    prop = np.where(rng.random(n) < SILENT, 0.0, rng.lognormal(0, 0.5, n))
    last_complaint = np.full(n, -(10**18), np.int64)
    by_line: dict[int, list[int]] = {}
    for i, line in enumerate(eps.line.tolist()):
        by_line.setdefault(line, []).append(i)
    next_ticket = np.full(len(faults.kind), -(10**18), np.int64)
    log = _Log()
    for d in range(days):
        # Customers call about the evening before (so never before the trouble began).
        t_eval = start_us + d * US_PER_DAY - 4 * US_PER_HOUR
        active = np.flatnonzero((eps.onset <= t_eval) & (eps.end > t_eval))
        bad, worst = model.badness(homes, eps, active, np.int64(t_eval), n)
        since = np.full(n, t_eval, np.int64)
        np.minimum.at(since, eps.line[active], eps.onset[active])
        fed_up = 1 - np.exp(-(t_eval - since) / US_PER_DAY / 2)
        p = HEALTHY_RATE + prop * RATE * bad * fed_up
        p = np.where(t_eval - last_complaint < 3 * US_PER_DAY, p * 0.2, p)
        who = np.flatnonzero(rng.random(n) < p)
        when = start_us + d * US_PER_DAY + ((8 + 14 * rng.random(len(who))) * US_PER_HOUR)
        last_complaint[who] = t_eval
        kind = worst[who]
        said = _pick(_SAY[kind + 1], rng)
        channel = _pick(np.tile(CHANNEL_SHARE, (len(who), 1)), rng)
        for j in range(len(who)):
            index = len(log.complaints)
            log.complaints.append((who[j], int(when[j]), said[j], channel[j], kind[j], bad[who[j]]))
            if rng.random() < REPAIRED:
                delay = max(1.0, rng.lognormal(np.log(20), 0.6)) * US_PER_HOUR
                t = int(when[j] + delay)
                if t < end_us:
                    _line_repair(
                        eps, by_line, faults, int(who[j]), t, index, said[j], int(kind[j]), log, rng
                    )
        # The operations centre looks at the day's complaints that evening.
        _noc_tickets(eps, faults, t_eval + US_PER_DAY, end_us, next_ticket, log, rng)
    care, rank = _care(log)
    if len(rank):
        eps.ended_by = np.where(eps.ended_by >= 0, rank[np.maximum(eps.ended_by, 0)], -1)
    return care


def _pick(probs: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """One draw per row of ``probs`` (rows sum to 1)."""
    cum = np.cumsum(probs, axis=1)
    return (rng.random(len(probs))[:, None] > cum[:, :-1]).sum(axis=1).astype(np.int8)


def _line_repair(eps, by_line, faults, line, t, complaint, said, kind, log, rng) -> None:
    detail = -1
    if kind >= 0:
        here = [e for e in by_line[line] if eps.kind[e] == kind and eps.onset[e] <= t]
        detail = int(eps.detail[here[0]]) if here else -1
    right = -1
    if kind >= 0:
        right = FIRMWARE if kind == sc.CPE_FAULT and detail == 1 else int(RIGHT[kind])
    if kind >= 0 and rng.random() < READS_THE_LINE:
        action = right
    else:
        action = int(_pick(_POLICY[[said]], rng)[0])
    repair = len(log.repairs)
    effect = NONE
    for e in list(by_line.get(line, [])):
        if not (eps.onset[e] <= t < eps.end[e]):
            continue
        k = int(eps.kind[e])
        outcome = _outcome(action, k, int(eps.detail[e]), rng)
        if outcome == TEMPORARY:
            _continue_later(eps, by_line, e, t, rng)
        elif outcome == FIXED:
            _end(eps, faults, e, t, repair, rng)
        if k == kind and outcome != NONE:
            effect = outcome
    fault = -1
    if kind >= 0:
        owned = [e for e in by_line[line] if eps.kind[e] == kind]
        fault = int(eps.fault[owned[0]]) if owned else -1
    closed = _closed(effect, rng)
    good = -1 if right < 0 else int(action == right)
    log.repairs.append((line, fault, t, action, complaint, closed, kind, effect, good))


def _outcome(action: int, kind: int, detail: int, rng: np.random.Generator) -> int:
    if kind == sc.CPE_FAULT and action == REBOOT:
        return TEMPORARY  # memory freed, fans spun down: back in a few days
    p = _FIXES[action, kind]
    if kind == sc.CPE_FAULT and action == FIRMWARE and detail == 1:
        p = FIRMWARE_FIXES_LEAK
    return FIXED if rng.random() < p else NONE


def _end(eps: sc.Episodes, faults: sc.Faults, e: int, t: int, repair: int, rng) -> None:
    """End episode ``e`` at ``t``; a shared fault ends on every line under its element.

    Optics are cleaned or spliced on the visit; capacity takes days to add.
    """
    if eps.kind[e] in (sc.PORT_CONGESTION, sc.OLT_CONGESTION):
        t += int(rng.uniform(1, 7) * US_PER_DAY)
    f = int(eps.fault[e])
    which = np.flatnonzero((eps.fault == f) & (eps.end > t)) if f >= 0 else np.array([e])
    eps.end[which] = t
    eps.ended_by[which] = repair
    if f >= 0:
        faults.end[f] = min(int(faults.end[f]), t)


def _continue_later(eps, by_line, e: int, t: int, rng: np.random.Generator) -> None:
    back = t + int(rng.uniform(1, 4) * US_PER_DAY)
    old_end = int(eps.end[e])
    eps.end[e] = t
    if back < old_end:
        again = eps.take(np.array([e]))
        again.onset[:] = back
        again.end[:] = old_end
        again.ramp_us[:] = 0
        again.ended_by[:] = -1
        by_line[int(eps.line[e])].append(len(eps))
        eps.extend(again)


def _closed(effect: int, rng: np.random.Generator) -> bool:
    return bool(rng.random() < (0.95 if effect == FIXED else 0.9 if effect == TEMPORARY else 0.6))


def _noc_tickets(eps, faults, t_eval, end_us, next_ticket, log, rng) -> None:
    """A ticket on an element once two of its lines have complained within three days."""
    if not len(faults.kind) or not log.complaints:
        return
    recent = np.array([c[0] for c in log.complaints if t_eval - c[1] < 3 * US_PER_DAY])
    shared = np.flatnonzero(eps.fault >= 0)
    hit = shared[np.isin(eps.line[shared], recent)]
    counts = np.bincount(eps.fault[hit], minlength=len(faults.kind))
    ripe = (counts >= 2) & (faults.onset <= t_eval) & (faults.end > t_eval)
    for f in np.flatnonzero(ripe & (next_ticket <= t_eval)):
        if rng.random() >= 0.6:
            continue
        t = int(t_eval + rng.uniform(2, 16) * US_PER_HOUR)
        if t >= end_us:
            continue
        next_ticket[f] = t + 4 * US_PER_DAY
        kind = int(faults.kind[f])
        repair = len(log.repairs)
        effect = FIXED if rng.random() < _FIXES[NETWORK_TICKET, kind] else NONE
        if effect == FIXED:
            _end(eps, faults, int(np.flatnonzero(eps.fault == f)[0]), t, repair, rng)
        closed = _closed(effect, rng)
        log.repairs.append((-1, int(f), t, NETWORK_TICKET, -1, closed, kind, effect, 1))


def _care(log: _Log) -> tuple[Care, np.ndarray]:
    """The log as time-ordered arrays, and each repair's position in that order."""
    c = list(zip(*log.complaints, strict=True)) if log.complaints else [()] * 6
    r = list(zip(*log.repairs, strict=True)) if log.repairs else [()] * 9
    c_order = np.argsort(np.array(c[1], np.int64), kind="stable")
    rank = np.empty(len(c_order), np.int64)
    rank[c_order] = np.arange(len(c_order))
    r_order = np.argsort(np.array(r[2], np.int64), kind="stable")
    r_rank = np.empty(len(r_order), np.int64)
    r_rank[r_order] = np.arange(len(r_order))
    complaint = np.array(r[4], np.int64)
    care = Care(
        np.array(c[0], np.int64)[c_order],
        np.array(c[1], np.int64)[c_order],
        np.array(c[2], np.int8)[c_order],
        np.array(c[3], np.int8)[c_order],
        np.array(c[4], np.int64)[c_order],
        np.array(c[5], np.float64)[c_order],
        np.array(r[0], np.int64)[r_order],
        np.array(r[1], np.int64)[r_order],
        np.array(r[2], np.int64)[r_order],
        np.array(r[3], np.int8)[r_order],
        np.where(complaint >= 0, rank[np.maximum(complaint, 0)], -1)[r_order]
        if len(complaint)
        else complaint,
        np.array(r[5], bool)[r_order],
        np.array(r[6], np.int64)[r_order],
        np.array(r[7], np.int8)[r_order],
        np.array(r[8], np.int8)[r_order],
    )
    return care, r_rank
