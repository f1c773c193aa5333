"""The perception score: a line's measures mapped to the video experience people got.

The score is fitted on the Ofcom 2015 panel, whose lines ran video tests (start-up delay
of YouTube, Netflix and iPlayer) beside the network tests. Its form is kept simple so that
one set of parameters (``perception_params.json``) runs as pandas and as an Ibis
expression (DuckDB, Spark) on any frame of :data:`~telcolens.broadband.measures.MEASURES`:

* each measure ``x`` (imputed with its fitted median when missing) adds a monotone
  piecewise-linear curve of ``log(x + offset)`` with knots at its fitted quantiles, flat
  outside the fitted range; the slopes are fitted non-negative in the measure's good
  direction, so a better measure never lowers the score (monotone by design);
* ``eta`` = intercept + the sum of the curves; ``score`` = 100 / (1 + exp(-(eta - center)
  / width)), center and width from the quartiles of the fitted lines' ``eta``, so a score
  is about the line's percentile among the 2015 panel's lines (50: the median line);
* ``opinion`` (1-5): the mean opinion score the QoEcontrolledLab viewers gave video
  sessions with the start-up delay and resolution such lines got (:func:`line_opinion`);
* ``poor``: score below ``poor_below``; ``reasons``: the measures that cost the most
  points against a line at every median, and which measures were missing.
"""

from __future__ import annotations

import itertools
import json
import math
from collections.abc import Mapping
from importlib import resources
from pathlib import Path
from typing import Any

import ibis
import numpy as np
import pandas as pd

from telcolens.broadband.measures import MEASURES
from telcolens.errors import BadInput

PARAMS_VERSION = 1
OUTPUT_COLUMNS = ("score", "opinion", "poor", "reasons")
# log(x + offset): the panel reports loss, DNS failures and disconnections to 0.01 and often
# as 0, which log needs lifted; speeds and times are never 0 on a working line.
OFFSETS = {"loss_pct": 0.01, "loss_peak_pct": 0.01, "dns_fail_pct": 0.01, "disconnections": 0.01}
DECIMALS = {"Mbit/s": 1, "ms": 0, "%": 2, "count per day": 2}  # how reasons show values
MAX_REASONS = 3


class PerceptionError(BadInput):
    """The perception parameters or the data to fit them cannot be used."""


# --- the target and the opinion scale -------------------------------------------------


def load_params(path: str | Path | None = None) -> dict[str, Any]:
    """The parameters in ``path``, or those shipped with the package."""
    if path is None:
        text = resources.files("telcolens.broadband").joinpath("perception_params.json")
        source, raw = "the shipped perception_params.json", text.read_text(encoding="utf-8")
    else:
        source = str(path)
        try:
            raw = Path(path).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise PerceptionError(f"{path}: cannot read the parameters ({exc})") from None
    try:
        params = json.loads(raw)
    except json.JSONDecodeError as exc:
        raise PerceptionError(f"{source}: not JSON ({exc})") from None
    return check_params(params, source)


def check_params(params: Any, source: str = "the parameters") -> dict[str, Any]:
    """``params`` if they are perception parameters this version can score with."""
    try:
        if params["version"] != PARAMS_VERSION:
            raise PerceptionError(
                f"{source}: version {params['version']!r}; this telcolens reads {PARAMS_VERSION}"
            )
        float(params["intercept"]) + float(params["poor_below"])
        if not float(params["scale"]["width"]) > 0:
            raise PerceptionError(f"{source}: scale.width must be positive")
        for name, m in params["measures"].items():
            if name not in MEASURES:
                raise PerceptionError(f"{source}: unknown measure {name!r}")
            knots, weights = list(map(float, m["knots"])), list(map(float, m["weights"]))
            if (
                len(weights) != len(knots) - 1
                or knots != sorted(knots)
                or not all(math.isfinite(v) and v >= 0 for v in weights)
            ):
                raise PerceptionError(
                    f"{source}: {name} needs increasing knots and one non-negative weight "
                    "per segment"
                )
            float(m["median"]) + float(m["offset"])
        if params["opinion"] is not None:
            for key in ("best", "log_deficit_intercept", "log_deficit_slope", "smear"):
                float(params["opinion"][key])
    except PerceptionError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise PerceptionError(f"{source}: not perception parameters ({exc!r})") from None
    return dict(params)


# --- scoring: one formula, two column kinds --------------------------------------------

_TMP = "_perception_"  # prefix of the Ibis stages' helper columns


class _PandasOps:
    """The formula's operations on pandas Series."""

    def column(self, frame: pd.DataFrame, name: str) -> tuple[pd.Series, pd.Series]:
        if name not in frame:
            values = pd.Series(np.nan, index=frame.index, dtype="float64")
        else:
            values = pd.to_numeric(frame[name], errors="coerce").astype("float64")
        return values, values.isna()

    def stage(self, frame: pd.DataFrame, columns: dict[str, Any]):
        return frame, columns  # a Series is computed already

    def where(self, cond, yes, no):
        out = np.where(cond, yes, no)
        return pd.Series(out, index=cond.index, dtype=object if out.dtype.kind in "OU" else None)

    def ln(self, x):
        return np.log(x)

    def exp(self, x):
        return np.exp(x)

    def clip(self, x, lo, hi):
        return x.clip(lo, hi)

    def integer(self, cond):
        return cond.astype("int64")

    def text(self, x, decimals: int):
        rounded = np.floor(x * 10**decimals + 0.5)
        if decimals == 0:
            return rounded.map(lambda v: "" if np.isnan(v) else str(int(v)))
        return (rounded / 10**decimals).map(lambda v: "" if np.isnan(v) else repr(float(v)))


class _IbisOps(_PandasOps):
    """The same operations on Ibis columns (DuckDB and Spark compile them alike)."""

    def column(self, table: ibis.Table, name: str):
        if name not in table.columns:
            return ibis.null("float64"), ibis.literal(True)
        values = table[name].cast("float64")
        return values, values.isnull() | values.isnan()

    def stage(self, table: ibis.Table, columns: dict[str, Any]):
        # A column used many times further on is computed once in a sub-select: inlined,
        # the reasons' comparisons would repeat every curve dozens of times in the SQL.
        table = table.mutate(**{_TMP + k: v for k, v in columns.items()})
        return table, {k: table[_TMP + k] for k in columns}

    def where(self, cond, yes, no):
        return ibis.ifelse(cond, yes, no)

    def ln(self, x):
        return x.ln()

    def exp(self, x):
        return x.exp()

    def clip(self, x, lo, hi):
        # Ibis's clip guards nulls with CASEs that repeat x; the formula's x is never null.
        return ibis.greatest(ibis.least(x, hi), lo)

    def integer(self, cond):
        return cond.cast("int64")

    def text(self, x, decimals: int):
        rounded = (x * 10**decimals + 0.5).floor()
        if decimals == 0:
            return rounded.cast("int64").cast("string")
        return (rounded / 10**decimals).cast("float64").cast("string")


PANDAS_OPS, _IBIS = _PandasOps(), _IbisOps()


def measure_shape(name: str) -> dict[str, Any]:
    return {"offset": OFFSETS.get(name, 0.0), "higher_is_better": MEASURES[name].higher_is_better}


def segments(knots: list[float]) -> list[tuple[float, float]]:
    return list(itertools.pairwise(knots))


def piece(ops, x, shape: Mapping[str, Any], lo: float, hi: float):
    """One segment of a measure's curve: 0 at its low knot, signed so better is higher."""
    offset = float(shape["offset"])
    rise = ops.ln(ops.clip(x, lo, hi) + offset) - math.log(lo + offset)
    return rise if shape["higher_is_better"] else -rise


def _curve(ops, x, m: Mapping[str, Any]):
    """A measure's contribution to eta; None when all its weights are 0."""
    curve = None
    for w, (lo, hi) in zip(m["weights"], segments(m["knots"]), strict=True):
        if w > 0:  # a zero weight adds nothing: leave it out of the expression
            term = float(w) * piece(ops, x, m, lo, hi)
            curve = term if curve is None else curve + term
    return curve


def _formula(ops, data, params: Mapping[str, Any], want: tuple[str, ...]):
    """The ``want`` outputs over ``data``: the data (a later Ibis stage) and the outputs."""
    measures = {n: m for n, m in params["measures"].items() if any(w > 0 for w in m["weights"])}
    if not measures:
        raise PerceptionError("the parameters give every measure a weight of 0")
    imputed = {}
    for name, m in measures.items():
        raw, miss = ops.column(data, name)
        imputed[f"x_{name}"], imputed[f"m_{name}"] = ops.where(miss, float(m["median"]), raw), miss
    data, s0 = ops.stage(data, imputed)
    curves = {f"c_{n}": _curve(ops, s0[f"x_{n}"], m) for n, m in measures.items()}
    data, s1 = ops.stage(data, curves)
    eta = float(params["intercept"])
    for name in measures:
        eta = s1[f"c_{name}"] + eta
    data, s2 = ops.stage(data, {"eta": eta})
    eta, scale = s2["eta"], params["scale"]
    score = 100.0 / (1.0 + ops.exp((eta - scale["center"]) * (-1.0 / scale["width"])))
    out = {"eta": eta, "score": score, "poor": ops.integer(score < float(params["poor_below"]))}
    if (o := params["opinion"]) is not None:
        deficit = ops.exp(eta * o["log_deficit_slope"] + o["log_deficit_intercept"]) * o["smear"]
        out["opinion"] = ops.clip(o["best"] - deficit, 1.0, 5.0)
    if "reasons" not in want:
        return data, out
    # Points lost against a line at every median; a reason costs at least a point at the
    # score's steepest (its centre, 25/width points per unit of eta).
    deficits = {
        n: s1[f"c_{n}"] - _curve(PANDAS_OPS, pd.Series([float(m["median"])]), m).iloc[0]
        for n, m in measures.items()
    }
    data, places = ops.stage(data, _places(ops, deficits))
    missing = {n: s0[f"m_{n}"] for n in measures}
    data, out["reasons"] = _reasons(ops, data, deficits, places, missing, 0.04 * scale["width"])
    return data, out


def _places(ops, deficits: dict[str, Any]) -> dict[str, Any]:
    """Each measure's place when deficits are sorted, most negative first (ties: by order)."""
    names, places = list(deficits), {}
    for j, name in enumerate(names):
        place = None
        for i, other in enumerate(names):
            if i == j:
                continue
            d, e = deficits[other], deficits[name]
            ahead = ops.integer(d <= e if i < j else d < e)
            place = ahead if place is None else place + ahead
        # A lone measure is always first.
        places[name] = ops.integer(deficits[name] != deficits[name]) if place is None else place
    return places


def _reasons(ops, data, deficits, places, missing, threshold: float):
    pieces = {}
    for position in range(min(MAX_REASONS, len(deficits))):
        piece: Any = ""
        for name in deficits:
            unit = MEASURES[name].unit
            shown = f"{name} " + ops.text(ops.column(data, name)[0], DECIMALS[unit]) + f" {unit}"
            chosen = (places[name] == position) & (deficits[name] < -threshold)
            piece = ops.where(chosen, shown, piece)
        pieces[f"r{position}"] = piece
    # Separators come from flags, not from the text built so far: an expression that uses
    # its own prefix twice per step doubles in size with each step.
    absent, earlier = None, None
    for name, miss in missing.items():
        if earlier is None:
            part, earlier = ops.where(miss, name, ""), miss
        else:
            part, earlier = (
                ops.where(miss, ops.where(earlier, ", " + name, name), ""),
                earlier | miss,
            )
        absent = part if absent is None else absent + part
    pieces["missing"] = ops.where(earlier, "missing " + absent + " (fitted medians used)", "")
    data, pieces = ops.stage(data, pieces)
    text, before = None, None
    for piece in pieces.values():
        filled = piece != ""
        if text is None:
            text, before = piece, filled
        else:
            text, before = text + ops.where(before & filled, "; ", "") + piece, before | filled
    return data, text


def score_frame(
    frame: pd.DataFrame,
    params: Mapping[str, Any] | None = None,
    *,
    columns: tuple[str, ...] = OUTPUT_COLUMNS,
) -> pd.DataFrame:
    """``frame`` with the perception ``columns`` added (pandas).

    ``frame`` holds any of :data:`MEASURES` (absent or missing measures are imputed with
    their fitted medians and named in ``reasons``); ``params`` default to the shipped ones.
    """
    params = load_params() if params is None else check_params(params)
    _, out = _formula(PANDAS_OPS, frame, params, columns)
    result = frame.copy()
    for name in columns:
        result[name] = out.get(name, np.nan)
    return result


def score_expr(
    table: ibis.Table,
    params: Mapping[str, Any] | None = None,
    *,
    columns: tuple[str, ...] = OUTPUT_COLUMNS,
) -> ibis.Table:
    """``table`` with the perception ``columns`` added, as one Ibis expression.

    The same formula as :func:`score_frame`, reasons included, so DuckDB and Spark give
    the pandas results.
    """
    params = load_params() if params is None else check_params(params)
    original = list(table.columns)
    data, out = _formula(_IBIS, table, params, columns)
    missing = ibis.null("float64")
    return data.select(*original, **{n: out.get(n, missing) for n in columns})
