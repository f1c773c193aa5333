"""Card brokers: rank ID cards, devices and outlets by how likely they supply fraud SIMs.

Evidence comes from the SIMs behind each entity: how many there are, how many
the day's list flagged, and the broker rules (``target: id_card | device |
outlet``) they matched. An entity is listed when a rule matched or at least
MIN_FLAGGED flagged SIMs point at it. It is ranked by ``score``: the chance that at
least one of its flagged SIMs is a fraud SIM, were their scores independent
(``1 - prod(1 - score)`` over flagged SIMs), raised to at least 0.5 when a rule
matched. Only flagged SIMs count, so a big outlet's thousands of clean SIMs do
not add up to suspicion.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from telcolens.antifraud.rules import Rule

BROKER_COLUMNS = ("kind", "entity", "score", "sims", "flagged_sims", "reasons")
KEYS = {"id_card": "id_card_id", "device": "imei_id", "outlet": "sales_outlet"}
# An entity behind this many flagged SIMs is listed even with no rule matched.
MIN_FLAGGED = 2


def rank_brokers(
    sims: pd.DataFrame, rules: list[Rule], hits: pd.DataFrame, descriptions: dict[str, str]
) -> pd.DataFrame:
    """The card-broker list, best first.

    ``sims`` has one row per subscriber with ``id_card_id``, ``imei_id`` (the
    device holding most SIMs, may be missing), ``sales_outlet``, ``score`` and
    ``flagged``; ``hits`` one boolean column per rule, aligned with ``sims``.
    """
    parts = [
        _rank(kind, key, sims, [r for r in rules if r.target == kind], hits, descriptions)
        for kind, key in KEYS.items()
    ]
    out = pd.concat(parts, ignore_index=True)
    return out.sort_values(["score", "flagged_sims"], ascending=False, kind="stable").reset_index(
        drop=True
    )


def _rank(kind, key, sims, rules, hits, descriptions) -> pd.DataFrame:
    s = sims[sims[key].notna()]
    h = hits.loc[s.index, [r.name for r in rules]]
    grouped = pd.DataFrame(
        {
            "entity": s[key].astype(str),
            "sims": 1,
            "flagged_sims": s["flagged"].astype(int),
            "log_clean": np.where(s["flagged"] > 0, np.log1p(-s["score"].clip(0, 1 - 1e-9)), 0.0),
        }
    ).join(h)
    agg = grouped.groupby("entity").agg(
        sims=("sims", "sum"),
        flagged_sims=("flagged_sims", "sum"),
        log_clean=("log_clean", "sum"),
        **{r.name: (r.name, "any") for r in rules},
    )
    matched = agg[[r.name for r in rules]].any(axis=1) if rules else False
    agg["score"] = 1 - np.exp(agg.log_clean)
    agg.loc[matched, "score"] = agg.loc[matched, "score"].clip(lower=0.5)
    listed = agg[matched | (agg.flagged_sims >= MIN_FLAGGED)].copy()
    listed["reasons"] = [
        _reasons(row, rules, descriptions) for row in listed.itertuples(index=False)
    ]
    listed["kind"] = kind
    return listed.reset_index()[list(BROKER_COLUMNS)]


def _reasons(row, rules: list[Rule], descriptions: dict[str, str]) -> str:
    parts = [descriptions.get(r.name, r.description) for r in rules if getattr(row, r.name)]
    if row.flagged_sims:
        parts.append(f"{row.flagged_sims} of its {row.sims} SIMs on the fraud list")
    else:
        parts.append(f"{row.sims} SIMs")
    return "; ".join(parts)
