from pathlib import Path

import pytest

from telcolens.schema import TABLES, VOICE, Column, Table, get_table
from telcolens.schema._markdown import render_markdown

DOCS = Path(__file__).resolve().parents[2] / "docs" / "data-model.md"


def test_docs_data_model_is_current():
    assert DOCS.read_text() == render_markdown(TABLES), (
        "docs/data-model.md is stale: run `telcolens tables --markdown > docs/data-model.md`"
    )


def test_identifiers_are_stored_as_int64_and_read_as_text():
    for table in TABLES.values():
        for col in table.columns:
            if col.pseudonym:
                assert str(col.dtype) == "int64", (table.name, col.name)
                assert str(table.input_schema().field(col.input_name).type) == "string"


def test_every_table_converts_to_an_ibis_schema():
    for table in TABLES.values():
        assert list(table.ibis_schema().names) == table.names


def test_get_table_names_the_known_tables():
    assert get_table("voice") is VOICE
    with pytest.raises(ValueError, match="known tables: subscribers"):
        get_table("calls")


def test_tables_reject_bad_definitions():
    import pyarrow as pa

    with pytest.raises(ValueError, match="duplicate"):
        Table("t", "d", "", (Column("a", pa.int64(), ""), Column("a", pa.int64(), "")))
    with pytest.raises(ValueError, match="key columns"):
        Table("t", "d", "", (Column("a", pa.int64(), ""),), key=("b",))
