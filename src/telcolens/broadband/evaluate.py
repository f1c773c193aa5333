"""The diagnosis scored against a generated province's ground truth (``truth/``).

The only module of the diagnosis that reads the truth. Over the diagnosis window:

* **planted poor lines**: lines with a poor day in ``truth/broadband_line_days``; a line's
  scenario is right when its diagnosis names one of the scenarios of its poor days (a
  line missed counts as wrong). The same per line-day, strictly, is reported beside it;
* **shared faults** (``truth/broadband_faults``) that made at least one of their lines poor:
  one ticket exactly, for the fault's lines, and none of the fault's poor lines ticketed on
  its own for that cause (and, stricter, the ticket on the fault's element and scenario);
* the **side rule** against the truth: flagged lines whose planted causes are all in the
  home sent a truck (a field visit, alone or in a ticket), lines whose causes are all in
  the street given a home fix;
* **precision**: flagged lines that were not poor, by what they were (healthy, each kind
  of look-alike, a planted scenario too mild to be poor), and tickets on no planted fault.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from telcolens import engine as engines
from telcolens.broadband import grouping
from telcolens.broadband.diagnose import (
    HOME_ACTIONS,
    SIDES,
    DiagnosisError,
    Settings,
    diagnose_line_days,
    diagnoses_of,
    flagged,
    line_day_frame,
    window_days,
)
from telcolens.dataset import read_table
from telcolens.progress import Progress, reporter

TRUTH_FILES = ("broadband_lines", "broadband_line_days", "broadband_faults", "broadband_scenarios")
FAMILY = {
    "optical_line": "optical",
    "optical_splitter": "optical",
    "optical_port": "optical",
    "port_congestion": "congestion",
    "olt_congestion": "congestion",
}
TARGETS = {
    "scenario_right": 0.90,
    "faults_one_ticket": 0.90,
    "home_sent_to_field": 0,
    "street_closed_home_fix": 0,
}


@dataclass
class Truth:
    """The province's truth over a window."""

    lines: pd.DataFrame  # line_id, scenario, side, lookalike
    line_days: pd.DataFrame  # line_id, day, scenario, badness, poor
    faults: pd.DataFrame  # fault_id, scenario, element_type, element_id, onset, end
    members: pd.DataFrame  # fault_id, line_id (the lines under each fault's element)
    planted: pd.DataFrame  # line_id, scenario: every episode active in the window
    network: pd.DataFrame  # line_id, splitter_id, port_id, olt_id (the data's lines table)
    days: list[dt.date] = field(default_factory=list)


def province_window(data_dir: Path) -> tuple[dt.date, int]:
    """The province's first day and number of days, from ``truth/manifest.json``."""
    path = Path(data_dir) / "truth" / "manifest.json"
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
        return dt.date.fromisoformat(manifest["start"]), int(manifest["days"])
    except FileNotFoundError:
        raise DiagnosisError(
            f"{path}: no such file; evaluate needs a generated province (`telcolens generate`)"
        ) from None
    except (KeyError, ValueError, TypeError) as exc:
        raise DiagnosisError(f"{path}: not a province manifest ({exc})") from None


def read_truth(data_dir: Path, days: list[dt.date]) -> Truth:
    """The broadband truth of the province in ``data_dir``, cut to ``days``."""
    folder = Path(data_dir) / "truth"
    missing = [n for n in TRUTH_FILES if not (folder / f"{n}.parquet").is_file()]
    if missing:
        raise DiagnosisError(
            f"{folder} lacks {', '.join(f'{n}.parquet' for n in missing)}: evaluate needs "
            "the broadband truth of a generated province"
        )

    def read(name: str) -> pd.DataFrame:
        return pq.read_table(folder / f"{name}.parquet").to_pandas()

    line_days = read("broadband_line_days")
    line_days = line_days[line_days.day.isin(days)]
    scenarios = read("broadband_scenarios")
    members = scenarios.dropna(subset=["fault_id"])[["fault_id", "line_id"]].drop_duplicates()
    members = members.astype({"fault_id": "int64"})
    lo = pd.Timestamp(min(days))
    hi = pd.Timestamp(max(days)) + pd.Timedelta(days=1)
    active = (scenarios.onset < hi) & (scenarios.end.isna() | (scenarios.end > lo))
    planted = scenarios[active][["line_id", "scenario"]].drop_duplicates()
    faults = read("broadband_faults")
    lines = read_table(data_dir, "broadband_lines").to_pandas()
    network = lines[["line_id", "splitter_id", "olt_id"]].assign(
        port_id=lines.olt_id + "/" + lines.pon_port
    )
    return Truth(read("broadband_lines"), line_days, faults, members, planted, network, days)


def _share(k: int, n: int) -> float | None:
    return None if n == 0 else k / n


def line_figures(truth: Truth, diagnoses: pd.DataFrame) -> tuple[dict[str, Any], pd.DataFrame]:
    """Per planted poor line, whether its diagnosis names its scenario; and the figures."""
    poor = truth.line_days[truth.line_days.poor]
    planted = poor.groupby("line_id").scenario.agg(lambda s: sorted(set(s))).rename("truth")
    got = diagnoses.set_index("line_id")[["scenario", "action", "ticket_element"]]
    per_line = planted.to_frame().join(got, how="left")
    per_line["flagged"] = per_line.scenario.notna()
    per_line["right"] = [
        isinstance(s, str) and s in t
        for s, t in zip(per_line.scenario, per_line.truth, strict=True)
    ]
    per_line["main"] = [t[0] if len(t) == 1 else "several" for t in per_line.truth]
    by = per_line.groupby("main").agg(lines=("right", "size"), right=("right", "sum"))
    n = len(per_line)
    figures = {
        "planted_poor_lines": n,
        "lines_with_several_scenarios": int((per_line.main == "several").sum()),
        "flagged": _share(int(per_line.flagged.sum()), n),
        "scenario_right": _share(int(per_line.right.sum()), n),
        "scenario_right_when_flagged": _share(
            int(per_line.right.sum()), int(per_line.flagged.sum())
        ),
        "by_scenario": {
            k: {"lines": int(r.lines), "right": _share(int(r.right), int(r.lines))}
            for k, r in by.iterrows()
        },
    }
    return figures, per_line.reset_index()


def line_day_figures(truth: Truth, line_days: pd.DataFrame) -> dict[str, Any]:
    """The same strictly per line-day: the day flagged poor with the truth's scenario."""
    m = truth.line_days[truth.line_days.poor].merge(
        line_days[["line_id", "day", "poor", "scenario"]].rename(columns={"scenario": "got"}),
        on=["line_id", "day"],
        how="left",
    )
    flagged = m.poor_y.eq(True)  # missing (not diagnosed that day): not flagged
    right = flagged & (m.got == m.scenario)
    flagged_days = int(line_days.poor.sum())
    true_flags = len(m[flagged])
    return {
        "planted_poor_line_days": len(m),
        "flagged": _share(int(flagged.sum()), len(m)),
        "scenario_right": _share(int(right.sum()), len(m)),
        "flagged_line_days": flagged_days,
        "precision": _share(true_flags, flagged_days),
    }


def fault_figures(
    truth: Truth, line_days: pd.DataFrame, tickets: pd.DataFrame
) -> tuple[dict[str, Any], pd.DataFrame]:
    """Per shared fault that made a line poor: its tickets, and whether it ends as one.

    ``one_ticket``: exactly one ticket of the fault's kind (optical, congestion) touches
    its lines, that ticket's element has exactly the fault's lines (its own element, or
    the only splitter of a port, which no measurement at the homes can tell from the
    port), and none of its poor lines was ticketed on its own for that cause.
    ``named``: the same, on the fault's own element and with its scenario.
    """
    poor = truth.line_days[truth.line_days.poor]
    members = truth.members.merge(truth.faults[["fault_id", "scenario"]], on="fault_id")
    harmed = members.merge(poor, on=["line_id", "scenario"])
    faults = truth.faults[truth.faults.fault_id.isin(harmed.fault_id)]
    poor_lines = harmed.groupby("fault_id").line_id.agg(set)
    under = members.groupby("fault_id").line_id.agg(set)
    elements = _element_lines(truth.network)
    ticket_lines = [set(np.asarray(x).tolist()) for x in tickets["lines"]]
    covers = [elements.get(e, set()) for e in tickets.element]
    own = line_days[line_days.poor & line_days.ticket_element.isna() & line_days.scenario.notna()]
    own = own.assign(family=own.scenario.map(FAMILY).fillna(own.scenario))
    rows, matched = [], set()
    for f in faults.itertuples():
        family, lines = FAMILY[f.scenario], under[f.fault_id]
        mine = [
            i
            for i, got in enumerate(ticket_lines)
            if FAMILY.get(tickets.scenario.iloc[i]) == family and got & lines
        ]
        same = [i for i in mine if covers[i] == lines]
        named = [
            i
            for i in same
            if tickets.element.iloc[i] == f.element_id and tickets.scenario.iloc[i] == f.scenario
        ]
        matched.update(same)
        alone = own[(own.family == family) & own.line_id.isin(poor_lines[f.fault_id])]
        one = len(mine) == 1 and len(same) == 1 and alone.empty
        rows.append(
            {
                "fault_id": f.fault_id,
                "scenario": f.scenario,
                "element_type": f.element_type,
                "element_id": f.element_id,
                "fault_lines": len(lines),
                "poor_lines": len(poor_lines[f.fault_id]),
                "tickets": len(mine),
                "covers_its_lines": len(same) == 1,
                "lines_ticketed_alone": int(alone.line_id.nunique()),
                "one_ticket": one,
                "named": one and len(named) == 1,
                "got": ", ".join(
                    f"{tickets.level.iloc[i]}:{tickets.element.iloc[i]} {tickets.scenario.iloc[i]}"
                    for i in mine
                ),
            }
        )
    per_fault = pd.DataFrame(rows, columns=_FAULT_COLUMNS)
    n = len(per_fault)
    several = per_fault[per_fault.poor_lines >= 2]
    by = per_fault.groupby("scenario")[["one_ticket", "named"]].agg(["size", "sum"])
    figures = {
        "harmful_faults": n,
        "faults_one_ticket": _share(int(per_fault.one_ticket.sum()), n),
        "faults_one_ticket_named": _share(int(per_fault.named.sum()), n),
        "faults_with_two_poor_lines": len(several),
        "faults_with_two_poor_lines_one_ticket": _share(
            int(several.one_ticket.sum()), len(several)
        ),
        "faults_without_ticket": int((per_fault.tickets == 0).sum()),
        "faults_split_over_tickets": int((per_fault.tickets > 1).sum()),
        "faults_on_other_lines": int(
            ((per_fault.tickets >= 1) & ~per_fault.covers_its_lines).sum()
        ),
        "faults_with_lines_ticketed_alone": int((per_fault.lines_ticketed_alone > 0).sum()),
        "by_scenario": {
            k: {
                "faults": int(r[("one_ticket", "size")]),
                "one_ticket": _share(int(r[("one_ticket", "sum")]), int(r[("one_ticket", "size")])),
                "named": _share(int(r[("named", "sum")]), int(r[("named", "size")])),
            }
            for k, r in by.iterrows()
        },
        "tickets": len(tickets),
        "tickets_on_no_planted_fault": len(tickets) - len(matched),
    }
    return figures, per_fault


def _element_lines(network: pd.DataFrame) -> dict[str, set[int]]:
    """Every splitter, PON port and OLT with the set of its lines."""
    out: dict[str, set[int]] = {}
    for column in ("splitter_id", "port_id", "olt_id"):
        for element, lines in network.groupby(column).line_id:
            out[element] = set(lines.tolist())
    return out


_FAULT_COLUMNS = (
    "fault_id",
    "scenario",
    "element_type",
    "element_id",
    "fault_lines",
    "poor_lines",
    "tickets",
    "covers_its_lines",
    "lines_ticketed_alone",
    "one_ticket",
    "named",
    "got",
)


def side_figures(truth: Truth, diagnoses: pd.DataFrame) -> dict[str, Any]:
    """The side rule against the truth, over the flagged lines: trucks to lines whose
    planted causes in the window are all in the home, home fixes to lines whose causes
    are all in the street (a line with a fault on each side may get either)."""
    planted = truth.planted.assign(side=truth.planted.scenario.map(SIDES))
    sides = planted.groupby("line_id").side.agg(frozenset)
    got = diagnoses[["line_id", "action"]].join(sides, on="line_id")
    home = got.side.map(lambda x: x == {"home"})
    street = got.side.map(lambda x: x == {"street"})
    return {
        "home_side_lines": int(home.sum()),
        "home_sent_to_field": int((home & (got.action == "field_visit")).sum()),
        "street_side_lines": int(street.sum()),
        "street_closed_home_fix": int((street & got.action.isin(HOME_ACTIONS)).sum()),
    }


def precision_figures(truth: Truth, diagnoses: pd.DataFrame) -> dict[str, Any]:
    """What the flagged lines were: poor in the truth, or else healthy, a look-alike, or
    a planted scenario too mild to be poor; the same for lines sent a truck.

    ``precision``: flagged lines poor in the truth; ``useful``: flagged lines poor in the
    truth or carrying, mild, the planted scenario the diagnosis names (a real fault,
    rightly named, that the truth's evening threshold calls bearable).
    """
    poor_lines = set(truth.line_days[truth.line_days.poor].line_id)
    kind = truth.lines.set_index("line_id")
    d = diagnoses[["line_id", "action", "scenario"]].rename(columns={"scenario": "got"})
    d = d.join(kind, on="line_id")
    named = d.merge(truth.planted, left_on=["line_id", "got"], right_on=["line_id", "scenario"])
    what = np.where(
        d.line_id.isin(poor_lines),
        "poor",
        np.where(
            d.scenario != "healthy",
            "planted_not_poor",
            np.where(d.lookalike.notna(), "lookalike:" + d.lookalike.fillna(""), "healthy"),
        ),
    )
    mild_named = int(((what == "planted_not_poor") & d.line_id.isin(named.line_id)).sum())
    counts = pd.Series(what).value_counts()
    healthy = kind[kind.scenario == "healthy"]
    looks = healthy.lookalike.value_counts()
    flagged_looks = {
        k: {
            "lines": int(looks.get(k, 0)),
            "flagged": int(counts.get(f"lookalike:{k}", 0)),
        }
        for k in sorted(looks.index)
    }
    trucks = d[d.action == "field_visit"]
    return {
        "flagged_lines": len(d),
        "precision": _share(int(counts.get("poor", 0)), len(d)),
        "useful": _share(int(counts.get("poor", 0)) + mild_named, len(d)),
        "flagged_planted_not_poor": int(counts.get("planted_not_poor", 0)),
        "flagged_planted_not_poor_named_right": mild_named,
        "flagged_healthy": int(counts.get("healthy", 0)),
        "healthy_lines": int(healthy.lookalike.isna().sum()),
        "flagged_lookalikes": flagged_looks,
        "trucks": len(trucks),
        "trucks_to_lines_not_poor": int((~trucks.line_id.isin(poor_lines)).sum()),
    }


def figures(
    truth: Truth, line_days: pd.DataFrame, diagnoses: pd.DataFrame, tickets: pd.DataFrame
) -> tuple[dict[str, Any], pd.DataFrame, pd.DataFrame]:
    """Every acceptance figure, with the per-line and per-fault tables behind them."""
    lines, per_line = line_figures(truth, diagnoses)
    faults, per_fault = fault_figures(truth, line_days, tickets)
    out = {
        "window": [str(min(truth.days)), str(max(truth.days))],
        "lines": lines,
        "line_days": line_day_figures(truth, line_days),
        "faults": faults,
        "sides": side_figures(truth, diagnoses),
        "precision": precision_figures(truth, diagnoses),
    }
    out["acceptance"] = acceptance(out)
    return out, per_line, per_fault


def acceptance(f: dict[str, Any]) -> dict[str, Any]:
    """The four acceptance lines: each figure, its target and whether it is met."""
    got = {
        "scenario_right": f["lines"]["scenario_right"],
        "faults_one_ticket": f["faults"]["faults_one_ticket"],
        "home_sent_to_field": f["sides"]["home_sent_to_field"],
        "street_closed_home_fix": f["sides"]["street_closed_home_fix"],
    }
    out = {}
    for k, target in TARGETS.items():
        value = got[k]
        met = value is not None and (value >= target if isinstance(target, float) else value == 0)
        out[k] = {"value": value, "target": target, "met": bool(met)}
    return out


# --- running it --------------------------------------------------------------------------

LINE_DAY_COLUMNS = ("line_id", "day", "poor", "scenario", "side", "action", "ticket_element")


@dataclass
class Evaluation:
    """An evaluated diagnosis: the figures and what they were computed from."""

    figures: dict[str, Any]
    per_line: pd.DataFrame
    per_fault: pd.DataFrame
    diagnoses: pd.DataFrame
    tickets: pd.DataFrame


def window_of(data_dir: Path, as_of: dt.date | None, days: int | None) -> list[dt.date]:
    """The days to evaluate: the province's whole window unless ``as_of``/``days`` cut it."""
    start, n = province_window(data_dir)
    end = start + dt.timedelta(days=n)
    as_of = as_of or end
    return window_days(as_of, days or (as_of - start).days)


def prepare(con: BaseBackend, data_dir: Path, days: list[dt.date], *, cache: bool = False):
    """The province's line-day frame over ``days`` (computed once on ``con`` when
    ``cache``, so that many settings can be tried on it), and its truth."""
    t = engines.tables(con, data_dir, require=("broadband_kpi", "broadband_lines"))
    frame = line_day_frame(t["broadband_kpi"], t["broadband_lines"], days)
    if cache:
        frame = frame.cache()
    return frame, read_truth(data_dir, days)


def evaluate_frame(con: BaseBackend, frame, truth: Truth, settings: Settings) -> Evaluation:
    """Diagnose ``frame`` with ``settings`` and score it against ``truth``."""
    # Computed once: the diagnoses and tickets are both read from it.
    with flagged(diagnose_line_days(frame, settings)).cache() as diagnosed:
        line_days = con.to_pyarrow(diagnosed.select(*LINE_DAY_COLUMNS)).to_pandas()
        diagnoses = con.to_pyarrow(diagnoses_of(diagnosed)).to_pandas()
        tickets = con.to_pyarrow(grouping.tickets(diagnosed, SIDES)).to_pandas()
    found, per_line, per_fault = figures(truth, line_days, diagnoses, tickets)
    found["settings"] = settings.to_dict()
    return Evaluation(found, per_line, per_fault, diagnoses, tickets)


def evaluate(
    data_dir: Path,
    *,
    con: BaseBackend | None = None,
    as_of: dt.date | None = None,
    days: int | None = None,
    settings: Settings | None = None,
) -> Evaluation:
    """Diagnose the province in ``data_dir`` and score the diagnosis against its truth."""
    con = con or engines.connect("duckdb")
    window = window_of(data_dir, as_of, days)
    frame, truth = prepare(con, data_dir, window)
    return evaluate_frame(con, frame, truth, settings or Settings())


# --- choosing the settings ------------------------------------------------------------------

# The settings tuned, and the values tried (the others keep their defaults: the optical
# window is the standard's, the rest had no effect worth a search in a first look).
DEFAULT_GRID: dict[str, list[Any]] = {
    "speed_share": [0.4, 0.5, 0.6, 0.7],
    "speed_mbps": [150.0, 200.0, 300.0, 500.0],
    "score_drop": [20.0, 30.0, 40.0, 50.0],
    "latency_ms": [20.0, 25.0, 30.0, 40.0],
    "loss_pct": [0.2, 0.3, 0.5, 1.0],
    "harm_rx_dbm": [-26.5, -27.0, -27.5, -28.0],
    "missing_samples": [2, 3, 4, 6, 8],
    "wifi_signal_dbm": [-64.0, -66.0, -68.0, -70.0, -72.0],
    "wifi_bottleneck": [0.4, 0.5, 0.6, 0.7, 0.8],
    "cpu_rise_pct": [15.0, 20.0, 25.0, 30.0],
    "peak_latency_rise_ms": [8.0, 12.0, 16.0],
    "shared_share": [0.1, 0.2, 0.3, 0.5],
    "single_splitter_level": ["splitter", "pon_port"],
}


SIDE_COST = 0.02  # per line sent to the wrong side: two points of F1


def objective(f: dict[str, Any]) -> float:
    """What the settings are chosen to maximise: the F1 of the share of planted poor lines
    rightly named and the share of flags poor in the truth, plus the share of shared
    faults that end as one ticket.

    Precision is the strict one: a mild planted fault (real, rightly named, but bearable by
    the truth's measure) counts against it, else the search drifts to calling every line
    with a sign poor, where "poor" no longer means anything.

    Each truck sent to a home-side cause and each home fix of a street-side one costs
    :data:`SIDE_COST`: the acceptance allows none, and without the cost the search took a
    loss threshold that turned far lines with weak Wi-Fi into field visits.
    """
    recall = f["lines"]["scenario_right"] or 0.0
    precision = f["precision"]["precision"] or 0.0
    f1 = 0.0 if recall + precision == 0 else 2 * recall * precision / (recall + precision)
    wrong_side = f["sides"]["home_sent_to_field"] + f["sides"]["street_closed_home_fix"]
    return f1 + (f["faults"]["faults_one_ticket"] or 0.0) - SIDE_COST * wrong_side


POOL = 10**10  # line ids of the k-th pooled province are offset by k x POOL


def pool(prepared: list[tuple[Any, Truth]]) -> tuple[Any, Truth]:
    """Several provinces as one: line ids offset, element ids and fault ids made each
    province's own, so one diagnosis (one compilation) scores them all together."""
    frames, truths = [], []
    for k, (frame, truth) in enumerate(prepared):
        tag = f"{k}:"
        frames.append(
            frame.mutate(
                line_id=frame.line_id + k * POOL,
                olt_id=tag + frame.olt_id,
                port_id=tag + frame.port_id,
                splitter_id=tag + frame.splitter_id,
            )
        )
        faults = truth.faults.assign(
            fault_id=truth.faults.fault_id + k * POOL, element_id=tag + truth.faults.element_id
        )
        network = truth.network.assign(
            line_id=truth.network.line_id + k * POOL,
            **{c: tag + truth.network[c] for c in ("splitter_id", "port_id", "olt_id")},
        )
        truths.append(
            Truth(
                truth.lines.assign(line_id=truth.lines.line_id + k * POOL),
                truth.line_days.assign(line_id=truth.line_days.line_id + k * POOL),
                faults,
                truth.members.assign(
                    fault_id=truth.members.fault_id + k * POOL,
                    line_id=truth.members.line_id + k * POOL,
                ),
                truth.planted.assign(line_id=truth.planted.line_id + k * POOL),
                network,
                truth.days,
            )
        )
    frame = frames[0].union(*frames[1:], distinct=False) if len(frames) > 1 else frames[0]
    days = sorted({d for t in truths for d in t.days})
    fields_ = ("lines", "line_days", "faults", "members", "planted", "network")
    joined = Truth(
        *[pd.concat([getattr(t, f) for t in truths], ignore_index=True) for f in fields_],
        days,
    )
    return frame.cache(), joined


def tune(
    con: BaseBackend,
    prepared: list[tuple[Any, Truth]],
    grid: dict[str, list[Any]],
    *,
    start: Settings | None = None,
    passes: int = 2,
    progress: Progress | None = None,
) -> tuple[Settings, float]:
    """Coordinate ascent over ``grid`` (each setting in turn over its values, the others
    held) maximising the :func:`objective` of the ``prepared`` provinces pooled."""
    report = reporter(progress)
    frame, truth = pool(prepared)
    best = start or Settings()
    memo: dict[tuple, float] = {}

    def score(s: Settings) -> float:
        key = tuple(sorted(s.to_dict().items()))
        if key not in memo:
            memo[key] = objective(evaluate_frame(con, frame, truth, s).figures)
        return memo[key]

    best_score = score(best)
    steps = passes * sum(len(v) for v in grid.values())
    done = 0
    for _ in range(passes):
        moved = False
        for name, values in grid.items():
            for value in values:
                done += 1
                report("tuning the diagnosis", done, steps)
                trial = best.with_values(**{name: value})
                got = score(trial)
                if got > best_score + 1e-9:
                    best, best_score, moved = trial, got, True
        if not moved:
            break
    frame.release()
    return best, best_score


def cross_validate(
    con: BaseBackend,
    data_dirs: list[Path],
    grid: dict[str, list[Any]],
    *,
    passes: int = 2,
    progress: Progress | None = None,
    on_fold: Callable[[dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Leave one province out: tune on the others, report the held-out one's figures;
    then the settings tuned on all of them. ``on_fold`` is given the results so far after
    each fold (to keep them should the run stop)."""
    prepared = [prepare(con, d, window_of(d, None, None), cache=True) for d in data_dirs]
    found: dict[str, Any] = {"grid": grid, "passes": passes, "folds": []}
    for i, d in enumerate(data_dirs):
        train = [p for j, p in enumerate(prepared) if j != i]
        chosen, trained = tune(con, train, grid, passes=passes, progress=progress)
        held = evaluate_frame(con, *prepared[i], chosen).figures
        found["folds"].append(
            {
                "held_out": str(d),
                "settings": _changed(chosen),
                "objective_trained": trained,
                "objective": objective(held),
                "acceptance": held["acceptance"],
                "faults_one_ticket_named": held["faults"]["faults_one_ticket_named"],
                "precision": held["precision"]["precision"],
                "useful": held["precision"]["useful"],
            }
        )
        if on_fold is not None:
            on_fold(found)
    chosen, best = tune(con, prepared, grid, passes=passes, progress=progress)
    found["settings"], found["objective_all"] = _changed(chosen), best
    return found


def _changed(s: Settings) -> dict[str, Any]:
    """The settings that differ from the defaults."""
    base = Settings().to_dict()
    return {k: v for k, v in s.to_dict().items() if base[k] != v}
