"""Every endpoint × every role × no login: who gets in is decided on the server.

EXPECTED lists, per endpoint, the roles admitted besides admin. A new endpoint
fails ``test_every_endpoint_is_in_the_table`` until its roles are written here.
"""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from telcolens.capabilities import role_names
from tests.api.conftest import token

ANALYST = {"fraud_analyst"}
BROADBAND = {"broadband_engineer"}
ITINERARY = {"itinerary_agent"}
ROLES = role_names()
ANYONE = set(ROLES)
EXPECTED: dict[tuple[str, str], set[str]] = {
    ("GET", "/api/auth/me"): ANYONE,
    ("POST", "/api/auth/logout"): ANYONE,
    ("GET", "/api/antifraud/summary"): ANALYST,
    ("GET", "/api/antifraud/trend"): ANALYST,
    ("GET", "/api/antifraud/map"): ANALYST,
    ("GET", "/api/antifraud/cases"): ANALYST,
    ("GET", "/api/antifraud/cases/{case_id}"): ANALYST,
    ("POST", "/api/antifraud/cases/{case_id}/review"): ANALYST,
    ("POST", "/api/antifraud/cases/{case_id}/confirm"): ANALYST,
    ("POST", "/api/antifraud/cases/{case_id}/clear"): ANALYST,
    ("POST", "/api/antifraud/cases/{case_id}/whitelist"): ANALYST,
    ("POST", "/api/antifraud/cases/{case_id}/reinstate"): ANALYST,
    ("POST", "/api/antifraud/cases/{case_id}/hand-over"): ANALYST,
    ("GET", "/api/antifraud/warnings"): ANALYST | {"service_agent"},
    ("POST", "/api/antifraud/warnings/{warning_id}/contacted"): ANALYST | {"service_agent"},
    ("GET", "/api/antifraud/brokers"): ANALYST,
    ("GET", "/api/antifraud/whitelist"): ANALYST,
    ("POST", "/api/antifraud/whitelist"): ANALYST,
    ("GET", "/api/antifraud/police/cases"): {"police_liaison"},
    ("GET", "/api/antifraud/police/export"): {"police_liaison"},
    ("GET", "/api/faults/summary"): {"network_engineer"},
    ("POST", "/api/faults/ves"): {"network_engineer"},
    ("GET", "/api/faults/incidents"): {"network_engineer"},
    ("GET", "/api/faults/incidents/{incident_id}"): {"network_engineer"},
    ("POST", "/api/faults/incidents/{incident_id}/acknowledge"): {"network_engineer"},
    ("POST", "/api/faults/incidents/{incident_id}/resolve"): {"network_engineer"},
    ("GET", "/api/broadband/bulkdata/stats"): BROADBAND,
    ("GET", "/api/broadband/work-orders"): BROADBAND,
    ("POST", "/api/broadband/work-orders"): BROADBAND,
    ("GET", "/api/broadband/work-orders/{order_id}"): BROADBAND,
    ("POST", "/api/broadband/work-orders/{order_id}/dispatch"): BROADBAND,
    ("POST", "/api/broadband/work-orders/{order_id}/start"): BROADBAND,
    ("POST", "/api/broadband/work-orders/{order_id}/done"): BROADBAND,
    ("POST", "/api/broadband/work-orders/{order_id}/failed"): BROADBAND,
    ("POST", "/api/broadband/work-orders/{order_id}/cancel"): BROADBAND,
    ("GET", "/api/broadband/summary"): BROADBAND,
    ("GET", "/api/broadband/trend"): BROADBAND,
    ("GET", "/api/broadband/poor-lines"): BROADBAND,
    ("GET", "/api/broadband/lines/{line_id}"): BROADBAND,
    ("GET", "/api/broadband/scenarios"): BROADBAND,
    ("GET", "/api/broadband/proof"): BROADBAND,
    ("POST", "/api/itinerary/agent/query"): ITINERARY,
    ("POST", "/api/itinerary/agent/override"): ITINERARY,
    ("GET", "/api/itinerary/cities"): ITINERARY,
    ("GET", "/api/admin/users"): set(),
    ("POST", "/api/admin/users"): set(),
    ("GET", "/api/admin/audit"): set(),
    ("POST", "/api/admin/users/{name}/disable"): set(),
    ("POST", "/api/admin/users/{name}/enable"): set(),
    ("POST", "/api/admin/users/{name}/password"): set(),
    ("DELETE", "/api/admin/users/{name}/sessions"): set(),
    # Outside the OpenAPI schema:
    ("GET", "/openapi.json"): ANYONE,
    ("GET", "/docs"): ANYONE,
}
# Open without login: /health, and the login itself (which answers only to a right password);
# a subscriber's visited-places code and query (which answer only to a code texted to the
# number, and refuse a console login: tests/itinerary/test_api.py).
PUBLIC = {
    ("GET", "/health"),
    ("POST", "/api/auth/login"),
    ("POST", "/api/itinerary/codes"),
    ("POST", "/api/itinerary/query"),
}
# Authenticated by a device's own credential (HTTP Basic), which no user's login replaces.
DEVICES = {("POST", "/api/broadband/bulkdata")}
PATH_VALUES = {
    "{case_id}": "1",
    "{warning_id}": "1",
    "{incident_id}": "1",
    "{name}": "nobody",
    "{order_id}": "1",
    "{line_id}": "1",
}


@pytest.fixture(scope="module")
def logins(sqlite_client: TestClient) -> dict[str, dict[str, str]]:
    """One login per role for the module (password hashing is slow on purpose)."""
    return {role: token(sqlite_client, role) for role in ROLES}


def _url(path: str) -> str:
    for k, v in PATH_VALUES.items():
        path = path.replace(k, v)
    return path


def test_every_endpoint_is_in_the_table(sqlite_client: TestClient) -> None:
    schema = sqlite_client.get("/openapi.json", headers=token(sqlite_client, "admin")).json()
    served = {(m.upper(), p) for p, ops in schema["paths"].items() for m in ops}
    assert served | {("GET", "/openapi.json"), ("GET", "/docs")} == set(EXPECTED) | PUBLIC | DEVICES


@pytest.mark.parametrize(("method", "path"), sorted(DEVICES))
def test_device_endpoints_admit_no_user(
    sqlite_client: TestClient, logins: dict[str, dict[str, str]], method, path
) -> None:
    r = sqlite_client.request(method, _url(path), json={})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Basic")
    for role in ROLES:
        r = sqlite_client.request(method, _url(path), headers=logins[role], json={})
        assert r.status_code == 401, (role, r.text)


@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_no_endpoint_answers_without_login(sqlite_client: TestClient, method, path) -> None:
    r = sqlite_client.request(method, _url(path), json={})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"] == "Bearer"


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("method", "path"), sorted(EXPECTED))
def test_each_role_gets_exactly_its_endpoints(
    sqlite_client: TestClient, logins: dict[str, dict[str, str]], role, method, path
) -> None:
    # Logging out ends the login: it gets one of its own, so the shared ones stay valid.
    headers = token(sqlite_client, role) if path == "/api/auth/logout" else logins[role]
    # Bodies that fail validation: an admitted role gets 422 (never 401/403), nothing changes.
    r = sqlite_client.request(method, _url(path), headers=headers, json={"bad": True})
    if role == "admin" or role in EXPECTED[(method, path)]:
        assert r.status_code not in (401, 403), (role, method, path, r.text)
    else:
        assert r.status_code == 403, (role, method, path, r.text)


def test_health_is_open(sqlite_client: TestClient) -> None:
    r = sqlite_client.get("/health")
    assert r.status_code == 200 and r.json()["database"] == "ok"


def test_console_page_sends_anonymous_visitors_to_login(sqlite_client: TestClient) -> None:
    r = sqlite_client.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    assert sqlite_client.get("/", headers=token(sqlite_client, "fraud_analyst")).status_code == 200


def test_a_forged_or_ended_token_is_refused(sqlite_client: TestClient) -> None:
    headers = token(sqlite_client, "fraud_analyst")
    assert sqlite_client.get("/api/auth/me", headers=headers).status_code == 200
    bad = {"Authorization": headers["Authorization"] + "x"}
    assert sqlite_client.get("/api/auth/me", headers=bad).status_code == 401
    assert sqlite_client.post("/api/auth/logout", headers=headers).status_code == 204
    assert sqlite_client.get("/api/auth/me", headers=headers).status_code == 401


def test_wrong_password_is_refused_and_audited(sqlite_client: TestClient) -> None:
    r = sqlite_client.post("/api/auth/login", json={"name": "admin", "password": "guess-guess"})
    assert r.status_code == 401
    audit = sqlite_client.get(
        "/api/admin/audit", params={"actor": "admin"}, headers=token(sqlite_client, "admin")
    ).json()
    assert "auth.login_failed" in [e["action"] for e in audit["items"]]
