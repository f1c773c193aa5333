"""From planned events to the records the network writes, with realistic gaps.

A call between two of our subscribers yields an MO and an MT record; a call to
or from another network yields one. Each record (of every table) is lost with
probability ``MISSING``, and some cells and IMEIs are blank, as in real
mediation output.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pyarrow as pa

from telcolens.schema.location import EVENT_TYPES
from telcolens.simulate.activity import APPS, Batch, Day
from telcolens.simulate.geography import Geography
from telcolens.simulate.mobility import cell_at
from telcolens.simulate.population import Population

MISSING = 0.015
NULL_CELL = 0.008
NULL_IMEI = 0.01
_DIRECTIONS = pa.array(["MO", "MT"])
_EVENTS = pa.array(list(EVENT_TYPES))
EVENT = {name: i for i, name in enumerate(EVENT_TYPES)}


@dataclass
class Locations:
    """Signalling location events of one day, as (subscriber, time, cell, type) arrays.

    Service use is not repeated here: a call's, SMS's or session's cell is in its own
    record, and ``telcolens.profile.sightings`` unions every source. Duplicating
    them would double the biggest table for no new information.
    """

    parts: list[tuple[np.ndarray, ...]] = field(default_factory=list)

    def add(self, sub: np.ndarray, t: np.ndarray, cell: np.ndarray, kind: np.ndarray) -> None:
        self.parts.append((sub, t, cell, kind))

    def table(self, pop: Population, geo: Geography, rng: np.random.Generator) -> pa.Table:
        # Part by part: concatenating first would copy every column once more.
        return pa.concat_tables([self._part(pop, geo, rng, *p) for p in self.parts])

    @staticmethod
    def _part(pop, geo, rng, sub, t, cell, kind) -> pa.Table:
        keep = rng.random(len(sub)) >= MISSING
        return pa.table(
            {
                "subscriber_id": pop.sub_id[sub[keep]],
                "event_time": pa.array(t[keep], pa.timestamp("us")),
                "cell_id": geo.cell_id[cell[keep]],
                "event_type": pa.DictionaryArray.from_arrays(kind[keep].astype(np.int8), _EVENTS),
            }
        )


def legs(batch: Batch, pop: Population, geo: Geography, day: Day) -> dict[str, np.ndarray]:
    """MO and MT legs of ``batch``: served party, other party, cell, device, direction."""
    mo, mt = np.flatnonzero(batch.a < pop.n), np.flatnonzero(batch.b < pop.n)
    row = np.concatenate([mo, mt])
    served = np.concatenate([batch.a[mo], batch.b[mt]])
    t = batch.t[row]
    cell = cell_at(pop, geo, served, t, day)
    keep = day.rng.random(len(row)) >= MISSING
    direction = np.concatenate([np.zeros(len(mo), np.int8), np.ones(len(mt), np.int8)])
    return {
        "row": row[keep],
        "served": served[keep],
        "cell": cell[keep],
        "direction": direction[keep],
    }


def _nullable(values: np.ndarray, p: float, rng: np.random.Generator) -> pa.Array:
    return pa.array(values, mask=rng.random(len(values)) < p)


def voice_table(batch: Batch, pop: Population, geo: Geography, day: Day) -> pa.Table:
    lg = legs(batch, pop, geo, day)
    ids, rng, row = pop.number_id, day.rng, lg["row"]
    return pa.table(
        {
            "caller": ids[batch.a[row]],
            "callee": ids[batch.b[row]],
            "start_time": pa.array(batch.t[row], pa.timestamp("us")),
            "duration_s": batch.dur[row],
            "direction": pa.DictionaryArray.from_arrays(lg["direction"], _DIRECTIONS),
            "cell_id": _nullable(geo.cell_id[lg["cell"]], NULL_CELL, rng),
            "imei_id": _nullable(pop.device_id[pop.device[lg["served"]]], NULL_IMEI, rng),
        }
    )


def sms_table(batch: Batch, pop: Population, geo: Geography, day: Day) -> pa.Table:
    lg = legs(batch, pop, geo, day)
    ids, row = pop.number_id, lg["row"]
    return pa.table(
        {
            "sender": ids[batch.a[row]],
            "recipient": ids[batch.b[row]],
            "send_time": pa.array(batch.t[row], pa.timestamp("us")),
            "direction": pa.DictionaryArray.from_arrays(lg["direction"], _DIRECTIONS),
            "cell_id": _nullable(geo.cell_id[lg["cell"]], NULL_CELL, day.rng),
        }
    )


def data_table(s: dict[str, np.ndarray], pop: Population, geo: Geography, day: Day) -> pa.Table:
    cell = cell_at(pop, geo, s["sub"], s["t"], day)
    keep = day.rng.random(len(cell)) >= MISSING
    return pa.table(
        {
            "subscriber_id": pop.sub_id[s["sub"][keep]],
            "start_time": pa.array(s["t"][keep], pa.timestamp("us")),
            "duration_s": s["dur"][keep],
            "app": pa.DictionaryArray.from_arrays(s["app"][keep].astype(np.int8), pa.array(APPS)),
            "bytes_up": s["up"][keep],
            "bytes_down": s["down"][keep],
            "cell_id": _nullable(geo.cell_id[cell[keep]], NULL_CELL, day.rng),
        }
    )
