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


def test_ves_events_become_alarms(store_url: str, day_run, tmp_path, monkeypatch) -> None:
    from telcolens.dataset import read_table
    from telcolens.settings import get_settings
    from tests.api.conftest import make_client
    from tests.faults.test_receivers_ves import fault_event

    monkeypatch.setenv("TELCOLENS_ALARM_DATA_DIR", str(tmp_path / "data"))
    get_settings.cache_clear()
    try:
        client = make_client(store_url, day_run)
    finally:
        monkeypatch.delenv("TELCOLENS_ALARM_DATA_DIR")
        get_settings.cache_clear()  # later tests read the settings without it
    with client:
        eng = token(client, "network_engineer")
        batch = {"eventList": [fault_event(), fault_event(severity="NORMAL")]}
        r = client.post("/api/faults/ves", headers=eng, json=batch)
        assert r.status_code == 202 and r.json()["accepted"] == 2
        bad = client.post("/api/faults/ves", headers=eng, json={"eventList": [{"event": 1}]})
        assert bad.status_code == 400
        alarms = read_table(tmp_path / "data", "alarms").to_pandas()
        assert len(alarms) == 2 and set(alarms["source"]) == {"ves"}
        assert alarms["cleared_at"].notna().sum() == 1  # the NORMAL event clears the raise
    client.app.state.engine.dispose()


def test_ves_without_an_alarm_store_is_a_clear_503(client: TestClient) -> None:
    r = client.post("/api/faults/ves", headers=token(client, "network_engineer"), json={})
    assert r.status_code == 503 and "TELCOLENS_ALARM_DATA_DIR" in r.json()["detail"]
