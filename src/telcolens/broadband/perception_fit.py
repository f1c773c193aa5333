"""Fitting the perception score on the Ofcom panel, and judging it on lines it never saw.

:func:`fit_panel` fits a :class:`PerceptionModel` on every 2015 panel line with video
start-up delays (its target: :func:`video_target`, the line's mean percentile of start-up
delay over the services it ran) and, given the QoEcontrolledLab sessions
(:func:`fit_lab`), the 1-5 opinion scale; its ``params()`` are what
:mod:`telcolens.broadband.perception` scores with and the package ships
(``perception_params.json``, refitted by ``telcolens broadband fit-perception``).
:func:`cross_validate` reports the Spearman correlation on held-out folds.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from sklearn.linear_model import LinearRegression, Ridge
from sklearn.model_selection import KFold

from telcolens.broadband.measures import MEASURES
from telcolens.broadband.ofcom import STARTUP_COLUMNS, VIDEO_SERVICES
from telcolens.broadband.perception import (
    OFFSETS,
    PANDAS_OPS,
    PARAMS_VERSION,
    PerceptionError,
    check_params,
    measure_shape,
    piece,
    score_frame,
    segments,
)
from telcolens.progress import Progress, reporter


def video_lines(panel: pd.DataFrame) -> pd.DataFrame:
    """The panel lines with at least one video start-up delay (2015's visible lines)."""
    missing = [c for c in STARTUP_COLUMNS if c not in panel]
    if missing:
        raise PerceptionError(
            f"the panel has no video columns ({', '.join(missing)}): only Ofcom's 2015 "
            "panel has them"
        )
    lines = panel[panel[list(STARTUP_COLUMNS)].notna().any(axis=1)]
    if len(lines) < 20:
        raise PerceptionError(f"only {len(lines)} lines have video start-up delays; need 20")
    return lines


def video_target(panel: pd.DataFrame) -> pd.Series:
    """The video experience each line got: the mean over YouTube, Netflix and iPlayer of
    the line's percentile rank of start-up delay among ``panel``'s lines, 1 for the
    shortest (higher is better); services a line lacks are left out of its mean."""
    ranks = pd.concat([(-panel[c]).rank(pct=True) for c in STARTUP_COLUMNS], axis=1)
    return ranks.mean(axis=1)


@dataclass(frozen=True)
class LabCurve:
    """Mean opinion of smooth video sessions: ``intercept`` at zero start-up delay in
    HD, ``sd`` added for standard definition (360p-480p), ``per_second`` of start-up."""

    intercept: float
    sd: float
    per_second: float
    sessions: int


def fit_lab(path: str | Path) -> LabCurve:
    """Fit :class:`LabCurve` on QoEcontrolledLab (semicolon-separated, decimal commas).

    Only smooth sessions count (25 frames/s or more, no dropped video frame), as the
    panel's video tests record start-up and resolution, not stalls; 144p-240p sessions
    get a term of their own so that they do not bend the SD one.
    """
    try:
        lab = pd.read_csv(path, sep=";", decimal=",")
    except (OSError, UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError) as e:
        raise PerceptionError(f"{path}: not a readable QoEcontrolledLab file ({e})") from None
    need = {"resolution", "framerate_video", "dropped_video", "begin_time", "mos"}
    if not need <= set(lab.columns):
        raise PerceptionError(f"{path}: missing column(s) {', '.join(sorted(need - set(lab)))}")
    smooth = lab[(lab.framerate_video >= 25) & (lab.dropped_video == 0)]
    terms = pd.DataFrame(
        {
            "sd": smooth.resolution.between(360, 719).astype(float),
            "low": (smooth.resolution < 360).astype(float),
            "seconds": smooth.begin_time / 1000.0,
        }
    )
    fit = LinearRegression().fit(terms, smooth.mos)
    coef = dict(zip(terms.columns, map(float, fit.coef_), strict=True))
    return LabCurve(float(fit.intercept_), coef["sd"], coef["seconds"], len(smooth))


def line_opinion(panel: pd.DataFrame, lab: LabCurve) -> pd.Series:
    """The lab's opinion (1-5) of the video sessions each line got: its mean start-up
    delay over the three services and its share of SD streams (UHD and HD count as HD)."""
    seconds = panel[list(STARTUP_COLUMNS)].mean(axis=1) / 1000.0
    sd_share = panel[[f"{s}SD24hr" for s in VIDEO_SERVICES]].mean(axis=1).fillna(0.0)
    return (lab.intercept + lab.sd * sd_share + lab.per_second * seconds).clip(1.0, 5.0)


# --- the model ---------------------------------------------------------------------------


class PerceptionModel:
    """Monotone additive model of the video experience from the line measures.

    Parameters
    ----------
    segments
        Pieces of each measure's curve (knots at evenly spaced quantiles).
    alpha
        Ridge penalty on the standardised pieces.
    poor_below
        Scores below this are ``poor``.
    measures
        The measures used (default: all of :data:`MEASURES`).
    """

    def __init__(
        self,
        *,
        segments: int = 8,
        alpha: float = 1.0,
        poor_below: float = 20.0,
        measures: tuple[str, ...] | None = None,
    ) -> None:
        self.segments = segments
        self.alpha = alpha
        self.poor_below = poor_below
        self.measures = measures

    def fit(
        self,
        X: pd.DataFrame,
        y: pd.Series,
        *,
        opinion: pd.Series | None = None,
        lab: LabCurve | None = None,
    ) -> PerceptionModel:
        """Fit on measures ``X`` and target ``y`` (:func:`video_target`).

        ``opinion``, the lab's opinion of each line's video sessions (:func:`line_opinion`
        with ``lab``), calibrates the 1-5 view when given.
        """
        if (opinion is None) != (lab is None):
            raise PerceptionError("the opinion scale needs both the lines' opinions and the lab")
        names = list(self.measures or MEASURES)
        unknown = sorted(set(names) - set(MEASURES))
        if unknown or self.segments < 1:
            raise PerceptionError(f"bad settings: measures {unknown}, segments {self.segments}")
        y = pd.Series(np.asarray(y, dtype=float), index=X.index)
        keep = y.notna()
        X = _measure_frame(X.loc[keep], names)
        if len(X) < 20:
            raise PerceptionError(f"only {len(X)} lines with a target; need 20")
        self.medians_ = {}
        self.knots_ = {}
        for name in names:
            values = X[name].dropna()
            if values.empty:
                raise PerceptionError(f"no line has {name}: cannot fit its median")
            self.medians_[name] = float(values.median())
            qs = np.quantile(values, np.linspace(0.0, 1.0, self.segments + 1))
            self.knots_[name] = [float(k) for k in np.unique(qs)]
        basis = self._basis(X.fillna(self.medians_))
        spread = basis.std(ddof=0).replace(0.0, 1.0)
        ridge = Ridge(alpha=self.alpha, positive=True).fit(basis / spread, y[keep])
        coef = pd.Series(ridge.coef_, index=basis.columns) / spread
        self.weights_ = {
            n: [float(coef[f"{n}:{k}"]) for k in range(_pieces(self, n))] for n in names
        }
        self.intercept_ = float(ridge.intercept_)
        eta = self.intercept_ + basis.to_numpy() @ coef.to_numpy()
        q1, median, q3 = np.quantile(eta, [0.25, 0.5, 0.75])
        # A logistic whose quartiles are eta's: the score reads as a percentile of the panel.
        self.center_, self.width_ = float(median), float((q3 - q1) / (2 * math.log(3)))
        self.opinion_ = None if opinion is None else _fit_opinion(eta, opinion[keep], lab)
        return self

    def _basis(self, X: pd.DataFrame) -> pd.DataFrame:
        return pd.DataFrame(
            {
                f"{name}:{k}": piece(PANDAS_OPS, X[name], measure_shape(name), lo, hi)
                for name in self.knots_
                for k, (lo, hi) in enumerate(segments(self.knots_[name]))
            },
            index=X.index,
        )

    def decision_function(self, X: pd.DataFrame) -> np.ndarray:
        """``eta``, the fitted experience before the 0-100 mapping."""
        return score_frame(X, self.to_params(), columns=("eta",))["eta"].to_numpy()

    def predict(self, X: pd.DataFrame) -> np.ndarray:
        """The score, 0-100."""
        return score_frame(X, self.to_params(), columns=("score",))["score"].to_numpy()

    def to_params(self) -> dict[str, Any]:
        """The fitted parameters as plain JSON-able values (``perception_params.json``)."""
        return {
            "version": PARAMS_VERSION,
            "settings": {"segments": self.segments, "alpha": self.alpha},
            "poor_below": self.poor_below,
            "intercept": self.intercept_,
            "measures": {
                name: {
                    "unit": MEASURES[name].unit,
                    "higher_is_better": MEASURES[name].higher_is_better,
                    "offset": OFFSETS.get(name, 0.0),
                    "median": self.medians_[name],
                    "knots": self.knots_[name],
                    "weights": self.weights_[name],
                }
                for name in self.knots_
            },
            "scale": {"center": self.center_, "width": self.width_},
            "opinion": self.opinion_,
        }

    @classmethod
    def from_params(cls, params: Mapping[str, Any]) -> PerceptionModel:
        """A fitted model from :meth:`to_params`'s output (checked)."""
        params = check_params(params)
        settings = params["settings"]
        model = cls(
            segments=settings["segments"],
            alpha=settings["alpha"],
            poor_below=params["poor_below"],
            measures=tuple(params["measures"]),
        )
        model.intercept_ = params["intercept"]
        model.medians_ = {n: m["median"] for n, m in params["measures"].items()}
        model.knots_ = {n: m["knots"] for n, m in params["measures"].items()}
        model.weights_ = {n: m["weights"] for n, m in params["measures"].items()}
        model.center_, model.width_ = params["scale"]["center"], params["scale"]["width"]
        model.opinion_ = params["opinion"]
        return model


def _pieces(model: PerceptionModel, name: str) -> int:
    return len(model.knots_[name]) - 1


def _fit_opinion(eta: np.ndarray, opinion: pd.Series, lab: LabCurve) -> dict[str, Any]:
    # The deficit under the lab's best (HD, instant start) is log-linear in eta: start-up
    # delays are skewed, long on the slowest lines. Smearing (Duan) turns the fitted mean
    # log back into a mean; the slope is kept <= 0 so a better line never rates lower.
    best = lab.intercept
    deficit = np.log(np.clip(best - opinion.to_numpy(dtype=float), 1e-3, None))
    design = np.column_stack([np.ones_like(eta), eta])
    (a, b), *_ = np.linalg.lstsq(design, deficit, rcond=None)
    b = min(float(b), 0.0)
    a = float(np.mean(deficit - b * eta))
    smear = float(np.mean(np.exp(deficit - a - b * eta)))
    return {
        "best": best,
        "log_deficit_intercept": a,
        "log_deficit_slope": b,
        "smear": smear,
        "lab": asdict(lab),
    }


# --- parameters ------------------------------------------------------------------------


def _measure_frame(X: pd.DataFrame, names: list[str]) -> pd.DataFrame:
    return pd.DataFrame({name: PANDAS_OPS.column(X, name)[0] for name in names}, index=X.index)


# --- fitting on the panel ----------------------------------------------------------------


def fit_panel(
    panel: pd.DataFrame, *, lab: LabCurve | None = None, **settings: Any
) -> PerceptionModel:
    """A :class:`PerceptionModel` fitted on every panel line with video start-up delays."""
    lines = video_lines(panel)
    opinion = None if lab is None else line_opinion(lines, lab)
    return PerceptionModel(**settings).fit(lines, video_target(lines), opinion=opinion, lab=lab)


def cross_validate(
    panel: pd.DataFrame,
    *,
    folds: int = 10,
    repeats: int = 5,
    seed: int = 0,
    progress: Progress | None = None,
    **settings: Any,
) -> pd.DataFrame:
    """Spearman correlation of the score with the video experience on held-out folds.

    Each of ``repeats`` shuffles splits the video lines into ``folds`` folds; the model is
    fitted on the other folds (their own target ranks) and judged on the fold, whose target
    ranks are computed among its lines alone. One row per fold: ``score_rho`` and, for
    comparison, ``download_rho`` (download speed alone, nothing fitted).
    """
    if folds < 2 or repeats < 1:
        raise PerceptionError(f"need 2 folds or more and 1 repeat or more, not {folds}, {repeats}")
    lines = video_lines(panel).reset_index(drop=True)
    report = reporter(progress)
    rows, total = [], folds * repeats
    report("cross-validating", 0, total)
    for repeat in range(repeats):
        split = KFold(folds, shuffle=True, random_state=seed + repeat).split(lines)
        for fold, (train, test) in enumerate(split):
            model = PerceptionModel(**settings).fit(
                lines.iloc[train], video_target(lines.iloc[train])
            )
            held = lines.iloc[test]
            target = video_target(held)
            rows.append(
                {
                    "repeat": repeat,
                    "fold": fold,
                    "lines": len(held),
                    "score_rho": _spearman(model.predict(held), target),
                    "download_rho": _spearman(held["dl_mbps"], target),
                }
            )
            report("cross-validating", len(rows), total)
    return pd.DataFrame(rows)


def _spearman(a, b) -> float:
    return float(
        pd.Series(np.asarray(a, dtype=float)).corr(pd.Series(np.asarray(b)), method="spearman")
    )
