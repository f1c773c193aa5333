"""Schemathesis over every operation of the OpenAPI document, with every check it ships.

The app runs in-process (ASGI) on a store loaded with the shared province's anti-fraud
run, three incidents and one case handed to the police, and every request is an admin's
(admin may call every endpoint). Schemathesis runs as ``st run`` would: the examples,
coverage and fuzzing phases over each operation (positive and negative data), then the
stateful phase along the links between them, with every registered check enabled (the
list comes from the installed package, so a check a later version adds runs too).
Generation is derandomised and bounded, so CI sends the same requests every time.

What the run may do, and what it may not:

- The login throttle is off (``TELCOLENS_LOGIN_THROTTLE=false``): generated logins would
  otherwise block each other; the throttle has tests of its own.
- Actions change state as they would for a person (a confirmed case stays confirmed; a
  second confirm is a 409 and documented as such).
- The admin routes that disable a user, set a password or end logins run against every
  generated name except the admin's own, and ``POST /api/auth/logout`` sent with the
  run's token ends a spare login of the admin's instead: a ``before_call`` hook does both,
  so the run never locks itself out. Should the login end anyway, the auth provider logs
  in again after a 401 (schemathesis replays the request once). Nothing is excluded.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from fastapi.testclient import TestClient
from schemathesis.checks import CHECKS, load_all_checks
from schemathesis.engine import Status, events, from_schema
from schemathesis.hooks import GLOBAL_HOOK_DISPATCHER
from sqlalchemy import select
from sqlalchemy.orm import Session

from telcolens.api.errors import ErrorBody
from telcolens.faults import lifecycle
from telcolens.itinerary.index import Window, write_index
from telcolens.settings import get_settings
from telcolens.store.models import User
from telcolens.store.users import start_session
from tests.api.conftest import PASSWORD, make_client, token
from tests.faults.test_lifecycle import _incidents

ADMIN = "admin"
STAND_IN = "someone-else"  # the name a destructive call gets instead of the admin's own
# Per operation and generation mode; PostgreSQL gets a smaller pass of the same run.
MAX_EXAMPLES = {"sqlite": 50, "postgresql": 20}
STATEFUL_STEPS = {"sqlite": 20, "postgresql": 10}


def all_checks() -> list[str]:
    """Every check the installed schemathesis registers, built-in or not."""
    load_all_checks()
    return CHECKS.get_all_names()


def _config(backend: str) -> schemathesis.Config:
    return schemathesis.Config.from_dict(
        {
            "seed": 20240610,
            "workers": 1,
            "generation": {
                "max-examples": MAX_EXAMPLES[backend],
                "deterministic": True,  # Hypothesis derandomize: the same requests every run
                "database": "none",
            },
            "phases": {"stateful": {"max-steps": STATEFUL_STEPS[backend]}},
            "checks": {"enabled": True, **{name: {"enabled": True} for name in all_checks()}},
        }
    )


def _seed(app: FastAPI) -> None:
    """Incidents to act on and a case in the police export, beside the loaded run."""
    with Session(app.state.engine) as s, s.begin():
        lifecycle.load_incidents(s, *_incidents(), "loader")
    with TestClient(app) as c:
        analyst = token(c, "fraud_analyst")
        case = c.get("/api/antifraud/cases", headers=analyst).json()["items"][0]["id"]
        for step, body in (("confirm", {"note": "seen"}), ("hand-over", None)):
            r = c.post(f"/api/antifraud/cases/{case}/{step}", headers=analyst, json=body)
            assert r.status_code == 200, r.text


class Admin:
    """The admin the run is logged in as, and what keeps the run logged in."""

    def __init__(self, app: FastAPI) -> None:
        self.app = app
        self.token = ""

    def log_in(self) -> str:
        """A real login through the API: the token every generated request carries."""
        with TestClient(self.app) as c:
            r = c.post("/api/auth/login", json={"name": ADMIN, "password": PASSWORD})
            assert r.status_code == 200, r.text
        self.token = f"Bearer {r.json()['token']}"
        return self.token

    def spare(self) -> str:
        """Another login of the admin's, opened in the store (no password hashing)."""
        with Session(self.app.state.engine) as s, s.begin():
            user = s.scalar(select(User).where(User.name == ADMIN))
            return f"Bearer {start_session(s, user, 1)}"

    def before_call(self, context: Any, case: schemathesis.Case, kwargs: dict[str, Any]) -> None:
        """Keep the run's login alive: calls that would end it act on another one.

        A call naming the admin (disable, password, end logins) names someone else; a
        logout with the run's token ends a spare login instead (else every request
        generated before the next login would be a 401 and a login of its own).
        """
        params = case.path_parameters
        if isinstance(params, dict) and params.get("name") == ADMIN:
            params["name"] = STAND_IN
        headers = case.headers
        if (
            case.operation.path == "/api/auth/logout"
            and isinstance(headers, dict)
            and headers.get("Authorization") == self.token
        ):
            headers["Authorization"] = self.spare()


@pytest.fixture
def api_schema(
    store_url: str, tmp_path: Path, day_run: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[schemathesis.BaseSchema]:
    """The app's OpenAPI document as schemathesis loads it, bound to the app, as admin."""
    backend = store_url.split(":", 1)[0].split("+", 1)[0]  # sqlite, postgresql
    monkeypatch.setenv("TELCOLENS_LOGIN_THROTTLE", "false")
    monkeypatch.setenv("TELCOLENS_ALARM_DATA_DIR", str(tmp_path / "alarms"))
    monkeypatch.setenv("TELCOLENS_BROADBAND_DATA_DIR", str(tmp_path / "broadband"))
    # A small visited-places index, so its routes answer rather than 503.
    day = dt.date(2026, 11, 20)
    window = Window(day, day - dt.timedelta(days=13), day, 4.0)
    write_index(tmp_path / "itinerary", window, [(1, "Jinan", day, day, 6.0)])
    monkeypatch.setenv("TELCOLENS_ITINERARY_INDEX", str(tmp_path / "itinerary"))
    get_settings.cache_clear()
    try:
        app = make_client(store_url, day_run).app
        _seed(app)
        admin = Admin(app)
        schema = schemathesis.openapi.from_asgi(
            "/openapi.json",
            app,
            config=_config(backend),
            headers={"Authorization": admin.log_in()},
        )

        @schema.auth()  # logs in again after a 401 (and replays the request once)
        class AdminToken:
            def get(self, case: schemathesis.Case, context: Any) -> str:
                return admin.log_in()

            def set(self, case: schemathesis.Case, data: str, context: Any) -> None:
                case.headers = {**(case.headers or {}), "Authorization": data}

        hook = admin.before_call  # one bound method: unregister removes it by identity
        GLOBAL_HOOK_DISPATCHER.register_hook_with_name(hook, "before_call")
        try:
            yield schema
        finally:
            GLOBAL_HOOK_DISPATCHER.unregister(hook)
            app.state.engine.dispose()
    finally:
        monkeypatch.undo()
        get_settings.cache_clear()  # later tests read the settings without these


def _describe(recorder: Any, check: str, info: Any) -> str:
    """One failure: the operation, the check, what it says, the answer and how to send it again."""
    f = info.failure
    interaction = recorder.interactions.get(f.case_id) if f.case_id else None
    response = interaction.response if interaction is not None else None
    got = f" -> {response.status_code} {response.text[:300]!r}" if response is not None else ""
    return f"{f.operation} [{check}] {f.title}: {f.message}{got}\n    {info.code_sample}"


def _run(schema: schemathesis.BaseSchema) -> tuple[set[str], list[str]]:
    """Run every phase; the operations tested and one line per distinct problem."""
    tested: set[str] = set()
    problems: dict[tuple[str, ...], str] = {}
    for event in from_schema(schema).execute():
        if isinstance(event, events.ScenarioFinished):
            if event.status != Status.SKIP and event.label:
                tested.add(event.label)
            for nodes in event.recorder.checks.values():
                for node in nodes:
                    info = node.failure_info
                    if info is None:
                        continue
                    f = info.failure
                    key = (str(f.operation), node.name, f.title, f.message)
                    problems.setdefault(key, _describe(event.recorder, node.name, info))
        elif isinstance(event, events.NonFatalError):
            problems.setdefault((event.label, repr(event.value)), f"{event.label}: {event.info}")
        elif isinstance(event, events.FatalError):
            raise event.exception
        elif isinstance(event, events.EngineFinished):
            for f in event.failures:
                problems.setdefault((str(f),), str(f))
    return tested, list(problems.values())


@pytest.mark.slow
def test_schemathesis_every_operation_every_check(api_schema: schemathesis.BaseSchema) -> None:
    checks = api_schema.config.checks_config_for()
    assert {"not_a_server_error", "response_schema_conformance", "use_after_free"} <= set(
        all_checks()
    )
    assert all(checks.get_by_name(name=name).enabled for name in all_checks())
    operations = {r.ok().label for r in api_schema.get_all_operations()}
    assert "POST /api/faults/ves" in operations and "GET /health" in operations
    tested, problems = _run(api_schema)
    assert tested >= operations, f"never tested: {sorted(operations - tested)}"
    assert not problems, f"{len(problems)} problem(s):\n" + "\n".join(problems)


def test_method_not_allowed_names_every_method_of_the_path(sqlite_client: TestClient) -> None:
    # Found by allow_header_conformance: Starlette named only the first route's method.
    r = sqlite_client.request("OPTIONS", "/api/admin/users", headers=token(sqlite_client, "admin"))
    assert r.status_code == 405 and r.headers["allow"] == "GET, POST"
    assert r.json() == {"detail": "Method Not Allowed"}


def test_health_answers_503_in_the_documented_error_shape(
    sqlite_client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    def unreachable() -> None:
        raise OSError("connection refused")

    monkeypatch.setattr(sqlite_client.app.state.engine, "connect", unreachable)
    r = sqlite_client.get("/health")
    assert r.status_code == 503
    assert ErrorBody.model_validate(r.json()).detail == "the database is unreachable"
    assert r.json()["database"] == "unreachable"
