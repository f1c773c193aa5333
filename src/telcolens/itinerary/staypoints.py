"""Stays from a subscriber's sightings: point-level (GPS fixes) and place-level forms.

The rule is trackintel's current "sliding" staypoint rule: the body of
``trackintel.preprocessing.positionfixes._generate_staypoints_sliding_user`` behind
``generate_staypoints(method="sliding")`` (trackintel 1.x as at mie-lab/trackintel
261801a, 2026-05-25, the commit whose test data checks it), re-implemented here with
numpy; trackintel itself is not a dependency.

Semantics of :func:`staypoints` and :func:`place_stays`. Per subscriber, sightings are
taken in time order (ties keep their input order; exact duplicate rows are dropped
first). An *anchor* starts at the first sighting. Walking forward, the first sighting
``k`` after the anchor that either

* follows its predecessor by more than ``gap_threshold`` (a *gap*), or
* is *elsewhere*: at least ``dist_threshold`` metres (haversine, R = 6,371,000 m) from
  the anchor, or, for categorical places, at a different place,

ends the anchor's run. A gap ends it without a stay. Otherwise the run is a stay when
``time[k] - time[anchor] >= time_threshold``: it starts at the anchor's time, finishes
at ``time[k]`` (the first sighting elsewhere, so the stay lasts until the subscriber is
seen to have left) and holds sightings ``anchor .. k-1``. Either way ``k`` becomes the
next anchor. A run still open at the last sighting is no stay (the subscriber was never
seen leaving) unless ``include_last``: then it is one if ``time[last] - time[anchor] >=
time_threshold``, finishing at the last sighting and holding it too. All comparisons
are inclusive (``>=``) except the gap (``>``), as in trackintel.

The city-level engine version (``stays.py`` with ``boundary="first_outside"``) keeps the
start/finish part of this: a stay starts at its own first sighting and finishes at the
first sighting in another city, and a subscriber's last stay finishes at its last
sighting. Before its ping-pong smoothing, its runs are ``place_stays(...,
time_threshold_min=0, gap_threshold_min=inf, include_last=True)`` with the city as place.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from telcolens.errors import BadInput

FEET_TO_METRES = 0.3048
EARTH_RADIUS_M = 6_371_000.0
FIX_COLUMNS = ["user_id", "tracked_at", "lat", "lon", "elevation"]
STAY_COLUMNS = ["user_id", "started_at", "finished_at", "lat", "lon", "n_fixes"]
PLACE_STAY_COLUMNS = ["user_id", "started_at", "finished_at", "place", "n_fixes"]
_PLT_NAMES = ["lat", "lon", "zero", "altitude_ft", "days", "date", "time"]


def read_geolife(folder: str | Path) -> pd.DataFrame:
    """GPS fixes from a GeoLife folder (``000/Trajectory/*.plt``, ...), as trackintel reads them.

    Folder ``000`` is user 0; altitude in feet becomes ``elevation`` in metres; times are
    UTC. Exact duplicate fixes are dropped (trackintel's ``exclude_duplicate_pfs``) and
    the fixes sorted stably by user and time, files taken in name order.

    Returns
    -------
    DataFrame with columns ``user_id, tracked_at, lat, lon, elevation``.
    """
    root = Path(folder)
    users = sorted(p for p in root.iterdir() if p.is_dir()) if root.is_dir() else []
    if not users:
        raise BadInput(f"{root}: no GeoLife user folders (000, 001, ...) here")
    frames = []
    for user in users:
        if not user.name.isdigit():
            raise BadInput(f"{user}: a GeoLife user folder is named by its number")
        for plt in sorted((user / "Trajectory").glob("*.plt")):
            frames.append(_read_plt(plt, int(user.name)))
    if not frames:
        return _empty(FIX_COLUMNS)
    fixes = pd.concat(frames, ignore_index=True)
    return _clean(fixes)


def _read_plt(path: Path, user_id: int) -> pd.DataFrame:
    raw = pd.read_csv(path, skiprows=6, header=None, names=_PLT_NAMES)
    return pd.DataFrame(
        {
            "user_id": np.int64(user_id),
            "tracked_at": pd.to_datetime(
                raw["date"] + " " + raw["time"], format="%Y-%m-%d %H:%M:%S", utc=True
            ),
            "lat": raw["lat"].astype(float),
            "lon": raw["lon"].astype(float),
            "elevation": raw["altitude_ft"] * FEET_TO_METRES,
        }
    )


def _clean(sightings: pd.DataFrame) -> pd.DataFrame:
    # trackintel drops exact duplicates, then sorts each user's fixes stably by time.
    out = sightings.drop_duplicates(keep="first")
    return out.sort_values(["user_id", "tracked_at"], kind="stable").reset_index(drop=True)


def _empty(columns: list[str]) -> pd.DataFrame:
    return pd.DataFrame({c: pd.Series(dtype=object) for c in columns})


def haversine_m(lat1, lon1, lat2, lon2) -> np.ndarray:
    """Great-circle distance in metres, in trackintel's ``point_haversine_dist`` form.

    The arccos form rather than the half-angle one, so that distances right at a
    threshold round the way trackintel's do.
    """
    lat1, lon1, lat2, lon2 = (
        np.radians(np.asarray(v, dtype=float)) for v in (lat1, lon1, lat2, lon2)
    )
    cos_c = np.cos(lat1 - lat2) - np.cos(lat1) * np.cos(lat2) * (1.0 - np.cos(lon1 - lon2))
    return EARTH_RADIUS_M * np.arccos(np.clip(cos_c, -1.0, 1.0))


def staypoints(
    fixes: pd.DataFrame,
    *,
    dist_threshold_m: float = 100.0,
    time_threshold_min: float = 5.0,
    gap_threshold_min: float = 15.0,
    include_last: bool = False,
) -> pd.DataFrame:
    """Staypoints from GPS fixes by trackintel's sliding rule (see the module docstring).

    Parameters
    ----------
    fixes
        Columns ``user_id, tracked_at, lat, lon`` (others ignored).
    dist_threshold_m, time_threshold_min, gap_threshold_min, include_last
        trackintel's ``dist_threshold`` (metres), ``time_threshold`` and
        ``gap_threshold`` (minutes) and ``include_last``, with its defaults.

    Returns
    -------
    DataFrame ``user_id, started_at, finished_at, lat, lon, n_fixes``, one row per
    staypoint, by user then time. ``lat`` is the mean latitude and ``lon`` the circular
    mean longitude of the staypoint's distinct positions (trackintel's centroid of the
    fixes' union), ``n_fixes`` the fixes it holds.
    """
    _require(fixes, ["user_id", "tracked_at", "lat", "lon"])
    fixes = _clean(fixes[["user_id", "tracked_at", "lat", "lon"]])
    rows = []
    for user_id, one in fixes.groupby("user_id", sort=True):
        t = _ns(one["tracked_at"])
        lat, lon = one["lat"].to_numpy(float), one["lon"].to_numpy(float)
        away = _far_from(lat, lon, dist_threshold_m)
        for start, end, finish in _sliding(
            t, away, time_threshold_min, gap_threshold_min, include_last
        ):
            c_lat, c_lon = _centroid(lat[start:end], lon[start:end])
            rows.append(
                (
                    user_id,
                    one["tracked_at"].iat[start],
                    one["tracked_at"].iat[finish],
                    c_lat,
                    c_lon,
                    end - start,
                )
            )
    return _frame(rows, STAY_COLUMNS, fixes)


def place_stays(
    sightings: pd.DataFrame,
    *,
    time_threshold_min: float = 5.0,
    gap_threshold_min: float = 15.0,
    include_last: bool = False,
) -> pd.DataFrame:
    """Stays over categorical places: the sliding rule with "elsewhere" = another place.

    ``sightings`` has columns ``user_id, tracked_at, place``. A stay is a run of
    consecutive same-place sightings lasting at least ``time_threshold_min`` up to the
    first sighting at another place, with the start/finish semantics of the module
    docstring. Returns ``user_id, started_at, finished_at, place, n_fixes``.
    """
    _require(sightings, ["user_id", "tracked_at", "place"])
    sightings = _clean(sightings[["user_id", "tracked_at", "place"]])
    rows = []
    for user_id, one in sightings.groupby("user_id", sort=True):
        t = _ns(one["tracked_at"])
        place = one["place"].to_numpy()
        away = _other_place(place)
        for start, end, finish in _sliding(
            t, away, time_threshold_min, gap_threshold_min, include_last
        ):
            rows.append(
                (
                    user_id,
                    one["tracked_at"].iat[start],
                    one["tracked_at"].iat[finish],
                    place[start],
                    end - start,
                )
            )
    return _frame(rows, PLACE_STAY_COLUMNS, sightings)


def _far_from(lat: np.ndarray, lon: np.ndarray, threshold_m: float):
    def away(anchor: int, ks: np.ndarray) -> np.ndarray:
        return haversine_m(lat[anchor], lon[anchor], lat[ks], lon[ks]) >= threshold_m

    return away


def _other_place(place: np.ndarray):
    def away(anchor: int, ks: np.ndarray) -> np.ndarray:
        return place[ks] != place[anchor]

    return away


def _sliding(t, elsewhere, time_threshold_min, gap_threshold_min, include_last):
    """Yield ``(start, end, finish)`` per stay: fixes ``start:end``, finished at ``t[finish]``.

    One user's time-ordered nanosecond times; ``elsewhere(anchor, ks)`` says which of
    the sightings ``ks`` are away from the anchor. The walk jumps anchor to anchor and
    tests each anchor's candidates as one numpy array, in growing windows.
    """
    n = len(t)
    min_stay = np.int64(round(time_threshold_min * 60e9))
    gap = np.zeros(n, dtype=bool)
    gap[1:] = np.diff(t) > np.float64(gap_threshold_min) * 60e9
    start = 0
    while start < n - 1:
        k = _first_break(start, n, gap, elsewhere)
        if k == n:
            break
        if not gap[k] and t[k] - t[start] >= min_stay:
            yield start, k, k
        start = k
    if include_last and n and t[n - 1] - t[start] >= min_stay:
        yield start, n, n - 1


def _first_break(start: int, n: int, gap: np.ndarray, elsewhere) -> int:
    """The first sighting after ``start`` that follows a gap or is elsewhere; ``n`` if none."""
    lo, width = start + 1, 64
    while lo < n:
        ks = np.arange(lo, min(lo + width, n))
        hit = gap[ks] | elsewhere(start, ks)
        if hit.any():
            return int(ks[np.argmax(hit)])
        lo, width = ks[-1] + 1, width * 4
    return n


def _centroid(lat: np.ndarray, lon: np.ndarray) -> tuple[float, float]:
    # trackintel averages the union of the points, so a position repeated counts once.
    pts = np.unique(np.column_stack([lat, lon]), axis=0)
    lon_rad = np.radians(pts[:, 1])
    c_lon = np.degrees(np.arctan2(np.sin(lon_rad).mean(), np.cos(lon_rad).mean()))
    return float(pts[:, 0].mean()), float(c_lon)


def _ns(times: pd.Series) -> np.ndarray:
    if not pd.api.types.is_datetime64_any_dtype(times):
        raise BadInput("tracked_at must be a datetime column")
    return pd.DatetimeIndex(times).as_unit("ns").asi8


def _require(frame: pd.DataFrame, columns: list[str]) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise BadInput(f"sightings lack column(s) {', '.join(missing)}")


def _frame(rows: list[tuple], columns: list[str], source: pd.DataFrame) -> pd.DataFrame:
    out = pd.DataFrame(rows, columns=columns)
    time_dtype = source["tracked_at"].dtype
    out["started_at"] = out["started_at"].astype(time_dtype)
    out["finished_at"] = out["finished_at"].astype(time_dtype)
    out["user_id"] = out["user_id"].astype(source["user_id"].dtype)
    out["n_fixes"] = out["n_fixes"].astype(np.int64)
    return out
