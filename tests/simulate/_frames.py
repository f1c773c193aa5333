"""Helpers shared by the simulate tests: tables and truth as pandas frames."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from telcolens.dataset import read_table


def table(data_dir: Path, name: str) -> pd.DataFrame:
    return read_table(data_dir, name).to_pandas()


def truth(data_dir: Path, name: str) -> pd.DataFrame:
    # Nullable 64-bit ids must not pass through float64: they would lose digits.
    return pq.read_table(data_dir / "truth" / f"{name}.parquet").to_pandas(
        types_mapper={pa.int64(): pd.Int64Dtype()}.get
    )


def outbound_profile(data_dir: Path) -> pd.DataFrame:
    """Per caller (MO records): calls, distinct callees, answered share, persona."""
    voice = table(data_dir, "voice")
    mo = voice[voice.direction == "MO"]
    prof = mo.groupby("caller").agg(
        calls=("callee", "size"),
        distinct=("callee", "nunique"),
        answered=("duration_s", lambda d: (d > 0).mean()),
    )
    personas = truth(data_dir, "subscribers").set_index("subscriber_id")["persona"]
    return prof.join(personas, how="inner")
