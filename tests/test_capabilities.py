"""The capability contract over every registered capability, and what a new one needs.

Each built-in capability must pass every check; a capability missing a part fails; and
a small example capability registered only here (tests/example_capability) gets its
router, role, console page and demo step served without touching any other file.
"""

from __future__ import annotations

import ast
import dataclasses
import datetime as dt
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from telcolens import capabilities as registry
from telcolens.api.app import create_app
from telcolens.capabilities import Capability, DemoContext, Page, Role
from telcolens.engine import connect, tables
from telcolens.store.users import create_user
from tests import contract

EXAMPLE = "tests.example_capability"
PASSWORD = "a-long-contract-password"
SRC = Path(__file__).resolve().parents[1] / "src" / "telcolens"


@pytest.fixture
def example() -> Iterator[Capability]:
    registry.register(EXAMPLE)
    try:
        yield registry.resolve(f"{EXAMPLE}:CAPABILITY")
    finally:
        registry.unregister(EXAMPLE)


BUILT_IN = [pytest.param(path, id=path.rsplit(".", 1)[-1]) for path in registry.BUILTIN]


@pytest.mark.parametrize("path", BUILT_IN)
def test_each_built_in_capability_keeps_the_contract(path: str) -> None:
    cap = registry.resolve(f"{path}:CAPABILITY")
    assert contract.problems(path, cap) == []


@pytest.mark.parametrize("path", BUILT_IN)
def test_each_demo_step_runs_on_the_demo_province(
    path: str, province: Path, tmp_path: Path
) -> None:
    cap = registry.resolve(f"{path}:CAPABILITY")
    con = connect("duckdb")
    ctx = DemoContext(
        data_dir=province, out_dir=tmp_path, engine="duckdb", con=con, tables=tables(con, province)
    )
    result = cap.run_demo(ctx)
    assert result.summary, f"{cap.name}'s demo step reported nothing"


def test_a_capability_missing_parts_fails_the_contract(example: Capability) -> None:
    broken = dataclasses.replace(
        example,
        roles=(Role("example_user", " "),),
        pages=(
            Page("example", "missing.js", {"en": "Hello"}, ("nobody_role",)),
            Page("example/{id}", "hello.js", {"en": "x", "zh": "x"}, (), parent="elsewhere"),
        ),
        docs="docs/no-such-capability.md",
        run_demo=None,
        run_day=None,
    )
    found = contract.problems(EXAMPLE, broken)
    expected = [
        "role example_user has no description",
        "unknown role(s) ['nobody_role']",
        "missing.js is not in",
        "needs a title in en and zh",
        "is opened from 'elsewhere'",
        "no documentation",
        "has no demo step",
        "has no day step",
    ]
    for part in expected:
        assert any(part in p for p in found), (part, found)


def test_a_route_without_a_role_check_fails_the_contract(example: Capability) -> None:
    from fastapi import APIRouter

    from tests.example_capability import api

    open_router = APIRouter(prefix="/api/example-open")

    @open_router.get("/leak")
    def leak() -> dict[str, str]:
        return {}

    api.open_router = open_router
    try:
        broken = dataclasses.replace(example, routers=(f"{EXAMPLE}.api:open_router",))
        assert any("no role check" in p for p in contract.check_routes(broken))
    finally:
        del api.open_router


def test_a_router_repeating_one_role_check_on_each_route_fails_the_contract(
    example: Capability,
) -> None:
    from fastapi import APIRouter

    from telcolens.api.deps import allow
    from tests.example_capability import api

    repeated = APIRouter(prefix="/api/example-repeated")

    @repeated.get("/a", dependencies=[allow("example_user")])
    def a() -> dict[str, str]:
        return {}

    @repeated.get("/b", dependencies=[allow("example_user")])
    def b() -> dict[str, str]:
        return {}

    api.repeated = repeated
    try:
        broken = dataclasses.replace(example, routers=(f"{EXAMPLE}.api:repeated",))
        assert any("declare allow(...) once" in p for p in contract.check_routes(broken))
    finally:
        del api.repeated


def test_store_models_off_the_store_base_fail_the_contract(example: Capability) -> None:
    missing = dataclasses.replace(example, models=f"{EXAMPLE}.no_such_models")
    assert any("does not import" in p for p in contract.check_models(missing))
    stray = dataclasses.replace(example, models="tests.example_capability.stray_models")
    assert any("not built on" in p for p in contract.check_models(stray))


def test_every_capability_table_is_in_the_one_metadata() -> None:
    from telcolens.store.models import Base

    modules = registry.load_models()
    assert {"telcolens.antifraud.models", "telcolens.faults.models"} <= set(modules)
    assert {"fraud_cases", "incidents", "users", "audit_log"} <= set(Base.metadata.tables)


def test_the_example_capability_needs_only_its_folder(
    example: Capability, tmp_path: Path, province: Path
) -> None:
    """Registered, it has its CLI, role, router, console page, demo and day step everywhere."""
    assert contract.problems(EXAMPLE, example) == []
    assert "example_user" in registry.role_names()
    # CLI: the root app is built from the registry when imported, so build one here.
    from telcolens.cli import build_app

    result = CliRunner().invoke(build_app(), ["example", "hello", "--name", "test"])
    assert result.exit_code == 0 and "hello, test" in result.output
    # API, role and page.
    app = create_app(f"sqlite:///{tmp_path / 'store.db'}")
    with sessionmaker(app.state.engine)() as s, s.begin():
        create_user(s, "ex", "example_user", PASSWORD, actor="test")
        create_user(s, "ana", "fraud_analyst", PASSWORD, actor="test")
    with TestClient(app) as client:
        token = client.post("/api/auth/login", json={"name": "ex", "password": PASSWORD}).json()
        headers = {"Authorization": f"Bearer {token['token']}"}
        assert client.get("/api/example/hello", headers=headers).json() == {"greeting": "hello, ex"}
        me = client.get("/api/auth/me", headers=headers).json()
        pages = [p for s in me["sections"] for p in s["pages"]]
        assert [p["path"] for p in pages] == ["example"]
        module = client.get(pages[0]["module"])
        assert module.status_code == 200 and "render" in module.text
        other = client.post("/api/auth/login", json={"name": "ana", "password": PASSWORD})
        analyst = {"Authorization": f"Bearer {other.json()['token']}"}
        assert client.get("/api/example/hello", headers=analyst).status_code == 403
        mine = client.get("/api/auth/me", headers=analyst).json()
        assert "example" not in [p["path"] for s in mine["sections"] for p in s["pages"]]
    app.state.engine.dispose()
    # Demo step.
    con = connect("duckdb")
    ctx = DemoContext(
        data_dir=province, out_dir=tmp_path, engine="duckdb", con=con, tables=tables(con, province)
    )
    assert example.run_demo(ctx).summary[0][0] == "example: cells"
    # Day step: `telcolens daily` runs it beside the built-in ones.
    from telcolens import runs

    assert "example" in [c.name for c in runs.day_steps()]
    day = runs.run_day(
        province, tmp_path / "runs", dt.date(2026, 11, 4), con, steps=runs.day_steps(["example"])
    )
    assert day.summary["example"][0][0] == "example: calls in the week"
    assert (day.folder / "example" / "calls.txt").read_text().strip() != "0"


# Lower layers never import from higher ones: the API, or a capability package.
LOWER = (
    "store",
    "schema",
    "engine.py",
    "web",
    "settings.py",
    "privacy.py",
    "errors.py",
    "topology.py",
)
HIGHER = ("telcolens.api", *registry.BUILTIN)


def _imports(path: Path) -> Iterator[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            yield from (a.name for a in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            yield node.module


def test_imports_run_one_way() -> None:
    offenders = []
    for part in LOWER:
        files = [SRC / part] if part.endswith(".py") else sorted((SRC / part).rglob("*.py"))
        for file in files:
            if "node_modules" in file.parts:
                continue
            for name in _imports(file):
                if any(name == h or name.startswith(h + ".") for h in HIGHER):
                    offenders.append(f"{file.relative_to(SRC)} imports {name}")
    assert offenders == []
