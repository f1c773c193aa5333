"""The day's anti-fraud run: features, model and rules, then the lists and case files.

``run_day`` reads a data directory through an open Ibis backend (either engine) and
writes to ``out``:

- ``fraud_list.csv``: flagged numbers with score, who flagged them (model,
  rules) and reasons;
- ``card_brokers.csv``: ID cards, devices and outlets ranked as card brokers;
- ``victim_warnings.csv``: subscribers to warn, with the number that reached them;
- ``suppressed.csv``: whitelisted or reinstated numbers that would have been flagged;
- ``cases/<subscriber_id>.json``: one case file per flagged number (evidence);
- ``activity.csv``: calls per flagged number and cell, with the cell's city and place;
- ``features.parquet`` and ``summary.json``.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import ibis.expr.types as ir
import numpy as np
import pandas as pd
from ibis.backends import BaseBackend

from telcolens import csvsafe
from telcolens import engine as engines
from telcolens.antifraud import brokers, victims
from telcolens.antifraud.cases import activity, write_cases
from telcolens.antifraud.features import (
    FEATURES,
    REQUIRED_TABLES,
    WINDOW_DAYS,
    contacts,
    fraud_features,
)
from telcolens.antifraud.lists import read_reinstatements, read_whitelist
from telcolens.antifraud.partials import window_features
from telcolens.antifraud.rules import DEFAULT_RULES, apply_rules, load_rules
from telcolens.dataset import part_day, part_files
from telcolens.errors import BadInput
from telcolens.progress import Progress, reporter

ID = "subscriber_id"
# The record tables the day partials are computed from.
PARTIAL_TABLES = ("voice", "sms", "data_sessions", "location_events")
# The run's steps, in order, as reported to a progress callback; then DONE.
STEPS = (
    "features",
    "model and rules",
    "card brokers",
    "victim warnings",
    "case files",
)
DONE = "anti-fraud run done"
FRAUD_LIST_COLUMNS = (
    ID,
    "score",
    "flagged_by",
    "rules",
    "reasons",
    "calls_out",
    "distinct_callees",
)


@dataclass
class DayResult:
    """What a run produced (also written under ``out``)."""

    out: Path
    as_of: dt.date
    fraud_list: pd.DataFrame
    card_brokers: pd.DataFrame
    warnings: pd.DataFrame
    suppressed: pd.DataFrame
    summary: dict[str, object] = field(default_factory=dict)


def data_end(con: BaseBackend, voice: ir.Table) -> dt.date:
    """The day after the last voice record: the run's as-of date."""
    last = con.execute(voice.start_time.max())
    if last is None or pd.isna(last):
        raise BadInput("the voice table has no records: nothing to score")
    return pd.Timestamp(last).date() + dt.timedelta(days=1)


def call_graph(t: dict[str, ir.Table]) -> ir.Table:
    """Undirected on-net call graph for the model: one row (src < dst) per pair."""
    e = contacts(t["voice"])
    e = e.filter(e.a < e.b)
    subs_a = t["subscribers"].select(a=ID)
    subs_b = t["subscribers"].select(b=ID)
    return e.join(subs_a, "a").join(subs_b, "b").select(src="a", dst="b")


def all_in_day_parts(data_dir: Path) -> bool:
    """Whether every part of the tables the partials read holds one named day."""
    return all(
        part_day(f) is not None for name in PARTIAL_TABLES for f in part_files(data_dir, name)
    )


def run_day(
    data_dir: Path,
    out: Path,
    *,
    as_of: dt.date | None = None,
    window_days: int = WINDOW_DAYS,
    incremental: bool = True,
    con: BaseBackend | None = None,
    model_dir: Path | None = None,
    rules_path: Path | None = None,
    whitelist: Path | None = None,
    reinstatements: Path | None = None,
    progress: Progress | None = None,
) -> DayResult:
    """Run the day's anti-fraud pipeline over ``data_dir`` and write its outputs to ``out``.

    Parameters
    ----------
    as_of
        The run day: every step reads the records of the ``window_days`` days before
        it, none later, so a past day runs again as it ran. Default: the day after the
        last voice record.
    incremental
        Compute the features from day partials (``antifraud.partials``: a day's
        aggregates, computed once and kept in the data directory) instead of the
        window's raw records; the same features either way. Used only when every
        record table is in day parts (``dataset.day_part``); else the raw records.
    con
        The Ibis backend to run on (:func:`telcolens.engine.connect`). None connects
        to the default engine (``TELCOLENS_ENGINE``), for scripts and tests; a command
        passes the one it opened.
    progress
        Reported each of STEPS as it starts (step *i* of ``len(STEPS)``), then DONE.
    """
    report = reporter(progress)

    def step(i: int) -> None:
        report(STEPS[i], i, len(STEPS))

    step(0)
    rules = load_rules(rules_path or DEFAULT_RULES, features=list(FEATURES))
    allowed = read_whitelist(whitelist)
    cleared = read_reinstatements(reinstatements)
    model = None
    if model_dir is not None:
        from telcolens.antifraud.model import FraudModel  # LightGBM is slow to import

        model = FraudModel.load(model_dir)
    con = engines.connect() if con is None else con
    t = engines.tables(con, data_dir, require=REQUIRED_TABLES)
    as_of = as_of or data_end(con, t["voice"])
    t = engines.in_window(t, as_of, window_days)
    if con.execute(t["voice"].count()) == 0:
        raise BadInput(
            f"no voice records in the {window_days} days before {as_of} in {data_dir}: "
            "nothing to score on that day"
        )
    out.mkdir(parents=True, exist_ok=True)
    if incremental and all_in_day_parts(data_dir):
        expr = window_features(con, data_dir, as_of, window_days=window_days)
    else:
        expr = fraud_features(t, as_of, window_days=None)  # t is already the window
    feats = con.to_pyarrow(expr).to_pandas()
    feats.to_parquet(out / "features.parquet", index=False)

    step(1)
    scored = _score(con, t, feats, model)
    hits = apply_rules(rules, feats)
    number_rules = [r for r in rules if r.target == "number"]
    by_rule = hits[[r.name for r in number_rules]]
    scored["rules"] = [
        ", ".join(n for n, hit in zip(by_rule.columns, row, strict=True) if hit)
        for row in by_rule.itertuples(index=False)
    ]
    candidate = (scored.flagged == 1) | by_rule.any(axis=1)
    whitelisted = feats[ID].isin(allowed[ID])
    protected = whitelisted | feats[ID].isin(cleared[ID])
    scored["flagged_by"] = _flagged_by(scored.flagged == 1, by_rule.any(axis=1))
    scored["reasons"] = _reasons(scored, number_rules)
    kept_off = candidate & protected
    suppressed = scored[kept_off].assign(
        why=np.where(whitelisted[kept_off], "whitelist", "reinstated")
    )
    final = candidate & ~protected
    fraud_list = scored[final].sort_values("score", ascending=False, kind="stable")
    fraud_list = fraud_list[list(FRAUD_LIST_COLUMNS)].reset_index(drop=True)

    step(2)
    sims = _sims(con, t, scored.assign(flagged=final.astype(int)))
    descriptions = {r.name: r.description for r in rules}
    card_brokers = brokers.rank_brokers(sims, rules, hits.set_index(feats[ID]), descriptions)
    flagged_ids = ibis.memtable(fraud_list[[ID]])
    step(3)
    contact_rows = con.to_pyarrow(
        victims.contacts(t["voice"], t["subscribers"], flagged_ids)
    ).to_pandas()
    warnings = victims.warning_list(contact_rows)

    csvsafe.write_frame(fraud_list, out / "fraud_list.csv")
    csvsafe.write_frame(card_brokers, out / "card_brokers.csv")
    csvsafe.write_frame(warnings, out / "victim_warnings.csv")
    csvsafe.write_frame(
        suppressed[[ID, "why", "score", "flagged_by", "reasons"]], out / "suppressed.csv"
    )
    step(4)
    write_cases(con, t, out / "cases", fraud_list, feats, sims, contact_rows, as_of)
    where = con.to_pyarrow(activity(t["voice"], t["cells"], flagged_ids)).to_pandas()
    csvsafe.write_frame(where.sort_values(["subscriber_id", "cell_id"]), out / "activity.csv")
    summary = {
        "as_of": as_of.isoformat(),
        "engine": _engine_name(con),
        "model": str(model_dir) if model_dir else None,
        "subscribers": len(feats),
        "fraud_numbers": len(fraud_list),
        "flagged_by_model": int((fraud_list.flagged_by != "rules").sum()),
        "flagged_by_rules_only": int((fraud_list.flagged_by == "rules").sum()),
        "suppressed": len(suppressed),
        "card_brokers": card_brokers.kind.value_counts().to_dict(),
        "victim_warnings": len(warnings),
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=2) + "\n")
    report(DONE, len(STEPS), len(STEPS))
    return DayResult(out, as_of, fraud_list, card_brokers, warnings, suppressed, summary)


def _engine_name(con: BaseBackend) -> str:
    """The engine's name as ``telcolens.engine.connect`` takes it (Ibis says "pyspark")."""
    return "spark" if con.name == "pyspark" else con.name


def _score(con, t, feats: pd.DataFrame, model) -> pd.DataFrame:
    base = feats[[ID, "calls_out", "distinct_callees"]].copy()
    if model is None:
        return base.assign(score=0.0, flagged=0, model_reasons="")
    # A model trained with the call graph scores with it; one trained without, without.
    graph = con.to_pyarrow(call_graph(t)).to_pandas() if model.stage1_ is not None else None
    missing = [c for c in model.feature_names_ if c not in feats.columns]
    if missing:
        raise BadInput(
            f"the model expects feature(s) {', '.join(missing)} that these features lack; "
            "train it on `telcolens antifraud features` output"
        )
    s = model.score(feats[model.feature_names_], feats[ID], graph=graph)
    s = s.rename(columns={s.columns[0]: ID, "reasons": "model_reasons"})
    return base.merge(s[[ID, "score", "flagged", "model_reasons"]], on=ID, how="left")


def _flagged_by(model: pd.Series, rules: pd.Series) -> pd.Series:
    out = pd.Series("", index=model.index)
    out[model & rules] = "model+rules"
    out[model & ~rules] = "model"
    out[~model & rules] = "rules"
    return out


def _reasons(scored: pd.DataFrame, number_rules) -> list[str]:
    desc = {r.name: r.description for r in number_rules}
    out = []
    for model_reasons, fired in zip(scored.model_reasons, scored.rules, strict=True):
        parts = [f"rule {n}: {desc[n]}" for n in fired.split(", ") if n]
        if model_reasons:
            parts.append(f"model: {model_reasons}")
        out.append("; ".join(parts))
    return out


def _sims(con, t, scored: pd.DataFrame) -> pd.DataFrame:
    """Per subscriber: ID card, outlet, the device with most SIMs, score, flagged."""
    subs = t["subscribers"].select(ID, "id_card_id", "sales_outlet")
    d = t["devices"]
    per_imei = d.group_by("imei_id").aggregate(n=d[ID].nunique())
    ranked = d.join(per_imei, "imei_id").select(ID, "imei_id", "n")
    # Fetched separately and joined here: a null in a 64-bit column fetched from Spark
    # passes through float64 and loses the pseudonym's last digits. Ties between devices
    # go to the smallest pseudonym, so both engines pick the same one.
    acct = con.to_pyarrow(subs).to_pandas()
    top = con.to_pyarrow(ranked).to_pandas()
    top = top.sort_values([ID, "n", "imei_id"], ascending=[True, False, True])
    top = top.drop_duplicates(ID, keep="first")
    top["imei_id"] = top["imei_id"].astype("Int64")
    acct = acct.merge(top[[ID, "imei_id"]], on=ID, how="left")
    sims = acct.merge(scored[[ID, "score", "flagged"]], on=ID, how="left")
    return sims.set_index(ID, drop=False).fillna({"score": 0.0, "flagged": 0})
