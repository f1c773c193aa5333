"""The capability registry: how telcolens knows what it can do.

A capability is a package (``telcolens.profile``, later ``telcolens.antifraud``...)
that exposes ``CAPABILITY``: its CLI commands and its step in ``telcolens demo``.
Adding one touches its own folder plus one line in ``BUILTIN``.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import typer
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

# Import paths of the built-in capabilities, in the order the demo runs them.
BUILTIN: tuple[str, ...] = ("telcolens.profile", "telcolens.antifraud", "telcolens.faults")


@dataclass(frozen=True)
class DemoContext:
    """What a capability's demo step gets: the province, an engine and where to write."""

    data_dir: Path
    out_dir: Path
    engine: str
    con: BaseBackend
    tables: dict[str, ibis.Table]


@dataclass
class DemoResult:
    """What a demo step reports: (label, value) lines for the summary, and files written."""

    summary: list[tuple[str, str]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    # Puts the step's results into the operational store: called with a session and an actor.
    load: Callable[[Session, str], object] | None = None


@dataclass(frozen=True)
class Capability:
    name: str
    title: str
    register_cli: Callable[[typer.Typer], None]
    run_demo: Callable[[DemoContext], DemoResult] | None = None


def capabilities() -> list[Capability]:
    """The built-in capabilities, imported on first use."""
    return [importlib.import_module(path).CAPABILITY for path in BUILTIN]
