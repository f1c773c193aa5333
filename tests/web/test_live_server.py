"""The API over a real socket: what a client is told has happened has been committed."""

from __future__ import annotations

import httpx

from tests.web.conftest import PASSWORD


def test_a_login_works_on_the_very_next_request(server: str) -> None:
    """Each write commits before its answer is sent (a login, then at once a request)."""
    with httpx.Client(base_url=server) as client:
        for _ in range(30):
            r = client.post("/api/auth/login", json={"name": "analyst", "password": PASSWORD})
            headers = {"Authorization": f"Bearer {r.json()['token']}"}
            assert client.get("/api/auth/me", headers=headers).status_code == 200


def test_case_evidence_keeps_every_digit_for_javascript(server: str) -> None:
    with httpx.Client(base_url=server) as client:
        r = client.post("/api/auth/login", json={"name": "analyst", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        case_id = client.get("/api/antifraud/cases", headers=headers).json()["items"][0]["id"]
        case = client.get(f"/api/antifraud/cases/{case_id}", headers=headers).json()
    ev = case["evidence"]
    assert ev["subscriber_id"] == case["subscriber_id"]  # a string, digits intact
    assert all(isinstance(c["callee"], str) for c in ev["sample_calls"])
    assert ev["first_seen"].endswith("+08:00")  # record times carry their zone
