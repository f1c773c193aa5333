"""Day runs: every capability's day step for one as-of day, into one run folder.

::

    RUNS/2026-11-30/antifraud/...   each capability's outputs for the day
    RUNS/2026-11-30/faults/...
    RUNS/2026-11-30/_SUCCESS        written last: the day's summary lines (JSON)

A day is run from scratch: its folder is cleared first, so running it again gives the
same folder (idempotent), and a crash leaves a folder without ``_SUCCESS``, which the next
run of that day replaces. Each step reads only records before the as-of day, so a past
day run again, later, gives what it gave then. Loading a day into the store replaces that
day's rows only (``antifraud.load``: by as-of day; ``faults``: incidents by key).
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from telcolens.capabilities import Capability, DayContext, capabilities
from telcolens.errors import BadInput
from telcolens.progress import Progress, reporter

SUCCESS = "_SUCCESS"


@dataclass
class DayRun:
    """One day's run: its folder, each step's summary lines and store loads."""

    as_of: dt.date
    folder: Path
    summary: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    loads: list[Callable[[Session, str], object]] = field(default_factory=list)


def days_between(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every day from ``first`` to ``last``, both included."""
    if last < first:
        raise BadInput(f"--from {first} is after --to {last}")
    return [first + dt.timedelta(days=i) for i in range((last - first).days + 1)]


def parse_options(pairs: Iterable[str], known: Iterable[str]) -> dict[str, dict[str, str]]:
    """``NAME.KEY=VALUE`` strings as {capability: {key: value}}; unknown names refused."""
    names = set(known)
    out: dict[str, dict[str, str]] = {}
    for pair in pairs:
        target, sep, value = pair.partition("=")
        name, dot, key = target.partition(".")
        if not sep or not dot or not key:
            raise BadInput(f"{pair!r} is not NAME.KEY=VALUE (e.g. antifraud.model=models/af)")
        if name not in names:
            raise BadInput(f"{pair!r}: no capability {name!r}; choose from {', '.join(names)}")
        out.setdefault(name, {})[key] = value
    return out


def day_steps(only: Iterable[str] | None = None) -> list[Capability]:
    """The capabilities with a day step, in demo order; ``only`` keeps the ones named."""
    steps = [c for c in capabilities() if c.run_day is not None]
    if only:
        wanted = set(only)
        unknown = wanted - {c.name for c in steps}
        if unknown:
            raise BadInput(
                f"no day step for {', '.join(sorted(unknown))}; "
                f"choose from {', '.join(c.name for c in steps)}"
            )
        steps = [c for c in steps if c.name in wanted]
    return steps


def run_day(
    data_dir: Path,
    runs: Path,
    as_of: dt.date,
    con: BaseBackend,
    *,
    steps: list[Capability],
    options: Mapping[str, dict[str, str]] | None = None,
    progress: Progress | None = None,
) -> DayRun:
    """Run each of ``steps`` for ``as_of`` into ``runs/<as_of>/``; returns what they gave."""
    folder = runs / as_of.isoformat()
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    run = DayRun(as_of, folder)
    report = reporter(progress)
    for i, cap in enumerate(steps):
        report(f"{as_of} {cap.name}", i, len(steps))
        assert cap.run_day is not None
        ctx = DayContext(
            data_dir=data_dir,
            out_dir=folder / cap.name,
            as_of=as_of,
            con=con,
            options=dict((options or {}).get(cap.name, {})),
        )
        result = cap.run_day(ctx)
        run.summary[cap.name] = result.summary
        if result.load is not None:
            run.loads.append(result.load)
    report(f"{as_of} done", len(steps), len(steps))
    (folder / SUCCESS).write_text(json.dumps(run.summary, indent=2, ensure_ascii=False) + "\n")
    return run


def completed(runs: Path) -> list[dt.date]:
    """The days in ``runs`` whose run finished (``_SUCCESS`` written), in order."""
    out = []
    for folder in sorted(runs.iterdir()) if runs.is_dir() else []:
        if (folder / SUCCESS).is_file():
            try:
                out.append(dt.date.fromisoformat(folder.name))
            except ValueError:
                continue  # not a day's folder
    return out
