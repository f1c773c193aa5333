"""Device and alarm ids that came in through ingest reach incidents.csv neutralised.

The shared province's alarms and links are ingested from CSV with every element id
turned into a formula; ``faults incidents`` then writes its CSVs through the real path.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from telcolens import csvsafe, dataset
from telcolens.faults.incidents import INCIDENTS_FILE, MAPPING_FILE, correlate_dir
from telcolens.ingest import ingest_files


def _formula(ne_id: pd.Series) -> pd.Series:
    return '=HYPERLINK("' + ne_id + '")'


@pytest.fixture(scope="module")
def correlated(province: Path, tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("planted")
    alarms = dataset.read_table(province, "alarms").to_pandas()
    links = dataset.read_table(province, "links").to_pandas()
    alarms["ne_id"] = _formula(alarms["ne_id"])
    alarms["alarm_id"] = "-" + alarms["alarm_id"] + "+1"
    links["a_ne_id"], links["b_ne_id"] = _formula(links["a_ne_id"]), _formula(links["b_ne_id"])
    for name, frame in (("alarms", alarms), ("links", links)):
        frame.to_csv(root / f"{name}.csv", index=False)
        ingest_files(root / "data", name, [root / f"{name}.csv"], progress=False)
    result, _, _ = correlate_dir(root / "data", root / "out")
    return result, root / "out"


def test_device_ids_reach_incidents_csv_neutralised(correlated) -> None:
    result, out = correlated
    seen = pd.read_csv(out / INCIDENTS_FILE, dtype=str, keep_default_na=False)
    assert len(seen) == len(result.incidents) > 0
    assert seen.root_ne_id.str.startswith("'=HYPERLINK(").all()
    mapping = pd.read_csv(out / MAPPING_FILE, dtype=str, keep_default_na=False)
    assert mapping.alarm_id.str.startswith("'-").all()
    # Counts are numbers, written as numbers.
    assert seen.alarm_count.str.fullmatch(r"\d+").all()


def test_reading_incidents_csv_back_gives_the_original_ids(correlated) -> None:
    result, out = correlated
    back = csvsafe.read_frame(out / INCIDENTS_FILE)
    assert back.root_ne_id.tolist() == result.incidents.root_ne_id.tolist()
    assert back.incident_id.tolist() == result.incidents.incident_id.tolist()
    mapping = csvsafe.read_frame(out / MAPPING_FILE)
    assert mapping.alarm_id.tolist() == result.alarm_incidents.alarm_id.tolist()
