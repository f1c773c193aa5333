"""The benchmark's hand-written SQL computes exactly the Ibis features, so the yardstick holds."""

import datetime as dt

import duckdb
import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
import pytest
from benchmarks.antifraud_sql import FEATURES_SQL

from telcolens import engine as engines
from telcolens.antifraud.daily import data_end
from telcolens.antifraud.features import FEATURES, REQUIRED_TABLES, WINDOW_DAYS, fraud_features

# (as-of date relative to the day after the last record, window days): the whole
# two-day province; its last day alone (the window's start cuts the first day); its
# first day alone (the as-of date cuts the last).
WINDOWS = [(0, WINDOW_DAYS), (0, 1), (-1, WINDOW_DAYS)]


@pytest.fixture(scope="module", params=WINDOWS, ids=["whole", "last-day", "first-day"])
def both(province, request) -> tuple[pa.Table, pa.Table]:
    """The features of the test province from Ibis on DuckDB and from the hand-written SQL."""
    shift, days = request.param
    con = engines.connect("duckdb")
    t = engines.tables(con, province, require=REQUIRED_TABLES)
    as_of = data_end(con, t["voice"]) + dt.timedelta(days=shift)
    ibis_result = con.to_pyarrow(fraud_features(t, as_of, window_days=days))
    query = FEATURES_SQL.format(data=province, as_of=as_of, window_days=days)
    with duckdb.connect() as db:
        sql_result = db.sql(query).fetch_arrow_table()
    return ibis_result, sql_result


def test_same_columns_and_types(both):
    ibis_result, sql_result = both
    assert sql_result.column_names == ["subscriber_id", *FEATURES]
    assert sql_result.schema.types == ibis_result.schema.types


def test_same_rows_and_values(both):
    ibis_result, sql_result = both
    assert ibis_result.num_rows > 1000
    assert sql_result["subscriber_id"].equals(ibis_result["subscriber_id"])
    for name in FEATURES:
        got, want = sql_result[name], ibis_result[name]
        assert got.is_null().equals(want.is_null()), name
        if pa.types.is_floating(want.type):
            valid = pc.invert(want.is_null())
            np.testing.assert_allclose(
                got.filter(valid).to_numpy(), want.filter(valid).to_numpy(), rtol=1e-9, err_msg=name
            )
        else:
            assert got.equals(want), name


def test_the_comparison_sees_the_measures_vary(both):
    """Every feature takes more than one value here, so equality is not trivially met."""
    ibis_result, _ = both
    flat = [name for name in FEATURES if pc.count_distinct(ibis_result[name]).as_py() < 2]
    assert flat == []
