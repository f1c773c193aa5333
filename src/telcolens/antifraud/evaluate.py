"""Evaluation on a synthetic province: the day's lists against ``DIR/truth``.

Only this module (and the watch replay) reads truth. The model under test is
trained on a *different* province, a "history" generated with another seed,
whose truth stands in for last month's confirmed cases: the operator trains on
numbers the police confirmed before, never on today's answers.

The evaluation also needs the operator's registry of business numbers (the
whitelist). A real operator has one; here it is simulated as every other
courier, delivery, call-centre and sales number of the province, so the run
must keep those off the list while their unregistered peers are still judged.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd
from ibis.backends import BaseBackend

from telcolens import csvsafe
from telcolens import engine as engines
from telcolens.antifraud.features import REQUIRED_TABLES, WINDOW_DAYS, fraud_features
from telcolens.dataset import TRUTH_DIR
from telcolens.errors import BadInput
from telcolens.simulate import generate_province

ID = "subscriber_id"
REGISTERED_KINDS = {
    "courier": "courier",
    "delivery": "delivery",
    "call_centre": "customer_service",
    "sales": "sales",
}
# Seed offset of the history province used to train the model under test.
HISTORY_SEED_OFFSET = 1000


@dataclass
class Evaluation:
    fraud: dict[str, float] = field(default_factory=dict)
    brokers: dict[str, dict[str, float]] = field(default_factory=dict)
    victims: dict[str, float] = field(default_factory=dict)
    whitelist: dict[str, int] = field(default_factory=dict)
    false_flags_by_persona: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, object]:
        return {
            "fraud_numbers": self.fraud,
            "card_brokers": self.brokers,
            "victims": self.victims,
            "whitelist": self.whitelist,
            "false_flags_by_persona": self.false_flags_by_persona,
        }


def manifest(data_dir: Path) -> dict[str, object]:
    path = Path(data_dir) / TRUTH_DIR / "manifest.json"
    if not path.exists():
        raise BadInput(
            f"{data_dir} has no {TRUTH_DIR}/manifest.json: evaluation needs a province "
            "from `telcolens generate` (with its ground truth)"
        )
    return json.loads(path.read_text())


def registry_whitelist(data_dir: Path, path: Path) -> Path:
    """Write the simulated registry of business numbers (see module doc) to ``path``."""
    looks = pd.read_parquet(Path(data_dir) / TRUTH_DIR / "lookalikes.parquet")
    looks = looks[looks.kind.isin(list(REGISTERED_KINDS))].sort_values(ID, kind="stable")
    registered = looks[looks.groupby("kind").cumcount() % 2 == 0]
    out = pd.DataFrame(
        {
            ID: registered[ID].astype("int64"),
            "category": registered.kind.map(REGISTERED_KINDS),
            "note": "registry of business numbers (simulated)",
            "added_by": "evaluation",
            "added_at": "",
        }
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    csvsafe.write_frame(out, path)
    return path


def history_model(data_dir: Path, work: Path, *, con: BaseBackend) -> Path:
    """Train the model under test on a history province like ``data_dir`` (other seed).

    The history is generated into ``work/history`` and read on ``con``; the model is
    saved to ``work/model``, which is returned.
    """
    from telcolens.antifraud.daily import call_graph, data_end
    from telcolens.antifraud.model import FraudModel

    m = manifest(data_dir)
    history = work / "history"
    generate_province(
        history,
        subscribers=int(m["subscribers"]),
        # One feature window of history: its labels are the numbers active in it.
        days=min(int(m["days"]), WINDOW_DAYS),
        seed=int(m["seed"]) + HISTORY_SEED_OFFSET,
        progress=False,
        overwrite=True,
    )
    t = engines.tables(con, history, require=REQUIRED_TABLES)
    feats = con.to_pyarrow(fraud_features(t, data_end(con, t["voice"]))).to_pandas()
    graph = con.to_pyarrow(call_graph(t)).to_pandas()
    confirmed = pd.read_parquet(history / TRUTH_DIR / "fraud_numbers.parquet")[ID]
    labels = feats[ID].isin(confirmed).astype(int)
    x = feats.drop(columns=[ID])
    model = FraudModel(random_state=0).fit(x, labels, ids=feats[ID], graph=graph)
    model.save(work / "model")
    return work / "model"


def evaluate_run(data_dir: Path, run_dir: Path, whitelist: Path | None = None) -> Evaluation:
    """Compare a run's lists in ``run_dir`` with the province's truth as of the run's day.

    A run of day D sees the week before D: the fraud numbers it can find are those
    active before D, the victims it can warn those first reached in that week.
    """
    truth = Path(data_dir) / TRUTH_DIR
    ev = Evaluation()
    as_of = dt.date.fromisoformat(json.loads((run_dir / "summary.json").read_text())["as_of"])
    listed = csvsafe.read_frame(run_dir / "fraud_list.csv", dtype={ID: "int64"})
    numbers = pd.read_parquet(truth / "fraud_numbers.parquet")
    numbers = numbers[pd.to_datetime(numbers.first_active).dt.date < as_of]
    fraud = set(numbers[ID].astype("int64"))
    ev.fraud = _prf(set(listed[ID]), fraud)
    personas = pd.read_parquet(truth / "subscribers.parquet").set_index(ID).persona
    wrong = listed[~listed[ID].isin(fraud)]
    ev.false_flags_by_persona = (
        personas.reindex(wrong[ID]).fillna("unknown").value_counts().astype(int).to_dict()
    )
    ev.brokers = _brokers(truth, csvsafe.read_frame(run_dir / "card_brokers.csv", dtype=str))
    warnings = csvsafe.read_frame(run_dir / "victim_warnings.csv", dtype={ID: "int64"})
    ev.victims = _victims(truth, warnings, as_of)
    if whitelist is not None:
        wl = set(csvsafe.read_frame(whitelist, dtype={ID: "int64"})[ID])
        ev.whitelist = {"whitelisted": len(wl), "flagged": len(wl & set(listed[ID]))}
    return ev


def _prf(found: set, true: set) -> dict[str, float]:
    tp = len(found & true)
    precision = tp / len(found) if found else 0.0
    recall = tp / len(true) if true else 0.0
    f1 = 2 * precision * recall / (precision + recall) if tp else 0.0
    return {
        "listed": len(found),
        "true": len(true),
        "true_positives": tp,
        "precision": round(precision, 4),
        "recall": round(recall, 4),
        "f1": round(f1, 4),
    }


def _brokers(truth: Path, listed: pd.DataFrame) -> dict[str, dict[str, float]]:
    # Nullable dtypes keep 64-bit pseudonyms exact (a float column would round them).
    cb = pd.read_parquet(truth / "card_brokers.parquet", dtype_backend="numpy_nullable")
    key = {"id_card": "id_card_id", "device": "imei_id", "outlet": "sales_outlet"}
    out, found_all, true_all = {}, set(), set()
    for kind, col in key.items():
        true = {(kind, str(v)) for v in cb.loc[cb.kind == kind, col].dropna()}
        found = {(kind, e) for e in listed.loc[listed.kind == kind, "entity"]}
        out[kind] = _prf(found, true)
        found_all |= found
        true_all |= true
    out["all"] = _prf(found_all, true_all)
    return out


def _victims(truth: Path, warnings: pd.DataFrame, as_of: dt.date) -> dict[str, float]:
    v = pd.read_parquet(truth / "victims.parquet")
    first = pd.to_datetime(v.first_contact).dt.date
    v = v[(first >= as_of - dt.timedelta(days=WINDOW_DAYS)) & (first < as_of)]
    victims = set(v[ID].astype("int64"))
    warned = set(warnings[ID])
    found = len(victims & warned)
    return {
        "planted_victims": len(victims),
        "on_warning_list": found,
        "share_warned": round(found / len(victims), 4) if victims else 0.0,
        "warning_list_size": len(warnings),
        "list_precision": round(found / len(warned), 4) if warned else 0.0,
    }
