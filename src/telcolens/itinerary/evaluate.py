"""How right the card is on a synthetic province: its cities against the generator's truth.

The truth (``truth/itinerary_*.parquet``, never read by the build) says where each phone
was while it was on: at home except in its away periods (trips and day visits). The
truth's card for a window lists the home city when the phone was on any day of it (a
day at home holds at least 6 hours there) and each away city with a stay of
``min_stay_hours`` or more (added up with ``cumulative``). A subscriber is right when the
index's cities equal the truth's exactly. Errors are told apart: a city listed that the
phone visited too briefly, one it never entered (border ping-pong, noise), and a truth
city missed (too few sightings to see a stay that was long enough).
"""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from telcolens.dataset import TRUTH_DIR
from telcolens.errors import BadInput
from telcolens.itinerary.index import VisitIndex
from telcolens.itinerary.stays import DEFAULTS, StaySettings


@dataclass
class Evaluation:
    """Exact-match share over subscribers whose phone was on in the window, and the errors."""

    window: tuple[dt.date, dt.date]
    subscribers: int
    exact: int
    away_truth: int  # away cities the truth's cards list
    away_listed: int  # of them, listed by the index
    extra: dict[str, int] = field(default_factory=dict)  # wrongly listed cities, by cause
    missed: dict[str, int] = field(default_factory=dict)  # truth cities not listed, by kind

    @property
    def exact_share(self) -> float:
        return self.exact / self.subscribers if self.subscribers else float("nan")

    def to_json(self) -> dict:
        return {
            "window": [d.isoformat() for d in self.window],
            "subscribers": self.subscribers,
            "exact": self.exact,
            "exact_share": round(self.exact_share, 5),
            "away_cities_truth": self.away_truth,
            "away_cities_listed": self.away_listed,
            "extra_cities": self.extra,
            "missed_cities": self.missed,
        }


@dataclass(frozen=True)
class Truth:
    cards: pd.DataFrame  # subscriber_id, city, kind (home, trip, visit): what a card lists
    brief: pd.DataFrame  # subscriber_id, city: away cities entered, but too briefly


def _read(folder: Path, name: str) -> pd.DataFrame:
    try:
        return pd.read_parquet(folder / f"{name}.parquet")
    except FileNotFoundError:
        raise BadInput(
            f"{folder} has no {name}.parquet: generate the province again with this "
            "version of `telcolens generate`"
        ) from None


def truth_cards(data_dir: Path, as_of: dt.date, settings: StaySettings = DEFAULTS) -> Truth:
    """The cards the truth gives for the window answered on ``as_of``."""
    folder = data_dir / TRUTH_DIR
    home, away = (_read(folder, f"itinerary_{n}") for n in ("home", "away"))
    manifest = json.loads((folder / "manifest.json").read_text())
    start = dt.date.fromisoformat(manifest["start"])
    first, last = settings.window(as_of)
    lo_d, hi_d = max((first - start).days, 0), min((last - start).days, manifest["days"] - 1)
    # Bit d of on_days: the phone drew records on day d (numpy.packbits' order).
    width = (manifest["days"] + 7) // 8
    packed = np.frombuffer(b"".join(home.on_days), np.uint8).reshape(len(home), width)
    on = np.unpackbits(packed, axis=1)[:, lo_d : hi_d + 1].any(axis=1) if hi_d >= lo_d else 0
    homes = home[np.asarray(on, bool) & np.ones(len(home), bool)]
    cards = [homes.assign(city=homes.home_city, kind="home")[["subscriber_id", "city", "kind"]]]
    lo, hi = pd.Timestamp(first), pd.Timestamp(last + dt.timedelta(days=1))
    a = away[(away.end > lo) & (away.start < hi)].copy()
    a["hours"] = (a.end.clip(upper=hi) - a.start.clip(lower=lo)).dt.total_seconds() / 3600
    per_city = a.groupby(["subscriber_id", "city"]).agg(
        hours=("hours", "sum" if settings.cumulative else "max"), kind=("kind", "first")
    )
    long_enough = per_city.hours >= settings.min_stay_hours
    cards.append(per_city[long_enough].reset_index()[["subscriber_id", "city", "kind"]])
    brief = per_city[~long_enough].reset_index()[["subscriber_id", "city"]]
    return Truth(pd.concat(cards, ignore_index=True), brief)


def evaluate(data_dir: Path, index: Path, settings: StaySettings = DEFAULTS) -> Evaluation:
    """Compare the index's cards with the truth's, over subscribers on in the window."""
    ix = VisitIndex(index)
    truth = truth_cards(data_dir, ix.window.as_of, settings)
    with sqlite3.connect(f"file:{ix.file}?mode=ro", uri=True) as con:
        got = pd.read_sql("SELECT subscriber_id, city FROM visits", con)
    cards = truth.cards.set_index(["subscriber_id", "city"])
    subs = cards.index.get_level_values(0).unique()
    got = got[got.subscriber_id.isin(subs)].set_index(["subscriber_id", "city"])
    extra = got.index.difference(cards.index)
    missed = cards.index.difference(got.index)
    wrong = set(extra.get_level_values(0)) | set(missed.get_level_values(0))
    brief = extra.isin(truth.brief.set_index(["subscriber_id", "city"]).index)
    missed_kinds = cards.loc[missed].kind.value_counts()
    away = cards[cards.kind != "home"]
    return Evaluation(
        window=(ix.window.start, ix.window.end),
        subscribers=len(subs),
        exact=len(subs) - len(wrong),
        away_truth=len(away),
        away_listed=len(away) - int(missed_kinds.drop("home", errors="ignore").sum()),
        extra={"visited_too_briefly": int(brief.sum()), "never_entered": int((~brief).sum())},
        missed={str(k): int(v) for k, v in missed_kinds.items()},
    )
