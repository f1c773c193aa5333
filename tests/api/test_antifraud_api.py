"""The case workflow through the API, on SQLite and PostgreSQL, down to the police export."""

from __future__ import annotations

import csv
import io

import sqlalchemy as sa
from fastapi.testclient import TestClient

from telcolens.privacy import pseudonymise
from tests.api.conftest import token


def test_queue_case_confirm_hand_over_export(client: TestClient) -> None:
    analyst, police = token(client, "fraud_analyst"), token(client, "police_liaison")
    queue = client.get("/api/antifraud/cases", headers=analyst, params={"status": "new"}).json()
    assert queue["total"] > 0 and queue["items"]
    first = queue["items"][0]
    assert isinstance(first["subscriber_id"], str)  # 64-bit: beyond JavaScript's numbers
    scores = [c["score"] for c in queue["items"]]
    assert scores == sorted(scores, reverse=True)

    case = client.get(f"/api/antifraud/cases/{first['id']}", headers=analyst).json()
    assert case["evidence"]["subscriber_id"] == first["subscriber_id"]
    assert case["reasons"] and case["history"] == []

    url = f"/api/antifraud/cases/{first['id']}"
    assert client.post(url + "/hand-over", headers=analyst).status_code == 409  # not confirmed
    assert client.post(url + "/review", headers=analyst).json()["status"] == "under_review"
    done = client.post(url + "/confirm", headers=analyst, json={"note": "scripted calls"}).json()
    assert done["status"] == "confirmed" and done["analyst"] == "fraud_analyst"
    assert client.get("/api/antifraud/police/cases", headers=police).json() == []
    handed = client.post(url + "/hand-over", headers=analyst).json()
    assert [h["action"] for h in handed["history"]] == [
        "case.review",
        "case.confirm",
        "case.hand_over",
    ]
    assert all(h["actor"] == "fraud_analyst" for h in handed["history"])

    seen = client.get("/api/antifraud/police/cases", headers=police).json()
    assert [r["case_id"] for r in seen] == [first["id"]]
    export = client.get("/api/antifraud/police/export", headers=police, params={"format": "csv"})
    assert export.headers["content-type"].startswith("text/csv")
    assert "attachment" in export.headers["content-disposition"]
    rows = list(csv.DictReader(io.StringIO(export.text.lstrip("\ufeff"))))
    assert [r["case_id"] for r in rows] == [str(first["id"])]
    row = rows[0]
    assert row["number_pseudonym"] == first["subscriber_id"]
    assert row["analyst"] == "fraud_analyst" and row["handed_over_by"] == "fraud_analyst"
    for field in ("first_seen", "last_seen", "reasons", "calls_out", "handed_over_at"):
        assert row[field], field
    as_json = client.get("/api/antifraud/police/export", headers=police, params={"format": "json"})
    assert as_json.json()[0]["case_id"] == first["id"]
    audit = client.get(
        "/api/admin/audit", headers=token(client, "admin"), params={"object_type": "police_export"}
    ).json()
    assert [e["detail"]["cases"] for e in audit["items"]] == [1, 1]


def test_filters_and_paging(client: TestClient) -> None:
    analyst = token(client, "fraud_analyst")
    everything = client.get("/api/antifraud/cases", headers=analyst).json()
    total = everything["total"]
    pages = [
        client.get(
            "/api/antifraud/cases", headers=analyst, params={"page": p, "page_size": 1}
        ).json()["items"][0]["id"]
        for p in range(1, total + 1)
    ]
    assert pages == [c["id"] for c in everything["items"]]
    one = everything["items"][0]
    by_number = client.get(
        "/api/antifraud/cases", headers=analyst, params={"subscriber_id": one["subscriber_id"]}
    ).json()
    assert [c["id"] for c in by_number["items"]] == [one["id"]]
    none = client.get("/api/antifraud/cases", headers=analyst, params={"status": "confirmed"})
    assert none.json()["total"] == 0
    bad = client.get("/api/antifraud/cases", headers=analyst, params={"status": "lost"})
    assert bad.status_code == 422
    assert client.get("/api/antifraud/cases/999999", headers=analyst).status_code == 404


def test_clear_needs_a_reason(client: TestClient) -> None:
    analyst = token(client, "fraud_analyst")
    case = client.get("/api/antifraud/cases", headers=analyst).json()["items"][0]
    url = f"/api/antifraud/cases/{case['id']}/clear"
    assert client.post(url, headers=analyst, json={"reason": ""}).status_code == 422
    cleared = client.post(url, headers=analyst, json={"reason": "a courier's line"}).json()
    assert cleared["status"] == "cleared" and cleared["decision_note"] == "a courier's line"


def test_whitelist_keeps_only_the_pseudonym(client: TestClient) -> None:
    analyst = token(client, "fraud_analyst")
    r = client.post(
        "/api/antifraud/whitelist",
        headers=analyst,
        json={"number": "+86 138-0013-8000", "category": "courier", "note": "depot"},
    )
    assert r.status_code == 201
    assert r.json()["subscriber_id"] == str(pseudonymise("13800138000"))
    again = client.post(
        "/api/antifraud/whitelist",
        headers=analyst,
        json={"number": "13800138000", "category": "courier"},
    )
    assert again.status_code == 409
    with client.app.state.engine.connect() as conn:
        dump = " ".join(
            str(v) for row in conn.execute(sa.text("SELECT * FROM whitelist")) for v in row
        )
    assert "13800138000" not in dump


def test_summary_trend_map_warnings_brokers(client: TestClient) -> None:
    analyst, agent = token(client, "fraud_analyst"), token(client, "service_agent")
    s = client.get("/api/antifraud/summary", headers=analyst).json()
    assert s["cases"]["new"] == s["flagged_today"] == s["new_today"] > 0
    trend = client.get("/api/antifraud/trend", headers=analyst).json()
    assert len(trend) == 1 and trend[0]["flagged"] == s["flagged_today"]
    m = client.get("/api/antifraud/map", headers=analyst).json()
    assert m["cities"] and m["cells"]
    assert sum(c["calls"] for c in m["cities"]) >= sum(c["calls"] for c in m["cells"])
    assert all(-90 <= c["lat"] <= 90 for c in m["cells"])
    brokers = client.get("/api/antifraud/brokers", headers=analyst).json()["items"]
    assert {b["kind"] for b in brokers} <= {"id_card", "device", "outlet"}
    w = client.get("/api/antifraud/warnings", headers=agent).json()
    assert w["total"] == s["victim_warnings"] > 0
    first = w["items"][0]
    r = client.post(
        f"/api/antifraud/warnings/{first['id']}/contacted",
        headers=agent,
        json={"outcome": "warned_by_call"},
    )
    assert r.status_code == 200
    left = client.get("/api/antifraud/warnings", headers=agent, params={"contacted": False}).json()
    assert left["total"] == w["total"] - 1


def test_docs_come_from_local_assets(client: TestClient) -> None:
    html = client.get("/docs", headers=token(client, "admin")).text
    assert "/static/vendor/swagger-ui/swagger-ui-bundle.js" in html
    assert "cdn" not in html.lower()
