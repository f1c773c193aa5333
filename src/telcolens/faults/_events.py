"""Alarm events as arrays, and the Hawkes excitation each event receives from earlier ones."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd


@dataclass(frozen=True)
class Events:
    """Alarms sorted by (device, time): type codes 0..V-1, device codes 0..N-1, times."""

    types: np.ndarray
    devices: np.ndarray
    times: np.ndarray
    n_types: int
    n_devices: int
    span: float

    @property
    def counts(self) -> np.ndarray:
        """Number of alarms of each type."""
        return np.bincount(self.types, minlength=self.n_types)


def make_events(alarms: pd.DataFrame, *, n_types: int, n_devices: int) -> Events:
    """Sort the alarms by device then time; drop exact repeats (same type, device, second)."""
    frame = alarms[["alarm_id", "device_id", "start_timestamp"]].drop_duplicates()
    frame = frame.sort_values(["device_id", "start_timestamp", "alarm_id"], kind="stable")
    times = frame["start_timestamp"].to_numpy(dtype=np.float64)
    span = float(times.max() - times.min()) + 1.0 if len(times) else 1.0
    return Events(
        types=frame["alarm_id"].to_numpy(dtype=np.int64),
        devices=frame["device_id"].to_numpy(dtype=np.int64),
        times=times - (times.min() if len(times) else 0.0),
        n_types=n_types,
        n_devices=n_devices,
        span=span,
    )


def hop_neighbours(topology: np.ndarray | None, n_devices: int, max_hop: int) -> list[list[int]]:
    """For each hop h in 1..max_hop, the devices at exactly h links from each device.

    Returned as a list over hops of lists over devices of index arrays; no topology means
    devices are unconnected, so alarms only act on their own device.
    """
    if topology is None or max_hop == 0:
        return []
    adjacency = (np.asarray(topology) != 0) & ~np.eye(n_devices, dtype=bool)
    reached = np.eye(n_devices, dtype=bool)
    frontier = np.eye(n_devices, dtype=bool)
    hops = []
    for _ in range(max_hop):
        frontier = ((frontier.astype(np.int64) @ adjacency.astype(np.int64)) > 0) & ~reached
        reached |= frontier
        hops.append([np.flatnonzero(row) for row in frontier])
    return hops


def _decayed_sums(
    src_t: np.ndarray, src_c: np.ndarray, tgt_t: np.ndarray, v: int, beta: float, side: str = "left"
):
    """Sum over sources strictly before each target of exp(-beta * lag), per source type."""
    out = np.zeros((len(tgt_t), v))
    if len(src_t) == 0 or len(tgt_t) == 0:
        return out
    # Running state just after each distinct source time, then decayed to each target.
    uniq = np.unique(src_t)
    state = np.zeros((len(uniq), v))
    np.add.at(state, (np.searchsorted(uniq, src_t), src_c), 1.0)
    decay = np.exp(-beta * np.diff(uniq))
    for k in range(1, len(uniq)):
        state[k] += state[k - 1] * decay[k - 1]
    last = np.searchsorted(uniq, tgt_t, side=side) - 1
    has = last >= 0
    out[has] = state[last[has]] * np.exp(-beta * (tgt_t[has] - uniq[last[has]]))[:, None]
    return out


def excitation(
    events: Events, hops: list[list[np.ndarray]], beta: float, same_time: bool = False
) -> np.ndarray:
    """Kernel-weighted count of earlier alarms seen by each alarm: (events, 1 + hops, types).

    The kernel is beta * exp(-beta * lag), so a coefficient on it is an expected number of
    offspring. Hop 0 is the alarm's own device; hop h the devices h links away.
    """
    v, n = events.n_types, events.n_devices
    out = np.zeros((len(events.times), 1 + len(hops), v))
    bounds = np.searchsorted(events.devices, np.arange(n + 1))
    for d in range(n):
        lo, hi = bounds[d], bounds[d + 1]
        if lo == hi:
            continue
        t = events.times[lo:hi]
        side = "right" if same_time else "left"
        out[lo:hi, 0] = _decayed_sums(t, events.types[lo:hi], t, v, beta, side)
        if same_time:
            out[np.arange(lo, hi), 0, events.types[lo:hi]] -= 1.0
        for h, ring in enumerate(hops, start=1):
            idx = np.concatenate([np.arange(bounds[e], bounds[e + 1]) for e in ring[d]] or [[]])
            idx = idx.astype(np.int64)
            order = np.argsort(events.times[idx], kind="stable")
            src = idx[order]
            out[lo:hi, h] = _decayed_sums(events.times[src], events.types[src], t, v, beta, side)
    return out * beta


def exposure(events: Events, hops: list[list[np.ndarray]], beta: float) -> np.ndarray:
    """Integral of each type's kernel over the devices it reaches: (1 + hops, types)."""
    tail = 1.0 - np.exp(-beta * (events.span - events.times))
    out = np.zeros((1 + len(hops), events.n_types))
    out[0] = np.bincount(events.types, weights=tail, minlength=events.n_types)
    for h, ring in enumerate(hops, start=1):
        reach = np.array([len(r) for r in ring], dtype=np.float64)[events.devices]
        out[h] = np.bincount(events.types, weights=tail * reach, minlength=events.n_types)
    return out
