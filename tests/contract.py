"""The capability contract: what every registered capability must have.

Like scikit-learn's ``check_estimator``: each ``check_*`` takes a capability (its import
path and object) and returns the problems it finds, so that a test can both pass for
the built-in capabilities and show that a capability missing a part fails. The browser
and demo parts need fixtures and live in ``tests/test_capabilities.py``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

import typer
from fastapi import APIRouter
from fastapi.routing import APIRoute
from typer.main import get_command
from typer.testing import CliRunner

from telcolens.capabilities import Capability, console_dir, resolve, role_names
from telcolens.store.models import Base

ROOT = Path(__file__).resolve().parents[1]


def route_roles(route: APIRoute) -> set[str] | None:
    """The roles an ``allow(...)`` check on the route admits, or None without one."""
    found: set[str] | None = None
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        roles = getattr(dep.call, "__roles__", None)
        if roles is not None:
            found = (found or set()) | set(roles)
        stack.extend(dep.dependencies)
    return found


def device_authenticated(route: APIRoute) -> bool:
    """Whether the route authenticates a device by its own credential (``__gateway__``).

    A home gateway posting Bulk Data is not a user and has no role: the dependency that
    checks its credential is marked instead, and no user's login opens the route.
    """
    stack = [route.dependant]
    while stack:
        dep = stack.pop()
        if getattr(dep.call, "__gateway__", False):
            return True
        stack.extend(dep.dependencies)
    return False


def router_roles(router: APIRouter) -> set[str] | None:
    """The roles an ``allow(...)`` declared on the router itself admits, or None."""
    found = [getattr(d.dependency, "__roles__", None) for d in router.dependencies]
    declared = [set(r) for r in found if r is not None]
    return set.union(*declared) if declared else None


def check_routes(cap: Capability) -> list[str]:
    problems = []
    known = set(role_names())
    for ref in cap.routers:
        router = resolve(ref)
        routes = [r for r in router.routes if isinstance(r, APIRoute)]
        if router_roles(router) is None and len(routes) > 1:
            each = {frozenset(route_roles(r) or ()) for r in routes}
            if len(each) == 1:
                problems.append(
                    f"{ref}: every route admits {sorted(next(iter(each)))}; "
                    "declare allow(...) once on the router"
                )
        for route in routes:
            roles = route_roles(route)
            where = f"{sorted(route.methods)} {route.path}"
            if roles is None and not device_authenticated(route):
                problems.append(f"{where} has no role check (allow(...))")
            elif roles is not None and device_authenticated(route):
                problems.append(f"{where} admits both a device credential and user roles")
            elif roles is not None and roles - known:
                problems.append(f"{where} admits unknown role(s) {sorted(roles - known)}")
            documented = route.responses.get(200, {}).get("content")  # e.g. CSV or JSON
            if route.response_model is None and route.status_code != 204 and not documented:
                problems.append(f"{where} has no response model")
    return problems


def check_models(cap: Capability) -> list[str]:
    """Its store models build on the store's ``Base`` (one metadata, one Alembic chain)."""
    if cap.models is None:
        return []
    try:
        module = importlib.import_module(cap.models)
    except ImportError as e:
        return [f"models module {cap.models} does not import: {e}"]
    mapped = [
        obj
        for obj in vars(module).values()
        if isinstance(obj, type) and hasattr(obj, "__table__") and obj.__module__ == cap.models
    ]
    problems = [] if mapped else [f"models module {cap.models} declares no table"]
    for model in mapped:
        if not issubclass(model, Base):
            problems.append(f"{model.__name__} is not built on telcolens.store.models.Base")
    return problems


def check_roles_and_pages(path: str, cap: Capability) -> list[str]:
    problems = []
    known = set(role_names())
    for role in cap.roles:
        if not role.description.strip():
            problems.append(f"role {role.name} has no description")
    folder = console_dir(path)
    for page in cap.pages:
        if set(page.roles) - known:
            unknown = sorted(set(page.roles) - known)
            problems.append(f"page {page.path} names unknown role(s) {unknown}")
        if not (folder / page.module).is_file():
            problems.append(f"page {page.path}: {page.module} is not in {folder}")
        if set(page.title) != {"en", "zh"}:
            problems.append(f"page {page.path} needs a title in en and zh")
        if not page.in_nav and page.parent not in {p.path for p in cap.pages if p.in_nav}:
            problems.append(f"page {page.path} is opened from {page.parent!r}, not its page")
    return problems


def cli_app(cap: Capability) -> typer.Typer:
    """A root app holding only the capability's commands."""
    app = typer.Typer()
    cap.register_cli(app)

    @app.callback()
    def _root() -> None:  # a group even when the capability adds one command
        pass

    return app


def cli_commands(cap: Capability) -> list[list[str]]:
    """Every command path the capability adds (["antifraud", "run"], ["profile"], ...)."""
    app = cli_app(cap)
    out = []

    def walk(command, prefix: list[str]) -> None:
        subs = getattr(command, "commands", None)
        if prefix:
            out.append(prefix)
        for name, sub in (subs or {}).items():
            walk(sub, [*prefix, name])

    walk(get_command(app), [])
    return out


def check_cli(cap: Capability) -> list[str]:
    problems = []
    app = cli_app(cap)
    commands = cli_commands(cap)
    if not commands:
        problems.append("adds no CLI command")
    for command in commands:
        result = CliRunner().invoke(app, [*command, "--help"])
        if result.exit_code != 0 or "Usage" not in result.output:
            problems.append(f"`{' '.join(command)} --help` failed: {result.output[:200]}")
    return problems


def check_docs(cap: Capability) -> list[str]:
    doc = ROOT / (cap.docs or f"docs/{cap.name}.md")
    return [] if doc.is_file() else [f"no documentation at {doc.relative_to(ROOT)}"]


def check_demo(cap: Capability) -> list[str]:
    return [] if cap.run_demo is not None else ["has no demo step"]


def check_day(cap: Capability) -> list[str]:
    """A step in ``telcolens daily`` (an as-of day's run); the day runs' tests run each."""
    return [] if cap.run_day is not None else ["has no day step (telcolens daily)"]


def problems(path: str, cap: Capability) -> list[str]:
    """Everything static the contract asks of a capability (browser and demo runs aside)."""
    return [
        *check_routes(cap),
        *check_models(cap),
        *check_roles_and_pages(path, cap),
        *check_cli(cap),
        *check_docs(cap),
        *check_demo(cap),
        *check_day(cap),
    ]
