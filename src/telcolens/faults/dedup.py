"""Alarm deduplication: repeated raises of one alarm become one episode until it clears.

The reduction key is (ne_id, alarm_type). A raise while an episode of its key is open
joins it (count + 1, last_seen moves on); a clear closes its own raise, and the
episode closes when every raise in it has cleared. A raise after that opens a new
episode, so a flapping alarm gives one episode per flap. An episode not raised again
for ``stale_s`` (6 hours) ages out, as stuck alarms do in an alarm list. :func:`deduplicate` does
this for a table at once, :class:`AlarmReducer` for a stream, with the same result.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

SEVERITY_ORDER = ("critical", "major", "minor", "warning", "indeterminate")
EPISODE_COLUMNS = (
    "episode_id",
    "ne_id",
    "alarm_type",
    "first_raised",
    "last_seen",
    "cleared_at",
    "count",
    "severity",
)
_NEVER = np.iinfo(np.int64).max
# A stuck alarm whose clear was lost should not swallow the same alarm days later.
STALE_S = 6 * 3600.0


def deduplicate(
    alarms: pd.DataFrame, *, stale_s: float | None = STALE_S
) -> tuple[pd.DataFrame, pd.Series]:
    """Episodes of ``alarms`` and each alarm's episode.

    Parameters
    ----------
    alarms
        Columns alarm_id, ne_id, alarm_type, severity, raised_at, cleared_at (NaT
        while active), as in the ``alarms`` table.
    stale_s
        An open episode not raised again for this long ages out: the next raise opens
        a new one (its clear was lost). None keeps episodes open until cleared.

    Returns
    -------
    The episodes (columns :data:`EPISODE_COLUMNS`, ordered by first_raised) and a
    Series of episode_id indexed by alarm_id.
    """
    a = alarms.sort_values(["ne_id", "alarm_type", "raised_at", "alarm_id"], kind="stable")
    raised = _micros(a["raised_at"])
    cleared = _micros(a["cleared_at"])
    ends = np.where(cleared < 0, _NEVER, cleared)
    ne, kind = a["ne_id"].to_numpy(), a["alarm_type"].to_numpy()
    first_of_key = np.r_[True, (ne[1:] != ne[:-1]) | (kind[1:] != kind[:-1])]
    key = np.cumsum(first_of_key)
    # The latest clear among earlier raises of the same key: the episode is still open
    # while this lies ahead.
    open_until = pd.Series(ends).groupby(key).cummax().groupby(key).shift().to_numpy()
    starts = first_of_key | (raised >= np.nan_to_num(open_until, nan=-1))
    if stale_s is not None:
        starts |= np.r_[False, np.diff(raised) > stale_s * 1e6]
    episode = np.cumsum(starts) - 1
    rank = pd.Categorical(a["severity"], categories=SEVERITY_ORDER).codes
    frame = pd.DataFrame(
        {
            "episode": episode,
            "ne_id": ne,
            "alarm_type": kind,
            "raised": raised,
            "end": ends,
            "rank": np.where(rank < 0, len(SEVERITY_ORDER) - 1, rank),
        }
    )
    g = frame.groupby("episode", sort=True)
    end = g["end"].max().to_numpy()
    episodes = pd.DataFrame(
        {
            "ne_id": g["ne_id"].first().to_numpy(),
            "alarm_type": g["alarm_type"].first().to_numpy(),
            "first_raised": _stamps(g["raised"].min().to_numpy()),
            "last_seen": _stamps(g["raised"].max().to_numpy()),
            "cleared_at": _stamps(np.where(end == _NEVER, -1, end)),
            "count": g.size().to_numpy(),
            "severity": np.array(SEVERITY_ORDER)[g["rank"].min().to_numpy()],
        }
    )
    order = np.argsort(episodes["first_raised"].to_numpy(), kind="stable")
    renumber = np.empty(len(order), np.int64)
    renumber[order] = np.arange(len(order))
    episodes = episodes.iloc[order].reset_index(drop=True)
    episodes.insert(0, "episode_id", np.arange(len(episodes)))
    mapping = pd.Series(renumber[episode], index=a["alarm_id"].to_numpy(), name="episode_id")
    return episodes, mapping


def _micros(values: pd.Series) -> np.ndarray:
    """Microseconds since the epoch; -1 for a missing time."""
    stamps = pd.to_datetime(values).astype("datetime64[us]")
    return np.where(stamps.isna(), -1, stamps.to_numpy().view(np.int64))


def _stamps(micros: np.ndarray) -> np.ndarray:
    out = np.asarray(micros, np.int64).astype("datetime64[us]")
    out[np.asarray(micros) < 0] = np.datetime64("NaT")
    return out


@dataclass
class Episode:
    """One open or closed run of an alarm on a device."""

    episode_id: int
    ne_id: str
    alarm_type: str
    first_raised: pd.Timestamp
    last_seen: pd.Timestamp
    severity: str = "indeterminate"
    count: int = 1
    cleared_at: pd.Timestamp | None = None
    outstanding: int = field(default=1, repr=False)


class AlarmReducer:
    """Incremental deduplication for alarm receivers: feed raises and clears in time order.

    ``active_`` maps each open (ne_id, alarm_type) to its :class:`Episode`;
    ``episodes_`` lists every episode in the order they opened.
    """

    def __init__(self, *, stale_s: float | None = STALE_S) -> None:
        self.stale_s = stale_s
        self.active_: dict[tuple[str, str], Episode] = {}
        self.episodes_: list[Episode] = []

    def raise_alarm(
        self, ne_id: str, alarm_type: str, at: pd.Timestamp, severity: str = "indeterminate"
    ) -> Episode:
        """Record a raise; returns the episode it opened or joined."""
        episode = self.active_.get((ne_id, alarm_type))
        if episode is not None and self._stale(episode, at):
            del self.active_[ne_id, alarm_type]
            episode = None
        if episode is None:
            episode = Episode(len(self.episodes_), ne_id, alarm_type, at, at, severity)
            self.episodes_.append(episode)
            self.active_[ne_id, alarm_type] = episode
            return episode
        episode.count += 1
        episode.outstanding += 1
        episode.last_seen = max(episode.last_seen, at)
        if _rank(severity) < _rank(episode.severity):
            episode.severity = severity
        return episode

    def _stale(self, episode: Episode, at: pd.Timestamp) -> bool:
        gap = (at - episode.last_seen).total_seconds()
        return self.stale_s is not None and gap > self.stale_s

    def clear_alarm(self, ne_id: str, alarm_type: str, at: pd.Timestamp) -> Episode | None:
        """Record a clear; returns the episode it closed, or None while raises remain
        outstanding (or nothing of that key was open)."""
        episode = self.active_.get((ne_id, alarm_type))
        if episode is None:
            return None
        episode.outstanding -= 1
        if episode.outstanding > 0:
            return None
        episode.cleared_at = at
        del self.active_[ne_id, alarm_type]
        return episode

    def feed(self, alarms: pd.DataFrame) -> AlarmReducer:
        """Replay a table of alarms as raise and clear events in time order."""
        raises = alarms.assign(at_=alarms["raised_at"], is_clear=False)
        clears = alarms.dropna(subset=["cleared_at"])
        clears = clears.assign(at_=clears["cleared_at"], is_clear=True)
        # At the same instant a clear comes first, as in deduplicate().
        events = pd.concat([raises, clears]).sort_values(
            ["at_", "is_clear"], ascending=[True, False], kind="stable"
        )
        for row in events.itertuples(index=False):
            if row.is_clear:
                self.clear_alarm(row.ne_id, row.alarm_type, row.at_)
            else:
                self.raise_alarm(row.ne_id, row.alarm_type, row.at_, row.severity)
        return self

    def table(self) -> pd.DataFrame:
        """Every episode so far, with the columns of :func:`deduplicate`."""
        rows = [
            (
                e.episode_id,
                e.ne_id,
                e.alarm_type,
                e.first_raised,
                e.last_seen,
                e.cleared_at,
                e.count,
                e.severity,
            )
            for e in self.episodes_
        ]
        table = pd.DataFrame(rows, columns=list(EPISODE_COLUMNS))
        for column in ("first_raised", "last_seen", "cleared_at"):
            table[column] = pd.to_datetime(table[column]).astype("datetime64[us]")
        return table


def _rank(severity: str) -> int:
    return SEVERITY_ORDER.index(severity) if severity in SEVERITY_ORDER else len(SEVERITY_ORDER)
