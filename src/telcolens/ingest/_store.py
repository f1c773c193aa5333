"""The ingest log, and the all-or-nothing move of staged parts into a data directory."""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import shutil
import uuid
from collections.abc import Callable
from pathlib import Path

import pyarrow as pa

from telcolens.dataset import table_dir, write_part
from telcolens.schema import Table

LOG_NAME = "_ingest_log.jsonl"
STAGING_PREFIX = ".ingest-staging-"


def file_sha256(path: Path) -> str:
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def part_name(sha256: str) -> str:
    """The part a file's content becomes: the same content always lands on the same name."""
    return f"ingest-{sha256[:16]}"


def logged(data_dir: Path, table: str) -> dict[str, int]:
    """sha256 -> rows of every file already ingested into ``table``."""
    path = data_dir / LOG_NAME
    if not path.is_file():
        return {}
    done = {}
    for line in path.read_text("utf-8").splitlines():
        try:
            entry = json.loads(line)
        except json.JSONDecodeError:
            # A line cut short by a crash mid-append: its file is simply ingested again,
            # onto the same part name.
            continue
        if entry.get("table") == table and "sha256" in entry:
            done[entry["sha256"]] = int(entry.get("rows", 0))
    return done


def _move(src: Path, dst: Path) -> None:
    # One seam for tests to make a move fail; os.replace itself is shared with write_part.
    os.replace(src, dst)


class Staging:
    """Parts written under ``DIR/.ingest-staging-*/`` and moved into the store together.

    Until :meth:`commit` nothing visible in the data directory changes; if the commit
    fails part-way, what it did is undone, so the directory is as it was.
    """

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self._created = _missing_dirs(data_dir)
        data_dir.mkdir(parents=True, exist_ok=True)
        # An exclusive lock on the directory itself (no lock file to leave behind):
        # a second ingest into it waits until this one has committed or rolled back,
        # so both read an up-to-date log and neither undoes the other's parts.
        self._lock = os.open(data_dir, os.O_RDONLY)
        fcntl.flock(self._lock, fcntl.LOCK_EX)
        self.root = data_dir / f"{STAGING_PREFIX}{uuid.uuid4().hex}"
        self._staged: list[tuple[Table, Path]] = []
        self._committed = False

    def __enter__(self) -> Staging:
        return self

    def __exit__(self, *exc_info: object) -> None:
        shutil.rmtree(self.root, ignore_errors=True)
        if not self._committed:
            for folder in self._created:  # deepest first
                _try(folder.rmdir)
        os.close(self._lock)  # releases the lock

    def add(self, table: Table, data: pa.Table, name: str) -> None:
        """Write one part into the staging area (conformed to the stored schema)."""
        self._staged.append((table, write_part(self.root, table, data, name)))

    def commit(self, log_lines: list[dict]) -> None:
        """Move every staged part into place and append ``log_lines``, or do none of it."""
        undo: list[Callable[[], None]] = []
        try:
            for table, staged in self._staged:
                self._move_in(table, staged, undo)
            self._append_log(log_lines, undo)
        except BaseException:
            for step in reversed(undo):
                _try(step)
            raise
        self._committed = True

    def _move_in(self, table: Table, staged: Path, undo: list[Callable[[], None]]) -> None:
        folder = table_dir(self.data_dir, table)
        if not folder.exists():
            folder.mkdir()
            undo.append(folder.rmdir)
        final = folder / staged.name
        if final.exists():
            # Left by an ingest that crashed before its log line; keep it until we succeed.
            backup = self.root / f"{staged.name}.previous"
            _move(final, backup)
            undo.append(lambda: _move(backup, final))
        _move(staged, final)
        undo.append(lambda: final.unlink())

    def _append_log(self, lines: list[dict], undo: list[Callable[[], None]]) -> None:
        log = self.data_dir / LOG_NAME
        if log.exists():
            size = log.stat().st_size
            undo.append(lambda: os.truncate(log, size))
        else:
            undo.append(lambda: log.unlink(missing_ok=True))
        with open(log, "a", encoding="utf-8") as f:
            f.write("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines))
            f.flush()
            os.fsync(f.fileno())


def _missing_dirs(path: Path) -> list[Path]:
    """``path`` and those of its ancestors that do not exist yet, deepest first."""
    missing = []
    while not path.exists() and path != path.parent:
        missing.append(path)
        path = path.parent
    return missing


def _try(step: Callable[[], None]) -> None:
    # Undo is best effort: one failed step must not stop the others.
    with contextlib.suppress(OSError):
        step()
