"""Reading a Parquet input file as batches, with clear errors for damaged files."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from telcolens.ingest.errors import IngestError
from telcolens.privacy import mask

_BATCH_ROWS = 256_000


class ParquetSource:
    """One Parquet file: its column names, then its rows in batches."""

    row_label = "row"

    def __init__(self, path: Path) -> None:
        self.path = path
        with self._open() as file:
            self.names = file.schema_arrow.names
            self.total = file.metadata.num_rows  # progress counts rows

    def _open(self) -> pq.ParquetFile:
        try:
            return pq.ParquetFile(self.path)
        except (pa.ArrowException, OSError) as exc:
            raise IngestError(
                self.path, f"not a readable Parquet file (truncated or corrupt?): {mask(str(exc))}"
            ) from None

    def batches(self, advance: Callable[[int], None]) -> Iterator[tuple[int, pa.RecordBatch]]:
        """Yield (1-based row number of the batch's first row, batch)."""
        row = 1
        with self._open() as file:
            try:
                for batch in file.iter_batches(batch_size=_BATCH_ROWS):
                    yield row, batch
                    row += batch.num_rows
                    advance(batch.num_rows)
            except (pa.ArrowException, OSError) as exc:
                raise IngestError(
                    self.path,
                    f"corrupt Parquet data at or after this row: {mask(str(exc))}",
                    row=row,
                    row_label=self.row_label,
                ) from None
