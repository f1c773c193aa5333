"""The little vocabulary every schema module uses: :class:`Column` and :class:`Table`."""

from __future__ import annotations

from dataclasses import dataclass, field

import ibis
import pyarrow as pa

from telcolens.privacy import IdentifierKind

TIMESTAMP = pa.timestamp("us")  # naive China Standard Time (UTC+8), as mediation delivers it
DATE = pa.date32()


@dataclass(frozen=True)
class Column:
    """One column of a stored table.

    ``pseudonym`` marks an identifier that arrives as text (a phone number, ID-card
    number or IMEI, named ``source_name`` in input files) and is stored as its
    keyed 64-bit hash. ``minimum``/``maximum``/``allowed`` are checked on ingest.
    ``tr181`` names the TR-181 parameter a broadband KPI column is read from.
    """

    name: str
    dtype: pa.DataType
    description: str
    nullable: bool = False
    pseudonym: IdentifierKind | None = None
    source_name: str | None = None
    minimum: float | None = None
    maximum: float | None = None
    allowed: tuple[str, ...] | None = None
    unit: str | None = None
    tr181: str | None = None

    @property
    def input_name(self) -> str:
        """The column's name in files given to ``telcolens ingest``."""
        return self.source_name or self.name

    @property
    def input_dtype(self) -> pa.DataType:
        """The column's type in input files: identifiers arrive as text."""
        return pa.string() if self.pseudonym else self.dtype


def subscriber_column(
    description: str = "Pseudonym of the number.", *, nullable: bool = False
) -> Column:
    """The ``subscriber_id`` column: a number that arrives as ``msisdn`` and is pseudonymised."""
    return Column(
        "subscriber_id",
        pa.int64(),
        description,
        nullable=nullable,
        pseudonym="number",
        source_name="msisdn",
    )


@dataclass(frozen=True)
class Table:
    """A stored table: its domain, meaning, columns and natural key.

    ``time`` names the column that dates a record (a call's set-up time): a table with
    one is stored in day parts (``dataset.day_part``), kept for its retention and
    streamed; one without (subscribers, cells) is reference data, replaced whole.
    """

    name: str
    domain: str
    description: str
    columns: tuple[Column, ...]
    key: tuple[str, ...] = field(default=())
    time: str | None = None

    def __post_init__(self) -> None:
        names = [c.name for c in self.columns]
        if len(set(names)) != len(names):
            raise ValueError(f"table {self.name}: duplicate column names")
        missing = set(self.key) - set(names)
        if missing:
            raise ValueError(f"table {self.name}: key columns {sorted(missing)} not in table")
        if self.time is not None and self.time not in names:
            raise ValueError(f"table {self.name}: time column {self.time!r} not in table")

    @property
    def names(self) -> list[str]:
        return [c.name for c in self.columns]

    def column(self, name: str) -> Column:
        for col in self.columns:
            if col.name == name:
                return col
        raise KeyError(f"table {self.name} has no column {name!r}")

    def arrow_schema(self) -> pa.Schema:
        """The stored Arrow schema (what Parquet files of this table hold)."""
        return pa.schema([pa.field(c.name, c.dtype, nullable=c.nullable) for c in self.columns])

    def input_schema(self) -> pa.Schema:
        """The schema expected of input files (raw identifiers as text)."""
        return pa.schema(
            [pa.field(c.input_name, c.input_dtype, nullable=c.nullable) for c in self.columns]
        )

    def ibis_schema(self) -> ibis.Schema:
        return ibis.Schema.from_pyarrow(self.arrow_schema())

    def empty(self) -> pa.Table:
        return self.arrow_schema().empty_table()
