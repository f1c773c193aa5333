"""The one exception ingest raises for bad input: it names the file, row and column."""

from __future__ import annotations

from pathlib import Path

from telcolens.errors import BadInput


class IngestError(BadInput):
    """An input file that cannot be ingested, and exactly where and why.

    Attributes
    ----------
    file : Path
        The file as it was given.
    row : int or None
        1-based line number in a CSV file (the header is line 1), or 1-based row
        in a Parquet file; None when the problem is not in one row.
    column : str or None
        The column (as named in the input file), when the problem is in one.
    reason : str
        What is wrong. Values of identifier columns, and any text that did not come
        from telcolens itself, are masked with :func:`telcolens.privacy.mask`.
    """

    def __init__(
        self,
        file: Path | str,
        reason: str,
        *,
        row: int | None = None,
        column: str | None = None,
        row_label: str = "line",
    ) -> None:
        self.file = Path(file)
        self.row = row
        self.column = column
        self.reason = reason
        self.row_label = row_label
        super().__init__(self._message())

    def _message(self) -> str:
        parts = [str(self.file)]
        if self.row is not None:
            parts.append(f"{self.row_label} {self.row}")
        if self.column is not None:
            parts.append(f"column {self.column!r}")
        return f"{', '.join(parts)}: {self.reason}"

    def __reduce__(self):  # keep it picklable despite the keyword-only constructor
        return (_rebuild, (self.file, self.reason, self.row, self.column, self.row_label))


def _rebuild(file, reason, row, column, row_label) -> IngestError:
    return IngestError(file, reason, row=row, column=column, row_label=row_label)
