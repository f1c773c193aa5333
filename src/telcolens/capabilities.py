"""The capability registry: how telcolens knows what it can do.

A capability is a package (``telcolens.profile``, ``telcolens.antifraud``, ...) that
exposes ``CAPABILITY``, one object declaring everything it adds: its CLI commands, its
step in ``telcolens demo``, its API routers, its roles, its console pages, its store
models and an app hook.
The platform builds the CLI, the app, the role list and the console's navigation from
it. Adding a capability touches its own folder plus one line in ``BUILTIN``.

A package's ``__init__`` must stay light (the CLI imports every one to list its
commands): routers and hooks are named as ``"module:attribute"`` strings, imported only
by the app.
"""

from __future__ import annotations

import datetime as dt
import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import ibis
import typer
from ibis.backends import BaseBackend
from sqlalchemy.orm import Session

from telcolens.progress import Progress

# Import paths of the built-in capabilities, in the order the demo runs them.
BUILTIN: tuple[str, ...] = (
    "telcolens.profile",
    "telcolens.antifraud",
    "telcolens.faults",
    "telcolens.broadband",
    "telcolens.itinerary",
)


@dataclass(frozen=True)
class DemoContext:
    """What a capability's demo step gets: the province, an engine and where to write."""

    data_dir: Path
    out_dir: Path
    engine: str
    con: BaseBackend
    tables: dict[str, ibis.Table]


@dataclass(frozen=True)
class DayContext:
    """What a capability's day step gets: the day, the data, a connection, its folder.

    ``as_of`` is the run day: the step uses records of the days before it (its own
    window: 7 days for anti-fraud features, 2 for fault correlation), never later ones,
    so running a past day again gives what that day gave. ``out_dir`` is the step's own
    folder in the day's run; ``options`` holds the ``--with NAME.KEY=VALUE`` settings of
    ``telcolens daily`` addressed to this capability (``model`` for anti-fraud).
    """

    data_dir: Path
    out_dir: Path
    as_of: dt.date
    con: BaseBackend
    options: dict[str, str] = field(default_factory=dict)
    progress: Progress | None = None


@dataclass
class DemoResult:
    """What a demo or day step reports: (label, value) summary lines, and files written."""

    summary: list[tuple[str, str]] = field(default_factory=list)
    outputs: list[Path] = field(default_factory=list)
    # Puts the step's results into the operational store: called with a session and an actor.
    load: Callable[[Session, str], object] | None = None
    # Settings the served app needs to read the step's results (TELCOLENS_<NAME>: path).
    serve_env: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Role:
    """A role a user can have, and what people with it do."""

    name: str
    description: str


@dataclass(frozen=True)
class Page:
    """A console page: a route of the console's hash router, drawn by an ES module.

    ``module`` is a file in the capability's ``console/`` folder, served at
    ``/static/capabilities/<capability>/<module>``; it exports ``render(main, ctx)``.
    A ``path`` with ``{id}`` segments is a page opened from another (a case from the
    queue): it is not in the navigation, and ``parent`` names the entry it lights up.
    """

    path: str
    module: str
    title: dict[str, str]  # {"en": ..., "zh": ...}
    roles: tuple[str, ...]  # besides admin, who always may
    parent: str | None = None

    @property
    def in_nav(self) -> bool:
        return "{" not in self.path


@dataclass(frozen=True)
class Capability:
    name: str
    title: str
    register_cli: Callable[[typer.Typer], None]
    run_demo: Callable[[DemoContext], DemoResult] | None = None
    # Its step in `telcolens daily`: one as-of day's run, reloadable into the store.
    run_day: Callable[[DayContext], DemoResult] | None = None
    section: dict[str, str] | None = None  # its nav section's title {"en", "zh"}; default title
    roles: tuple[Role, ...] = ()
    routers: tuple[str, ...] = ()  # "module:attribute" of each APIRouter
    pages: tuple[Page, ...] = ()
    app_hook: str | None = None  # "module:function", called with the app as it is built
    # Module declaring its store tables on ``telcolens.store.models.Base`` (one Alembic chain).
    models: str | None = None
    docs: str | None = None  # docs/<this>.md; default the capability's name


# The platform's own role; capabilities add theirs.
ADMIN = Role("admin", "Manages users and the audit log, and may use every page and endpoint.")
_extra: list[str] = []  # import paths registered at run time (tests, plug-ins)


def capabilities() -> list[Capability]:
    """The registered capabilities, imported on first use, in demo order."""
    return [cap for _, cap in packages()]


def packages() -> list[tuple[str, Capability]]:
    """(import path, capability) of each registered capability."""
    return [(path, importlib.import_module(path).CAPABILITY) for path in (*BUILTIN, *_extra)]


def console_dir(path: str) -> Path:
    """The folder holding the console modules of the capability package at ``path``."""
    module = importlib.import_module(path)
    return Path(module.__file__).parent / "console"


def register(path: str) -> None:
    """Register the capability package at ``path`` besides the built-in ones."""
    if path not in BUILTIN and path not in _extra:
        _extra.append(path)


def unregister(path: str) -> None:
    if path in _extra:
        _extra.remove(path)


def roles() -> list[Role]:
    """Every role: admin, then each capability's, each once (the first declaration wins)."""
    out: dict[str, Role] = {ADMIN.name: ADMIN}
    for cap in capabilities():
        for role in cap.roles:
            out.setdefault(role.name, role)
    return list(out.values())


def role_names() -> tuple[str, ...]:
    return tuple(r.name for r in roles())


def load_models() -> list[str]:
    """Import every capability's store models, so that ``Base.metadata`` holds all tables.

    The migrations' environment calls this (autogenerate compares the whole schema), as
    does the app; returns the modules imported.
    """
    modules = [cap.models for cap in capabilities() if cap.models]
    for module in modules:
        importlib.import_module(module)
    return modules


def resolve(ref: str) -> object:
    """The object a ``"module:attribute"`` string names."""
    module, _, attribute = ref.partition(":")
    return getattr(importlib.import_module(module), attribute)
