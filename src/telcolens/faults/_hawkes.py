"""Maximum-likelihood fit of one alarm type's Hawkes intensity, and tests of its parents.

The intensity of type j on device d is mu[d] + sum_p alpha[p] * phi[p](t), where each
column p is one (parent type, hop) excitation. EM keeps every parameter non-negative.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class EffectData:
    """What the likelihood of one effect type needs: its alarms and every candidate column."""

    phi: np.ndarray  # (alarms of this type, columns) excitation
    devices: np.ndarray  # device code of each alarm
    n_devices: int
    span: float  # observed time, the same on every device
    exposure: np.ndarray  # (columns,) integral of each column's kernel


def em_fit(
    data: EffectData,
    columns: np.ndarray,
    *,
    alpha0: np.ndarray | None = None,
    mu0: np.ndarray | None = None,
    tol: float = 1e-4,
    max_iter: int = 3000,
) -> tuple[np.ndarray, np.ndarray, float]:
    """EM for (alpha over ``columns``, per-device mu); returns them and the log-likelihood."""
    phi, exposure, dev = data.phi[:, columns], data.exposure[columns], data.devices
    counts = np.bincount(dev, minlength=data.n_devices).astype(np.float64)
    alpha = np.full(len(columns), 0.1) if alpha0 is None else alpha0.copy()
    # A warm start may carry a zero baseline where dropped parents explained everything.
    floor = counts / data.span * (0.5 if mu0 is None else 1e-3)
    mu = floor if mu0 is None else np.maximum(mu0, floor)
    alpha[exposure <= 0] = 0.0
    safe_exposure = np.where(exposure > 0, exposure, 1.0)
    previous, loglik = -np.inf, -np.inf
    for _ in range(max_iter):
        lam = mu[dev] + phi @ alpha
        loglik = float(np.log(lam).sum() - mu.sum() * data.span - alpha @ exposure)
        if loglik - previous < tol:
            break
        previous = loglik
        inv = 1.0 / lam
        mu = mu * np.bincount(dev, weights=inv, minlength=data.n_devices) / data.span
        alpha = alpha * (inv @ phi) / safe_exposure
    return alpha, mu, loglik


def parent_statistics(
    data: EffectData, groups: dict[int, np.ndarray], always: np.ndarray, threshold: float
) -> dict[int, float]:
    """Backward elimination of candidate parents by likelihood ratio.

    ``groups`` maps each candidate parent type to its columns (one per hop); ``always``
    are columns kept in every model (the type's own self-excitation). Each round refits
    without each remaining parent and drops the one whose removal costs least, while that
    cost (2 x log-likelihood ratio) is below ``threshold``. Returns the likelihood-ratio
    statistic of each surviving parent, given all the others.
    """
    kept = dict(groups)
    while kept:
        cols = np.concatenate([always, *kept.values()])
        alpha, mu, full = em_fit(data, cols)
        stats = {}
        for parent, own in kept.items():
            mask = ~np.isin(cols, own)
            _, _, reduced = em_fit(data, cols[mask], alpha0=alpha[mask], mu0=mu)
            stats[parent] = 2.0 * (full - reduced)
        weakest = min(stats, key=stats.__getitem__)
        if stats[weakest] >= threshold:
            return stats
        del kept[weakest]
    return {}
