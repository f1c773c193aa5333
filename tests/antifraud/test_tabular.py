"""Reading and checking the fraud model's input tables."""

from __future__ import annotations

import pandas as pd
import pytest

from telcolens.antifraud._tabular import (
    FraudDataError,
    numeric_features,
    read_graph,
    read_table,
    scoring_table,
    training_table,
)


def test_reads_csv_and_parquet_alike(tmp_path):
    frame = pd.DataFrame({"id": [1, 2], "x": [0.5, None]})
    frame.to_csv(tmp_path / "a.csv", index=False)
    frame.to_parquet(tmp_path / "a.parquet")
    pd.testing.assert_frame_equal(
        read_table(tmp_path / "a.csv"), read_table(tmp_path / "a.parquet")
    )


def test_unknown_format_missing_and_unreadable_files_name_the_file(tmp_path):
    with pytest.raises(FraudDataError, match=r"a\.xlsx: unknown format"):
        read_table(tmp_path / "a.xlsx")
    with pytest.raises(FraudDataError, match=r"b\.csv: no such file"):
        read_table(tmp_path / "b.csv")
    (tmp_path / "c.parquet").write_text("not parquet")
    with pytest.raises(FraudDataError, match=r"c\.parquet: cannot read it"):
        read_table(tmp_path / "c.parquet")


def test_graph_needs_src_and_dst(tmp_path):
    pd.DataFrame({"src": [1], "to": [2]}).to_parquet(tmp_path / "e.parquet")
    with pytest.raises(FraudDataError, match=r"e\.parquet: .*missing dst"):
        read_graph(tmp_path / "e.parquet")


def test_numeric_text_is_converted_and_real_text_refused():
    ok = numeric_features(pd.DataFrame({"a": ["1", "2.5", None], "b": [True, False, True]}))
    assert ok.dtypes.tolist() == ["float64", "float64"]
    with pytest.raises(FraudDataError, match=r"f\.csv: feature column 'city' .*'Chengdu'"):
        numeric_features(pd.DataFrame({"city": ["Chengdu", "Mianyang"]}), source="f.csv")


def test_training_table_checks_id_and_label_columns():
    table = pd.DataFrame({"id": [1, 2, 3], "x": [1.0, 2.0, 3.0], "label": [0, 1, 1]})
    X, y, ids = training_table(table, id_column="id", label_column="label", source="t.csv")
    assert list(X.columns) == ["x"] and y.tolist() == [0, 1, 1] and ids.name == "id"
    with pytest.raises(FraudDataError, match=r"t\.csv: no id column 'msisdn'"):
        training_table(table, id_column="msisdn", label_column="label", source="t.csv")
    with pytest.raises(FraudDataError, match=r"t\.csv: no label column 'is_fraud'"):
        training_table(table, id_column="id", label_column="is_fraud", source="t.csv")
    bad = table.assign(label=["yes", "no", "yes"])
    with pytest.raises(FraudDataError, match=r"label column 'label' must hold 0 or 1.*'yes'"):
        training_table(bad, id_column="id", label_column="label", source="t.csv")


def test_scoring_table_names_missing_and_extra_columns():
    table = pd.DataFrame({"id": [1], "a": [1.0], "zz": [2.0]})
    with pytest.raises(FraudDataError, match=r"s\.csv: .*missing b; extra zz"):
        scoring_table(
            table, id_column="id", feature_names=["a", "b"], label_column=None, source="s.csv"
        )
    X, ids = scoring_table(
        table, id_column="id", feature_names=["zz", "a"], label_column=None, source="s.csv"
    )
    assert list(X.columns) == ["zz", "a"] and ids.tolist() == [1]
