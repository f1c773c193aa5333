"""Issue 10's smaller items through the API: CSRF, headers, bounds, dates, accounts."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.conftest import PASSWORD, token

BIG = str(2**63)  # one past the largest id the store holds


def _cookie_login(client: TestClient, role: str) -> None:
    r = client.post("/api/auth/login", json={"name": role, "password": PASSWORD})
    assert r.status_code == 200 and client.cookies.get("telcolens_session")


def _first_case(client: TestClient) -> int:
    headers = token(client, "fraud_analyst")
    return client.get("/api/antifraud/cases", headers=headers).json()["items"][0]["id"]


@pytest.mark.parametrize(
    "origin",
    [
        "http://evil.example",
        "http://testserver:8001",  # another port on the same host: same site, other origin
        "https://testserver",  # another scheme
        "null",  # a sandboxed frame or a file
    ],
)
def test_cookie_changes_from_another_origin_are_refused(
    sqlite_client: TestClient, origin: str
) -> None:
    case_id = _first_case(sqlite_client)
    _cookie_login(sqlite_client, "fraud_analyst")
    try:
        r = sqlite_client.post(f"/api/antifraud/cases/{case_id}/review", headers={"Origin": origin})
        assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
        # A Referer from elsewhere (no Origin) is refused the same way.
        r = sqlite_client.post(
            f"/api/antifraud/cases/{case_id}/review",
            headers={"Referer": f"{origin}/page"},
        )
        assert r.status_code == 403
        # Nothing happened to the case.
        detail = sqlite_client.get(f"/api/antifraud/cases/{case_id}").json()
        assert detail["status"] == "new"
    finally:
        sqlite_client.cookies.clear()


def test_cookie_changes_need_an_origin_and_same_origin_ones_pass(
    sqlite_client: TestClient,
) -> None:
    case_id = _first_case(sqlite_client)
    _cookie_login(sqlite_client, "fraud_analyst")
    try:
        r = sqlite_client.post(f"/api/antifraud/cases/{case_id}/review")
        assert r.status_code == 403 and "Origin" in r.json()["detail"]
        # Reads need no Origin: a page may link to them.
        assert sqlite_client.get(f"/api/antifraud/cases/{case_id}").status_code == 200
        r = sqlite_client.post(
            f"/api/antifraud/cases/{case_id}/review", headers={"Origin": "http://testserver"}
        )
        assert r.status_code == 200, r.text
    finally:
        sqlite_client.cookies.clear()


def test_a_login_posted_from_another_origin_is_refused(sqlite_client: TestClient) -> None:
    r = sqlite_client.post(
        "/api/auth/login",
        json={"name": "admin", "password": PASSWORD},
        headers={"Origin": "http://testserver:9999"},
    )
    assert r.status_code == 403
    assert not sqlite_client.cookies.get("telcolens_session")


def test_bearer_clients_need_no_origin(sqlite_client: TestClient) -> None:
    """A browser never adds the Authorization header by itself: nothing to forge."""
    headers = token(sqlite_client, "admin")
    r = sqlite_client.post(
        "/api/admin/users",
        json={"name": "bearer-made", "role": "fraud_analyst", "password": PASSWORD},
        headers={**headers, "Origin": "http://elsewhere"},
    )
    assert r.status_code == 201


def test_headers_on_api_answers_and_pages(sqlite_client: TestClient) -> None:
    headers = token(sqlite_client, "fraud_analyst")
    r = sqlite_client.get("/api/antifraud/cases", headers=headers)
    assert r.headers["cache-control"] == "no-store"
    assert r.headers["x-content-type-options"] == "nosniff"
    for path in ("/docs", "/openapi.json", "/"):
        r = sqlite_client.get(path, headers=headers)
        assert r.status_code == 200, path
        assert r.headers["x-frame-options"] == "DENY", path
        assert "frame-ancestors 'none'" in r.headers["content-security-policy"], path
    assert sqlite_client.get("/health").headers["x-content-type-options"] == "nosniff"


@pytest.mark.parametrize(
    "path",
    [
        f"/api/antifraud/cases/{BIG}",
        f"/api/faults/incidents/{BIG}",
        "/api/antifraud/cases/0",
        f"/api/antifraud/cases?page={BIG}",
        f"/api/antifraud/cases?subscriber_id={BIG}",
        f"/api/antifraud/cases?subscriber_id=-{int(BIG) + 1}",
        f"/api/admin/audit?page={BIG}",
        f"/api/faults/incidents?page={BIG}",
    ],
)
def test_integers_beyond_64_bits_are_422(sqlite_client: TestClient, path: str) -> None:
    r = sqlite_client.get(path, headers=token(sqlite_client, "admin"))
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("invalid request") and r.json()["errors"]


def test_a_post_to_an_id_beyond_64_bits_is_422(sqlite_client: TestClient) -> None:
    r = sqlite_client.post(
        f"/api/antifraud/cases/{BIG}/review", headers=token(sqlite_client, "admin")
    )
    assert r.status_code == 422


@pytest.mark.parametrize("day", ["0", "1700000000", "2026-1-5", "yesterday", "2026-02-30"])
def test_days_are_iso_dates_only(sqlite_client: TestClient, day: str) -> None:
    headers = token(sqlite_client, "fraud_analyst")
    for path in ("/api/antifraud/map", "/api/antifraud/warnings", "/api/antifraud/brokers"):
        r = sqlite_client.get(path, params={"day": day}, headers=headers)
        assert r.status_code == 422, (path, day, r.text)
    ok = sqlite_client.get("/api/antifraud/map", params={"day": "2026-01-05"}, headers=headers)
    assert ok.status_code == 200


def test_errors_share_one_shape(sqlite_client: TestClient) -> None:
    headers = token(sqlite_client, "admin")
    for r, status in [
        (sqlite_client.get("/api/antifraud/cases/999999", headers=headers), 404),
        (sqlite_client.get("/api/auth/me"), 401),
        (sqlite_client.get("/api/antifraud/cases?page=0", headers=headers), 422),
        (sqlite_client.post("/api/admin/users/nobody/enable", headers=headers), 404),
    ]:
        assert r.status_code == status
        assert isinstance(r.json()["detail"], str) and r.json()["detail"]


def test_openapi_documents_the_errors(sqlite_client: TestClient) -> None:
    schema = sqlite_client.get("/openapi.json", headers=token(sqlite_client, "admin")).json()
    confirm = schema["paths"]["/api/antifraud/cases/{case_id}/confirm"]["post"]["responses"]
    assert {"401", "403", "404", "409", "422", "503"} <= set(confirm)
    assert confirm["409"]["content"]["application/json"]["schema"]["$ref"].endswith("/ErrorBody")
    assert "429" in schema["paths"]["/api/auth/login"]["post"]["responses"]
    assert "HTTPValidationError" not in schema["components"]["schemas"]


def test_a_disabled_users_token_stops_working_at_once(sqlite_client: TestClient) -> None:
    admin = token(sqlite_client, "admin")
    victim = token(sqlite_client, "police_liaison")
    assert sqlite_client.get("/api/auth/me", headers=victim).status_code == 200
    r = sqlite_client.post("/api/admin/users/police_liaison/disable", headers=admin)
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["sessions"] == 0
    try:
        assert sqlite_client.get("/api/auth/me", headers=victim).status_code == 401
        r = sqlite_client.post(
            "/api/auth/login", json={"name": "police_liaison", "password": PASSWORD}
        )
        assert r.status_code == 401
        again = sqlite_client.post("/api/admin/users/police_liaison/disable", headers=admin)
        assert again.status_code == 409
    finally:
        r = sqlite_client.post("/api/admin/users/police_liaison/enable", headers=admin)
        assert r.status_code == 200 and r.json()["active"] is True
    # Enabled again: the old token stays dead, a new login works.
    assert sqlite_client.get("/api/auth/me", headers=victim).status_code == 401
    assert sqlite_client.get("/api/auth/me", headers=token(sqlite_client, "police_liaison"))


def test_an_admin_cannot_disable_themself(sqlite_client: TestClient) -> None:
    r = sqlite_client.post("/api/admin/users/admin/disable", headers=token(sqlite_client, "admin"))
    assert r.status_code == 409 and "yourself" in r.json()["detail"]


def test_password_reset_and_ending_sessions(sqlite_client: TestClient) -> None:
    admin = token(sqlite_client, "admin")
    one, two = token(sqlite_client, "service_agent"), token(sqlite_client, "service_agent")
    users = {u["name"]: u for u in sqlite_client.get("/api/admin/users", headers=admin).json()}
    assert users["service_agent"]["sessions"] >= 2
    r = sqlite_client.delete("/api/admin/users/service_agent/sessions", headers=admin)
    assert r.status_code == 200 and r.json()["ended"] >= 2
    for t in (one, two):
        assert sqlite_client.get("/api/auth/me", headers=t).status_code == 401
    fresh = token(sqlite_client, "service_agent")
    short = sqlite_client.post(
        "/api/admin/users/service_agent/password", json={"password": "short"}, headers=admin
    )
    assert short.status_code == 422 and "at least" in short.json()["detail"]
    new = "another-long-password"
    r = sqlite_client.post(
        "/api/admin/users/service_agent/password", json={"password": new}, headers=admin
    )
    assert r.status_code == 204
    assert sqlite_client.get("/api/auth/me", headers=fresh).status_code == 401
    login = sqlite_client.post("/api/auth/login", json={"name": "service_agent", "password": new})
    assert login.status_code == 200
    # Put it back for the module's other tests.
    sqlite_client.post(
        "/api/admin/users/service_agent/password", json={"password": PASSWORD}, headers=admin
    )
    sqlite_client.cookies.clear()


def test_failed_logins_prune_quiet_throttle_rows(sqlite_client: TestClient, monkeypatch) -> None:
    """Guessing many names leaves a row each; the logins drop the long-quiet ones."""
    import datetime as dt

    from telcolens.api import auth
    from telcolens.store.models import LoginThrottle, utcnow

    long_ago = utcnow() - dt.timedelta(hours=2)
    with sqlite_client.app.state.sessions() as s, s.begin():
        s.add(
            LoginThrottle(
                key="name:gone", failures=3, first_failed_at=long_ago, last_failed_at=long_ago
            )
        )
    monkeypatch.setattr(auth, "PRUNE_EVERY", 1)
    r = sqlite_client.post("/api/auth/login", json={"name": "prune-me", "password": "x" * 12})
    assert r.status_code == 401
    with sqlite_client.app.state.sessions() as s:
        assert s.get(LoginThrottle, "name:gone") is None
        assert s.get(LoginThrottle, "name:prune-me") is not None


def test_texts_with_nul_are_422_on_both_stores(client: TestClient) -> None:
    """PostgreSQL refuses NUL in text, even in a comparison: the schema refuses it first."""
    r = client.post("/api/auth/login", json={"name": "admin\x00", "password": PASSWORD})
    assert r.status_code == 422, r.text
    case = _first_case(client)
    analyst = token(client, "fraud_analyst")
    for path, body in (
        (f"/api/antifraud/cases/{case}/confirm", {"note": "a\x00b"}),
        (f"/api/antifraud/cases/{case}/clear", {"reason": "a\x00b"}),
        (f"/api/antifraud/cases/{case}/whitelist", {"category": "courier", "note": "\x00"}),
    ):
        assert client.post(path, headers=analyst, json=body).status_code == 422, path
    engineer = token(client, "network_engineer")
    r = client.post(
        "/api/faults/incidents/1/resolve", headers=engineer, json={"resolution": "\x00"}
    )
    assert r.status_code == 422, r.text
    # Nothing changed: the case is still as loaded, and the right login still works.
    assert client.get(f"/api/antifraud/cases/{case}", headers=analyst).json()["status"] == "new"
