"""Per-antenna mobility measures from CDR-shaped records, as bandicoot defines them.

Mirrors bandicoot's spatial indicators (``bandicoot/spatial.py``, with
``helper/group.py``'s ``positions_binning`` and ``core.User.recompute_home``;
computationalprivacy/bandicoot at 86e5f19, 0.6.0, whose demo export is 0.4.0) for one
subscriber over the whole period, i.e. bandicoot's ``groupby=None``. bandicoot is not a
dependency; the rules are re-implemented here.

* Records are kept if their ``interaction`` (when given) is ``call`` or ``text`` and
  taken in time order (ties in input order).
* **Positions.** Consecutive records sharing the key (year, day of month, hour,
  minute // 30) form one chunk, and each chunk gives one position: its most frequent
  antenna, the one met first in the chunk on a tie (bandicoot's ``max(positions,
  key=positions.count)``). The key has no month, so two chunks a month apart with
  nothing between merge, as in bandicoot. A record without antenna counts as the empty
  position, which is one more "antenna", as bandicoot's ``Position()`` is.
* **Home.** The same binning over the night records only: a record is at night unless
  ``night_end < time < night_start`` (19:00 and 07:00 by default, so 07:00 and 19:00
  are night); home is the most frequent night position, the one binned first on a tie
  (``Counter.most_common`` under Python 3). No night record, no home.
* ``number_of_antennas``: distinct positions. ``entropy_of_antennas``: Shannon entropy
  (natural log) of the positions' counts. ``percent_at_home``: the share of positions
  equal to home (``None`` without home). ``frequent_antennas``: how many of the most
  frequent positions it takes to cover ``ceil(n * percentage)`` of the n positions.
  ``radius_of_gyration``: over the positions whose antenna has coordinates, the
  count-weighted root-mean-square great-circle distance (km, R = 6,371 km) from their
  count-weighted mean latitude/longitude (``None`` when none has coordinates).
  ``active_days``: distinct calendar days with a call or text (not binned).
"""

from __future__ import annotations

import datetime as dt
import math

import numpy as np
import pandas as pd

from telcolens.errors import BadInput

EARTH_RADIUS_KM = 6371.0
MEASURES = [
    "number_of_antennas",
    "entropy_of_antennas",
    "percent_at_home",
    "frequent_antennas",
    "radius_of_gyration",
    "active_days",
]
_NO_ANTENNA = "\0none"  # bandicoot's empty Position(): equal to itself, unlike NaN


def antenna_measures(
    records: pd.DataFrame,
    antennas: pd.DataFrame | None = None,
    *,
    night_start: dt.time = dt.time(19),
    night_end: dt.time = dt.time(7),
    percentage: float = 0.8,
) -> dict[str, float | int | None]:
    """bandicoot's per-antenna measures of one subscriber (see the module docstring).

    Parameters
    ----------
    records
        Columns ``datetime`` and ``antenna_id``; ``interaction`` optional.
    antennas
        Columns ``antenna_id, latitude, longitude``; only ``radius_of_gyration`` needs it.
    night_start, night_end
        The night for the home antenna, bandicoot's ``User.night_start/night_end``.
    percentage
        The share ``frequent_antennas`` covers.

    Returns
    -------
    dict keyed by :data:`MEASURES`.
    """
    recs = _records(records)
    positions = binned_positions(recs)
    counts = _counts(positions)
    home = home_antenna(recs, night_start=night_start, night_end=night_end)
    n = len(positions)
    return {
        "number_of_antennas": len(counts),
        "entropy_of_antennas": _entropy(counts.to_numpy()) if n else None,
        "percent_at_home": None if home is None else float((positions == home).sum()) / n,
        "frequent_antennas": _frequent(counts.to_numpy(), percentage),
        "radius_of_gyration": _radius(positions, antennas),
        "active_days": int(recs["datetime"].dt.date.nunique()),
    }


def antenna_measures_by_user(
    records: pd.DataFrame, antennas: pd.DataFrame | None = None, **kwargs
) -> pd.DataFrame:
    """:func:`antenna_measures` for each ``user_id`` of ``records``: one row per user."""
    if "user_id" not in records.columns:
        raise BadInput("records lack column user_id")
    rows = {
        user: antenna_measures(one, antennas, **kwargs)
        for user, one in records.groupby("user_id", sort=True)
    }
    out = pd.DataFrame.from_dict(rows, orient="index", columns=MEASURES)
    out.index.name = "user_id"
    return out.reset_index()


def binned_positions(records: pd.DataFrame) -> pd.Series:
    """One position (antenna id) per run of records in the same half hour, in time order."""
    recs = _records(records)
    if recs.empty:
        return pd.Series([], dtype=object, name="antenna_id")
    t = recs["datetime"]
    key = pd.DataFrame({"y": t.dt.year, "d": t.dt.day, "h": t.dt.hour, "m": t.dt.minute // 30})
    chunk = key.ne(key.shift()).any(axis=1).cumsum().to_numpy()
    tally = pd.DataFrame(
        {
            "chunk": chunk,
            "antenna": recs["antenna_id"].to_numpy(),
            "order": np.arange(len(recs)),
        }
    )
    per = tally.groupby(["chunk", "antenna"], sort=False).agg(
        n=("order", "size"), first=("order", "min")
    )
    # Most records first, then the antenna met first: bandicoot's max(..., key=count).
    per = per.reset_index().sort_values(["chunk", "n", "first"], ascending=[True, False, True])
    winners = per.drop_duplicates("chunk", keep="first")
    return winners["antenna"].reset_index(drop=True).rename("antenna_id")


def home_antenna(
    records: pd.DataFrame,
    *,
    night_start: dt.time = dt.time(19),
    night_end: dt.time = dt.time(7),
) -> object | None:
    """The most frequent binned position at night (bandicoot's home); ``None`` if no night."""
    recs = _records(records)
    clock = recs["datetime"].dt.time
    if night_start < night_end:
        night = (clock > night_start) & (clock < night_end)
    else:
        night = ~((clock > night_end) & (clock < night_start))
    candidates = binned_positions(recs[night.to_numpy()])
    if candidates.empty:
        return None
    counts = _counts(candidates)
    return counts.index[0]


def _records(records: pd.DataFrame) -> pd.DataFrame:
    missing = [c for c in ("datetime", "antenna_id") if c not in records.columns]
    if missing:
        raise BadInput(f"records lack column(s) {', '.join(missing)}")
    out = records
    if "interaction" in out.columns:
        out = out[out["interaction"].isin(["call", "text"])]
    times = out["datetime"]
    if not pd.api.types.is_datetime64_any_dtype(times):
        times = pd.to_datetime(times, format="%Y-%m-%d %H:%M:%S")
    antenna = out["antenna_id"].astype(object).where(out["antenna_id"].notna(), _NO_ANTENNA)
    frame = pd.DataFrame(
        {
            "datetime": times.reset_index(drop=True),
            "antenna_id": antenna.reset_index(drop=True),
        }
    )
    return frame.sort_values("datetime", kind="stable").reset_index(drop=True)


def _counts(positions: pd.Series) -> pd.Series:
    """Counts per position, most first; ties in order of first appearance."""
    first = pd.Series(np.arange(len(positions)), index=positions.to_numpy())
    order = first.groupby(level=0, sort=False).agg(["size", "min"])
    order = order.sort_values(["size", "min"], ascending=[False, True])
    return order["size"]


def _entropy(counts: np.ndarray) -> float:
    p = counts / counts.sum()
    return float(-(p * np.log(p)).sum())


def _frequent(counts: np.ndarray, percentage: float) -> int:
    if len(counts) == 0:
        return 0
    target = math.ceil(int(counts.sum()) * percentage)
    covered = np.cumsum(np.sort(counts)[::-1])
    # bandicoot pops the largest counts until the target is reached (or none is left).
    return int(min(np.searchsorted(covered, target) + 1, len(counts))) if target > 0 else 0


def _radius(positions: pd.Series, antennas: pd.DataFrame | None) -> float | None:
    if antennas is None or positions.empty:
        return None
    where = antennas.drop_duplicates("antenna_id", keep="last").set_index("antenna_id")
    located = positions[positions.isin(where.index)]
    if located.empty:
        return None
    lat = where.loc[located, "latitude"].to_numpy(float)
    lon = where.loc[located, "longitude"].to_numpy(float)
    # Each position weighs once; the centre is the plain mean of the coordinates. One
    # bandicoot revision added each term twice (a sqrt(2) too large); the demo export's
    # 1.80654 km is the single sum, as here.
    c_lat, c_lon = lat.mean(), lon.mean()
    d = _great_circle_km(c_lat, c_lon, lat, lon)
    return float(math.sqrt(np.mean(d**2)))


def _great_circle_km(lat1, lon1, lat2, lon2) -> np.ndarray:
    # bandicoot's helper.tools.great_circle_distance (the half-angle form).
    dlat = np.radians(lat1 - lat2)
    dlon = np.radians(lon1 - lon2)
    a = (
        np.sin(dlat / 2) ** 2
        + np.cos(np.radians(lat1)) * np.cos(np.radians(lat2)) * np.sin(dlon / 2) ** 2
    )
    return EARTH_RADIUS_KM * 2.0 * np.arcsin(np.sqrt(a))
