"""Ground truth of a synthetic province, written under ``DIR/truth/`` for evaluation only.

Detectors never read these files; evaluation joins them to what detectors find.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from telcolens.dataset import TRUTH_DIR
from telcolens.simulate import broadband
from telcolens.simulate.brokers import Brokers
from telcolens.simulate.fraud import FraudPlan, victims_truth
from telcolens.simulate.population import FRAUD, PERSONAS, Population, epoch_day


def write(
    out: Path,
    pop: Population,
    looks: dict[str, np.ndarray],
    brokers: Brokers,
    plan: FraudPlan,
    lines: broadband.Lines,
    manifest: dict,
    extra: dict[str, pa.Table] | None = None,
) -> dict[str, int]:
    """Write every truth table and ``manifest.json``; returns rows per truth table.

    ``extra`` adds tables drawn elsewhere (the planted network faults).
    """
    folder = out / TRUTH_DIR
    folder.mkdir(parents=True, exist_ok=True)
    start_us = epoch_day(pop.start) * 86_400 * 10**6
    tables = {
        "subscribers": pa.table(
            {
                "subscriber_id": pop.sub_id,
                "persona": np.array(PERSONAS)[pop.persona],
                "is_fraud": (pop.persona == FRAUD).astype(np.int8),
            }
        ),
        "fraud_numbers": _fraud_numbers(pop, brokers, plan),
        "card_brokers": _card_brokers(pop, brokers),
        "victims": _victims(pop, plan, start_us),
        "lookalikes": pa.table(
            {
                "subscriber_id": pop.sub_id[np.concatenate(list(looks.values()))],
                "kind": np.repeat(list(looks), [len(v) for v in looks.values()]),
            }
        ),
        **broadband.truth(lines),
        # Synthetic numbers (no real person's), for replaying records through ingest.
        "numbers": pa.table(
            {
                "subscriber_id": np.concatenate([pop.sub_id, pop.offnet_id]),
                "number": pop.raw_numbers.astype(str),
                "on_net": np.arange(len(pop.raw_numbers)) < pop.n,
            }
        ),
        **(extra or {}),
    }
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet", compression="zstd")
    counts = {name: t.num_rows for name, t in tables.items()}
    (folder / "manifest.json").write_text(
        json.dumps({**manifest, "truth_rows": counts}, indent=2, default=str)
    )
    return counts


def _fraud_numbers(pop: Population, brokers: Brokers, plan: FraudPlan) -> pa.Table:
    has = plan.broker >= 0
    card = np.where(has, _broker_cards(pop, brokers)[np.maximum(plan.broker, 0)], 0)
    return pa.table(
        {
            "subscriber_id": pop.sub_id[plan.callers],
            "first_active": pa.array(
                (epoch_day(pop.start) + pop.first_day[plan.callers]).astype(np.int32), pa.date32()
            ),
            "activation_date": pa.array(pop.activation[plan.callers].astype(np.int32), pa.date32()),
            "broker": pa.array(plan.broker.astype(np.int32), mask=~has),
            "broker_id_card_id": pa.array(card, mask=~has),
        }
    )


def _card_brokers(pop: Population, brokers: Brokers) -> pa.Table:
    """One row per broker entity: its ID card, its outlet, each of its devices."""
    nb = len(brokers.card)
    kind = np.repeat(["id_card", "outlet", "device"], [nb, nb, len(brokers.devices)])
    broker = np.concatenate([np.arange(nb), np.arange(nb), brokers.device_broker])
    null_i = np.zeros(nb, np.int64)
    return pa.table(
        {
            "broker": broker.astype(np.int32),
            "kind": kind,
            "id_card_id": pa.array(
                np.concatenate(
                    [_broker_cards(pop, brokers), null_i, np.zeros(len(brokers.devices), np.int64)]
                ),
                mask=kind != "id_card",
            ),
            "sales_outlet": pa.array(
                np.where(
                    kind == "outlet",
                    np.concatenate(
                        [
                            np.full(nb, ""),
                            pop.outlet_code[brokers.outlet],
                            np.full(len(brokers.devices), ""),
                        ]
                    ),
                    None,
                )
            ),
            "imei_id": pa.array(
                np.concatenate([null_i, null_i, pop.device_id[brokers.devices]]),
                mask=kind != "device",
            ),
            "sims": np.concatenate(
                [np.bincount(brokers.broker, minlength=nb)] * 2
                + [np.zeros(len(brokers.devices), np.int64)]
            ).astype(np.int32),
        }
    )


def _broker_cards(pop: Population, brokers: Brokers) -> np.ndarray:
    """Each broker's ID-card pseudonym (read through a SIM: card indices were compacted)."""
    first = np.searchsorted(brokers.broker, np.arange(len(brokers.card)))
    return pop.card_id[pop.card[brokers.sims[first]]]


def _victims(pop: Population, plan: FraudPlan, start_us: int) -> pa.Table:
    v = victims_truth(pop, plan, start_us)
    return pa.table(
        {
            "subscriber_id": pop.sub_id[v["victim"]],
            "fraud_subscriber_id": pop.sub_id[v["fraud"]],
            "first_contact": pa.array(v["first_contact"], pa.timestamp("us")),
            "contacts": v["contacts"],
            "longest_call_s": v["longest_call_s"],
        }
    )
