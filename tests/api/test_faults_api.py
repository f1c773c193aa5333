"""Incidents through the API: a network engineer acknowledges and resolves; the clocks follow."""

from __future__ import annotations

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcolens.faults import lifecycle
from tests.api.conftest import token
from tests.faults.test_lifecycle import _incidents


def test_acknowledge_resolve_and_the_clocks(client: TestClient) -> None:
    with Session(client.app.state.engine) as s, s.begin():
        lifecycle.load_incidents(s, *_incidents(), "loader")
    eng = token(client, "network_engineer")
    listed = client.get("/api/faults/incidents", headers=eng, params={"status": "open"}).json()
    assert listed["total"] == 3
    first = listed["items"][0]["id"]
    url = f"/api/faults/incidents/{first}"
    assert client.post(url + "/resolve", headers=eng, json={"resolution": ""}).status_code == 422
    acked = client.post(url + "/acknowledge", headers=eng).json()
    assert acked["status"] == "acknowledged" and acked["owner"] == "network_engineer"
    assert client.post(url + "/acknowledge", headers=eng).status_code == 409
    done = client.post(url + "/resolve", headers=eng, json={"resolution": "replaced the card"})
    assert done.json()["status"] == "resolved"
    assert [h["action"] for h in done.json()["history"]] == [
        "incident.acknowledge",
        "incident.resolve",
    ]
    summary = client.get("/api/faults/summary", headers=eng, params={"days": 366}).json()
    assert summary["incidents"] == 3 and summary["open_now"] == 2
    assert summary["mttr_minutes"] is not None and summary["mttr_minutes"] > 0
    assert summary["major_per_day"]
