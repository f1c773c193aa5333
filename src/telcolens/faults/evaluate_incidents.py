"""Score incidents against the planted faults of a synthetic province (DIR/truth/).

A planted fault is *found* by the incident holding most of its alarms; its root is right
when that incident's root device is the fault's root device. A flood is *reduced to one
incident* when all its alarms landed in one. An incident is a *false merge* when it
mixes alarms of two faults, or of a fault and the background.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow.parquet as pq

from telcolens.dataset import TRUTH_DIR
from telcolens.errors import NotFound


@dataclass(frozen=True)
class IncidentScores:
    """How well incidents match the planted faults."""

    faults: int  # planted faults with at least one alarm in the data
    one_incident: float  # share of those whose alarms all fell in one incident
    root_right: float  # share whose main incident names the right root device
    compression_flood: float  # 1 - incidents / alarms, over the planted flood alarms
    compression_overall: float  # 1 - incidents / alarms, background included
    flood_alarms: int
    alarms: int
    incidents: int
    mixed_faults: int  # incidents with alarms of two or more faults
    mixed_background: int  # incidents with alarms of a fault and of the background
    median_lag_s: float  # main incident opened_at - fault started_at
    by_kind: pd.DataFrame  # per fault kind: faults, one_incident, root_right

    @property
    def false_merges(self) -> int:
        return self.mixed_faults + self.mixed_background

    def as_dict(self) -> dict:
        out = asdict(self)
        out["by_kind"] = self.by_kind.reset_index().to_dict("records")
        out["false_merges"] = self.false_merges
        return out


def score_incidents(
    incidents: pd.DataFrame,
    alarm_incidents: pd.DataFrame,
    faults: pd.DataFrame,
    fault_alarms: pd.DataFrame,
) -> IncidentScores:
    """Scores of ``incidents`` (with their alarm -> incident map) against the truth tables."""
    joined = alarm_incidents.merge(fault_alarms, on="alarm_id", how="left")
    flood = joined.dropna(subset=["fault_id"])
    per_fault = flood.groupby("fault_id")["incident_id"]
    main = per_fault.agg(lambda s: s.value_counts().index[0]).rename("incident_id")
    found = faults.set_index("fault_id").join(main, how="inner")
    found["one_incident"] = per_fault.nunique().reindex(found.index) == 1
    roots = incidents.set_index("incident_id")
    found["root_right"] = roots.loc[found["incident_id"], "root_ne_id"].to_numpy() == (
        found["root_ne_id"].to_numpy()
    )
    lag = pd.to_datetime(roots.loc[found["incident_id"], "opened_at"]).to_numpy() - pd.to_datetime(
        found["started_at"]
    ).to_numpy().astype("datetime64[us]")
    per_incident = joined.groupby("incident_id").agg(
        faults=("fault_id", "nunique"), background=("fault_id", lambda s: s.isna().any())
    )
    by_kind = found.groupby("kind").agg(
        faults=("one_incident", "size"),
        one_incident=("one_incident", "mean"),
        root_right=("root_right", "mean"),
    )
    return IncidentScores(
        faults=len(found),
        one_incident=float(found["one_incident"].mean()) if len(found) else float("nan"),
        root_right=float(found["root_right"].mean()) if len(found) else float("nan"),
        compression_flood=1 - flood["incident_id"].nunique() / max(len(flood), 1),
        compression_overall=1 - joined["incident_id"].nunique() / max(len(joined), 1),
        flood_alarms=len(flood),
        alarms=len(joined),
        incidents=int(joined["incident_id"].nunique()),
        mixed_faults=int((per_incident["faults"] >= 2).sum()),
        mixed_background=int(((per_incident["faults"] >= 1) & per_incident["background"]).sum()),
        median_lag_s=float(np.median(lag.astype("timedelta64[us]").astype(np.int64)) / 1e6)
        if len(found)
        else float("nan"),
        by_kind=by_kind,
    )


def read_fault_truth(data_dir: Path) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The planted faults and the alarm -> fault map of a synthetic province."""
    folder = Path(data_dir) / TRUTH_DIR
    paths = [folder / "faults.parquet", folder / "fault_alarms.parquet"]
    missing = [p for p in paths if not p.exists()]
    if missing:
        raise NotFound(
            f"{missing[0]}: no planted-fault truth here; is {data_dir} a synthetic province "
            "written by this version of telcolens generate?"
        )
    return pq.read_table(paths[0]).to_pandas(), pq.read_table(paths[1]).to_pandas()
