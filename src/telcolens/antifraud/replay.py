"""Evaluation of watch mode: replay a province's last day as raw CDR files, time the flags.

:func:`replay` copies a synthetic province into a working data directory, holding
back the voice records of its last day, and writes those as raw CSV files, one per
time slice (``voice_YYYYMMDDHH.csv`` for hourly), with the synthetic raw numbers of
``truth/numbers.parquet``, as a mediation system delivers them. It then drops them
one by one into an inbox (a temporary name, then a rename) while a
:class:`~telcolens.antifraud.watch.Watcher` polls it in a thread. Truth is read
here only to score the run; the watcher never sees it.
"""

from __future__ import annotations

import json
import os
import shutil
import statistics
import threading
import time
from dataclasses import asdict, dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
from ibis.backends import BaseBackend

from telcolens.antifraud.watch import DONE, FAILED, FLAGS, Watcher
from telcolens.dataset import TRUTH_DIR, part_files, write_part
from telcolens.errors import BadInput
from telcolens.ingest._store import LOG_NAME
from telcolens.schema import TABLES

ID = "subscriber_id"
MARKER = ".telcolens-replay"
# A file not processed this long after its drop means the watcher is stuck.
FILE_TIMEOUT_S = 600.0


@dataclass
class ReplayReport:
    """Per-file processing seconds and time-to-flag of the planted fraud numbers."""

    files: list[dict] = field(default_factory=list)
    planted: int = 0
    flagged_before: int = 0
    first_flagged_during_replay: int = 0
    seconds_to_flag_median: float | None = None
    seconds_to_flag_max: float | None = None
    seconds_from_arrival_median: float | None = None
    seconds_from_arrival_max: float | None = None
    flagged_within_60s: int = 0
    false_flags_during_replay: int = 0
    file_seconds_median: float | None = None
    file_seconds_max: float | None = None

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def replay(
    source_data_dir: Path,
    work_dir: Path,
    *,
    con: BaseBackend,
    model_dir: Path | None = None,
    rules_path: Path | None = None,
    whitelist: Path | None = None,
    files_per_day: int = 24,
    poll: float = 2.0,
    interval: float | None = None,
) -> ReplayReport:
    """Replay the last day of ``source_data_dir`` through watch mode in ``work_dir``.

    Parameters
    ----------
    con
        The backend the watcher's runs use, one after another (see :class:`Watcher`).
    files_per_day
        How many files the held-back day is cut into (24: one per hour).
    poll
        The watcher's seconds between looks at the inbox.
    interval
        Seconds between drops; None drops each file once the previous one is done,
        as when files arrive more slowly than they are processed.
    """
    source, work = Path(source_data_dir), _fresh(Path(work_dir))
    held = hold_back_last_day(source, work / "data")
    outgoing = write_raw_files(held, source, work / "outgoing", files_per_day)
    watcher = Watcher(
        work / "inbox",
        work / "data",
        work / "out",
        con=con,
        model_dir=model_dir,
        rules_path=rules_path,
        whitelist=whitelist,
    )
    watcher.start()  # the starting list, before any file arrives
    arrived = _deliver(watcher, outgoing, poll, interval)
    return _report(source, watcher, arrived)


def hold_back_last_day(source: Path, data_dir: Path) -> pa.Table:
    """Link ``source``'s tables into ``data_dir`` except its last day of voice; return that."""
    data_dir.mkdir(parents=True, exist_ok=True)
    for table in TABLES:
        if table != "voice":
            for part in part_files(source, table):
                _link(part, data_dir / table / part.name)
    if (source / LOG_NAME).exists():  # an ingested source: keep its files' identities
        shutil.copyfile(source / LOG_NAME, data_dir / LOG_NAME)
    parts = part_files(source, "voice")
    if not parts:
        raise BadInput(f"{source} has no voice records to replay")
    last = max(
        pc.max(pq.read_table(p, columns=["start_time"])["start_time"]).as_py() for p in parts
    )
    last_day = last.replace(hour=0, minute=0, second=0, microsecond=0)
    held = []
    for part in parts:
        data = pq.read_table(part)
        late = pc.greater_equal(data["start_time"], pa.scalar(last_day, data["start_time"].type))
        if not pc.any(late).as_py():
            _link(part, data_dir / "voice" / part.name)
            continue
        held.append(data.filter(late))
        early = data.filter(pc.invert(late))
        if early.num_rows:
            write_part(data_dir, TABLES["voice"], early, part.stem)
    return pa.concat_tables(held)


def write_raw_files(held: pa.Table, source: Path, folder: Path, files_per_day: int) -> list[Path]:
    """Write ``held`` as raw voice CSV files, one per slice of the day, in time order."""
    if not 1 <= files_per_day <= 1440:
        raise BadInput(f"files_per_day must be 1..1440, not {files_per_day}")
    path = source / TRUTH_DIR / "numbers.parquet"
    if not path.exists():
        raise BadInput(
            f"{path} is missing: the replay needs the province's raw numbers; "
            "regenerate the province with this version of `telcolens generate`"
        )
    numbers = pd.read_parquet(path, columns=[ID, "number"])
    raw = numbers.set_index(ID)["number"]
    # Nullable Int64 keeps cell ids exact where some are missing.
    df = held.to_pandas(types_mapper={pa.int64(): pd.Int64Dtype()}.get)
    for col in ("caller", "callee"):
        df[col] = df[col].astype("int64").map(raw)
        if df[col].isna().any():
            raise BadInput(f"{col} numbers missing from {TRUTH_DIR}/numbers.parquet")
    step = timedelta(days=1) / files_per_day
    day = df.start_time.min().normalize()
    df["slice"] = ((df.start_time - day) // step).astype(int)
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for n, chunk in df.groupby("slice", sort=True):
        start = day + n * step
        stamp = (
            f"{start:%Y%m%d%H}"
            if step % timedelta(hours=1) == timedelta(0)
            else f"{start:%Y%m%d%H%M}"
        )
        files.append(_write_csv(chunk, folder / f"voice_{stamp}.csv"))
    return files


def _write_csv(chunk: pd.DataFrame, path: Path) -> Path:
    out = pd.DataFrame(
        {
            "caller": chunk.caller,
            "callee": chunk.callee,
            "start_time": chunk.start_time.dt.strftime("%Y-%m-%d %H:%M:%S.%f"),
            "duration_s": chunk.duration_s,
            "direction": chunk.direction,
            "cell_id": chunk.cell_id,
            "imei": "",  # raw IMEIs are not in truth; the column is nullable
        }
    )
    out.sort_values("start_time", kind="stable").to_csv(path, index=False)
    return path


def _deliver(
    watcher: Watcher, files: list[Path], poll: float, interval: float | None
) -> dict[str, float]:
    """Drop each file into the inbox while the watcher runs; when each one arrived."""
    stop, errors = threading.Event(), []

    def run() -> None:
        try:
            watcher.run(stop, poll)
        except BaseException as exc:  # surfaced in the main thread below
            errors.append(exc)

    thread = threading.Thread(target=run, name="telcolens-watch", daemon=True)
    thread.start()
    arrived = {}
    try:
        for path in files:
            arrived[path.name] = _drop(path, watcher.inbox)
            if interval is None:
                _wait_for(watcher.inbox, path.name, thread)
            else:
                time.sleep(interval)
        for path in files:
            _wait_for(watcher.inbox, path.name, thread)
    finally:
        stop.set()
        thread.join()
    if errors:
        raise errors[0]
    return arrived


def _drop(path: Path, inbox: Path) -> float:
    """Deliver like a mediation system: write under a temporary name, then rename."""
    tmp = inbox / f".{path.name}.part"
    shutil.copyfile(path, tmp)
    os.replace(tmp, inbox / path.name)
    return time.time()


def _wait_for(inbox: Path, name: str, thread: threading.Thread) -> None:
    deadline = time.monotonic() + FILE_TIMEOUT_S
    while not ((inbox / DONE / name).exists() or (inbox / FAILED / name).exists()):
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError(f"the watcher did not process {name}")
        time.sleep(0.05)


def _report(source: Path, watcher: Watcher, arrived: dict[str, float]) -> ReplayReport:
    fraud = set(pd.read_parquet(source / TRUTH_DIR / "fraud_numbers.parquet")[ID].tolist())
    flags = [json.loads(line) for line in (watcher.out / FLAGS).read_text().splitlines()]
    during = [f for f in flags if f["file"] is not None]
    hits = [f for f in during if f[ID] in fraud]
    ttf = [f["seconds_to_flag"] for f in hits]
    from_arrival = [
        datetime.fromisoformat(f["flagged_at"]).timestamp()
        - min(arrived[n] for n in f["file"].split(", "))
        for f in hits
    ]
    seconds = [o.seconds for o in watcher.outcomes]
    return ReplayReport(
        files=[_file_row(o) for o in watcher.outcomes],
        planted=len(fraud),
        flagged_before=sum(f["file"] is None and f[ID] in fraud for f in flags),
        first_flagged_during_replay=len(hits),
        seconds_to_flag_median=_median(ttf),
        seconds_to_flag_max=_max(ttf),
        seconds_from_arrival_median=_median(from_arrival),
        seconds_from_arrival_max=_max(from_arrival),
        flagged_within_60s=sum(s < 60 for s in ttf),
        false_flags_during_replay=sum(f[ID] not in fraud for f in during),
        file_seconds_median=_median(seconds),
        file_seconds_max=_max(seconds),
    )


def _file_row(o) -> dict:
    return {
        "file": o.name,
        "status": o.status,
        "rows": o.rows,
        "seconds": round(o.seconds, 3),
        "new_flags": o.new_flags,
    }


def _median(values: list[float]) -> float | None:
    return round(statistics.median(values), 3) if values else None


def _max(values: list[float]) -> float | None:
    return round(max(values), 3) if values else None


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    try:
        os.link(src, dst)
    except OSError:  # another file system, or links not allowed: copy
        shutil.copy2(src, dst)


def _fresh(work: Path) -> Path:
    """An empty ``work`` dir; a previous replay's is replaced, anything else refused."""
    if work.exists() and any(work.iterdir()):
        if not (work / MARKER).exists():
            raise BadInput(f"{work} is not empty and not a previous replay: choose another")
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    (work / MARKER).touch()
    return work
