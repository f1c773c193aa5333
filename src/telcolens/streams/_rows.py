"""A message's raw rows, checked as ingest checks a file and pseudonymised into stored rows."""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from telcolens.ingest._convert import convert
from telcolens.privacy import IdentifierKind, pseudonymise_many
from telcolens.schema import Table


def check(data: pa.Table, spec: Table) -> tuple[pa.Table | None, str | None]:
    """``data`` converted to the input schema, or None and why it cannot be stored.

    The same per-column checks ``telcolens ingest`` makes (types, ranges, allowed values,
    identifiers that look like numbers); the reason is masked like ingest's.
    """
    expected = spec.input_schema()
    missing = [n for n in expected.names if n not in data.column_names]
    if missing:
        return None, f"missing column(s) {', '.join(missing)}"
    arrays = []
    for column in spec.columns:
        values = data[column.input_name].combine_chunks()
        converted, problem = convert(values, column)
        if problem is not None:
            where = "" if problem.index is None else f" row {problem.index + 1}"
            return None, f"column {column.input_name!r}{where}: {problem.reason}"
        arrays.append(converted)
    return pa.Table.from_arrays(arrays, schema=expected), None


class Pseudonymiser:
    """Stored rows from checked input rows, remembering the pseudonyms it has computed.

    The keyed hash costs microseconds per value in Python; a province's numbers recur
    in every batch, so a remembered pseudonym is a dictionary look-up. At ``max_size``
    remembered values per kind the memory is cleared and fills again.
    """

    def __init__(self, *, max_size: int = 4_000_000) -> None:
        self.max_size = max_size
        self._known: dict[IdentifierKind, dict[str, int]] = {}

    def stored(self, data: pa.Table, spec: Table) -> pa.Table:
        arrays = [
            self.column(data[c.input_name], c.pseudonym) if c.pseudonym else data[c.input_name]
            for c in spec.columns
        ]
        return pa.Table.from_arrays(arrays, names=spec.names)

    def column(self, values: pa.Array | pa.ChunkedArray, kind: IdentifierKind) -> pa.Array:
        if isinstance(values, pa.ChunkedArray):
            values = values.combine_chunks()
        encoded = pc.dictionary_encode(values)
        distinct = encoded.dictionary.to_pylist()
        known = self._known.setdefault(kind, {})
        found = list(map(known.get, distinct))  # map over a bound method: the fast loop
        if None in found:
            new = [i for i, v in enumerate(found) if v is None]
            if len(known) + len(new) > self.max_size:
                known.clear()
            hashed = pseudonymise_many(pa.array([distinct[i] for i in new], pa.string()), kind)
            for i, value in zip(new, hashed.to_pylist(), strict=True):
                found[i] = known[distinct[i]] = value
        return pc.take(pa.array(found, pa.int64()), encoded.indices)
