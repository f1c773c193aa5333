"""One code path, two engines: the profile is the same on DuckDB and Spark."""

import pandas as pd
import pyarrow.parquet as pq
import pytest

from telcolens import engine as engines
from telcolens.profile import compute_profile


@pytest.mark.spark
@pytest.mark.slow
def test_profile_equal_on_duckdb_and_spark(province, tmp_path):
    duck = pq.read_table(
        compute_profile(province, tmp_path / "duck.parquet", con=engines.connect("duckdb"))
    )
    spark = pq.read_table(
        compute_profile(province, tmp_path / "spark.parquet", con=engines.connect("spark"))
    )

    assert duck.schema.equals(spark.schema, check_metadata=False)
    assert duck.num_rows > 1000
    # Same rows in the same order, every value equal (no tolerance: exact types).
    pd.testing.assert_frame_equal(duck.to_pandas(), spark.to_pandas(), check_exact=True)
