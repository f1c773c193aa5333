"""Small input files for the ingest tests, and a fingerprint of a data directory."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from telcolens.schema import VOICE

VOICE_HEADER = "caller,callee,start_time,duration_s,direction,cell_id,imei"
# Raw identifiers that must never show up in an error message.
RAW_CALLER, RAW_CALLEE, RAW_IMEI = "13812345678", "13987654321", "356938035643809"


def voice_row(**changes: str) -> str:
    """One good voice CSV line, with some fields replaced."""
    fields = {
        "caller": RAW_CALLER,
        "callee": RAW_CALLEE,
        "start_time": "2024-01-01 10:00:00",
        "duration_s": "30",
        "direction": "MO",
        "cell_id": "1001",
        "imei": RAW_IMEI,
    }
    fields.update(changes)
    return ",".join(fields.values())


def write_csv(path: Path, lines: list[str], *, end: str = "\n") -> Path:
    path.write_text("\n".join(lines) + end, encoding="utf-8")
    return path


def good_voice_csv(path: Path, rows: int = 3, *, minute: int = 0) -> Path:
    lines = [VOICE_HEADER] + [
        voice_row(start_time=f"2024-01-01 10:{minute:02d}:{i % 60:02d}") for i in range(rows)
    ]
    return write_csv(path, lines)


def voice_input_table(rows: int = 3) -> pa.Table:
    """Good voice rows with the input schema, as a Parquet input file would hold them."""
    return pa.table(
        {
            "caller": [RAW_CALLER] * rows,
            "callee": [RAW_CALLEE] * rows,
            "start_time": pa.array(
                [1_704_103_200_000_000 + i for i in range(rows)], pa.timestamp("us")
            ),
            "duration_s": pa.array([30] * rows, pa.int32()),
            "direction": ["MT"] * rows,
            "cell_id": pa.array([1001] * rows, pa.int64()),
            "imei": [RAW_IMEI] * rows,
        },
        schema=VOICE.input_schema(),
    )


def write_parquet(path: Path, table: pa.Table) -> Path:
    pq.write_table(table, path)
    return path


def tree_digest(root: Path) -> str:
    """A hash of every path (folders included) and file content under ``root``."""
    digest = hashlib.sha256()
    if not root.exists():
        return "absent"
    for path in sorted(root.rglob("*")):
        digest.update(str(path.relative_to(root)).encode() + b"\0")
        if path.is_file():
            digest.update(path.read_bytes())
    return digest.hexdigest()
