"""Learn which alarm types cause which from alarm history: a topological Hawkes process.

Each alarm type's intensity on a device is a per-device baseline plus excitation by
earlier (or same-second) alarms on that device and on its topology neighbours, with an
exponential kernel. For each effect type, candidate cause types are removed by backward
elimination while the likelihood ratio of keeping them is below the BIC price of their
parameters; the survivors, strongest first, form an acyclic graph.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from telcolens.faults._events import Events, excitation, exposure, hop_neighbours, make_events
from telcolens.faults._graph import greedy_dag
from telcolens.faults._hawkes import EffectData, em_fit, parent_statistics
from telcolens.faults._roots import burst_openers, orient_by_openers

# THP's published defaults (Cai et al. 2022, as gCastle's TTPM): one kernel decay of 0.1/s,
# influence up to 2 links away, one baseline rate per alarm type for all devices.
DEFAULT_DECAYS = (0.1,)
ORIENTATIONS = ("timing", "bursts")
BASELINES = ("shared", "per_device")


class CauseLearner:
    """Causal graph over alarm types from alarm events (and an optional device topology).

    Parameters
    ----------
    decays : candidate kernel decay rates (per second); with several, the one with the
        highest likelihood of the full model is used.
    max_hop : how many topology links an alarm's influence reaches.
    same_time : let alarms in the same second on the same or neighbouring devices count
        as possible causes of each other (timestamps cannot order them).
    baseline : "shared": one background rate per alarm type for all devices, as THP;
        "per_device": one per type and device, which explains so much of each device's
        alarms that few excitation edges pay their BIC price (docs/faults.md).
    penalty_scale : multiplies the BIC price, log(alarms) / 2 per parameter.
    orient : "timing" keeps the direction the Hawkes fit gives each edge; "bursts" points
        each kept pair from the type whose alarms more often open a burst (no other alarm
        on the device within 1 / decay seconds before) to the other. See docs/faults.md:
        it helps the microwave set a little and costs the wireless set a little.
    """

    def __init__(
        self,
        *,
        decays: Sequence[float] = DEFAULT_DECAYS,
        max_hop: int = 2,
        same_time: bool = False,
        baseline: str = "shared",
        penalty_scale: float = 1.0,
        orient: str = "timing",
    ) -> None:
        self.decays = decays
        self.max_hop = max_hop
        self.same_time = same_time
        self.baseline = baseline
        self.penalty_scale = penalty_scale
        self.orient = orient

    def fit(
        self,
        alarms: pd.DataFrame,
        topology: np.ndarray | None = None,
        *,
        on_step: Callable[[int, int], None] | None = None,
    ) -> CauseLearner:
        """Learn the graph from ``alarms`` (columns alarm_id, device_id, start_timestamp).

        ``on_step(done, total)`` is called as work advances, for a progress bar.
        """
        if self.orient not in ORIENTATIONS:
            raise ValueError(f"orient must be one of {ORIENTATIONS}, got {self.orient!r}")
        if self.baseline not in BASELINES:
            raise ValueError(f"baseline must be one of {BASELINES}, got {self.baseline!r}")
        n_types = int(alarms["alarm_id"].max()) + 1
        n_devices = int(alarms["device_id"].max()) + 1 if topology is None else len(topology)
        events = make_events(alarms, n_types=n_types, n_devices=n_devices)
        hops = hop_neighbours(topology, n_devices, self.max_hop)
        total = len(self.decays) + n_types
        self.decay_, self.loglik_by_decay_ = self._choose_decay(events, hops, on_step, total)
        phi = excitation(events, hops, self.decay_, same_time=self.same_time)
        kernel_mass = exposure(events, hops, self.decay_)
        threshold = self.penalty_scale * (1 + len(hops)) * np.log(len(events.times))
        strength = np.zeros((n_types, n_types))
        for j in range(n_types):
            data = _effect_data(events, phi, kernel_mass, j, shared=self.baseline == "shared")
            stats = parent_statistics(data, *_candidate_columns(n_types, len(hops), j), threshold)
            for parent, value in stats.items():
                strength[parent, j] = value
            if on_step is not None:
                on_step(len(self.decays) + j + 1, total)
        self.strength_ = strength
        self.openers_ = burst_openers(events, 1.0 / self.decay_)
        self.adjacency_ = greedy_dag(strength)
        if self.orient == "bursts":
            self.adjacency_ = orient_by_openers(self.adjacency_, self.openers_)
        self.n_types_ = n_types
        return self

    @property
    def edges_(self) -> pd.DataFrame:
        """The learned edges: cause, effect, strength (likelihood-ratio statistic of the pair)."""
        cause, effect = np.nonzero(self.adjacency_)
        # Re-oriented edges may point against the direction the likelihood tested.
        evidence = self.strength_
        if self.orient == "bursts":
            evidence = np.maximum(evidence, evidence.T)
        return pd.DataFrame({"cause": cause, "effect": effect, "strength": evidence[cause, effect]})

    def _choose_decay(self, events, hops, on_step, total) -> tuple[float, dict[float, float]]:
        """The decay rate under which the model with every parent fits the data best."""
        if len(self.decays) == 1:  # nothing to choose between
            return float(self.decays[0]), {}
        shared = self.baseline == "shared"
        logliks = {}
        for step, beta in enumerate(self.decays, start=1):
            phi = excitation(events, hops, beta, same_time=self.same_time)
            kernel_mass = exposure(events, hops, beta)
            every = np.arange(phi.shape[1] * phi.shape[2])
            logliks[beta] = sum(
                em_fit(_effect_data(events, phi, kernel_mass, j, shared=shared), every)[2]
                for j in range(events.n_types)
                if np.any(events.types == j)
            )
            if on_step is not None:
                on_step(step, total)
        return max(logliks, key=logliks.__getitem__), logliks


def learn_causes(
    alarms: pd.DataFrame, topology: np.ndarray | None = None, **params: object
) -> pd.DataFrame:
    """The learned cause -> effect edges between alarm types (see :class:`CauseLearner`)."""
    return CauseLearner(**params).fit(alarms, topology).edges_  # type: ignore[arg-type]


def _effect_data(
    events: Events, phi: np.ndarray, kernel_mass: np.ndarray, j: int, *, shared: bool
) -> EffectData:
    mine = events.types == j
    phi_j = phi[mine].reshape(int(mine.sum()), -1)
    if shared:
        # One baseline for the type: every alarm on "device 0", exposed for the whole
        # window on each device that raised any alarm.
        return EffectData(
            phi=phi_j,
            devices=np.zeros(int(mine.sum()), dtype=events.devices.dtype),
            n_devices=1,
            span=events.span * len(np.unique(events.devices)),
            exposure=kernel_mass.reshape(-1),
        )
    return EffectData(
        phi=phi_j,
        devices=events.devices[mine],
        n_devices=events.n_devices,
        span=events.span,
        exposure=kernel_mass.reshape(-1),
    )


def _candidate_columns(
    n_types: int, n_hops: int, j: int
) -> tuple[dict[int, np.ndarray], np.ndarray]:
    """Columns of each candidate parent (one per hop) and of the type's own excitation."""
    hop_offsets = np.arange(1 + n_hops) * n_types
    groups = {i: hop_offsets + i for i in range(n_types) if i != j}
    return groups, hop_offsets + j
