"""Reading operator CSV and Parquet files into a data directory, with validation.

See docs/ingest.md. ``telcolens ingest --data DIR --table TABLE FILE...`` calls
:func:`ingest_files` (or :func:`validate_files` with ``--dry-run``).
"""

from telcolens.ingest.errors import IngestError
from telcolens.ingest.ingest import FileReport, IngestReport, ingest_files, validate_files

__all__ = ["FileReport", "IngestError", "IngestReport", "ingest_files", "validate_files"]
