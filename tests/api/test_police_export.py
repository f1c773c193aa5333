"""The police export keeps a handed-over case that is later reinstated, marked withdrawn."""

from __future__ import annotations

import csv
import io

from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcolens import csvsafe
from telcolens.antifraud.models import FraudCase
from tests.api.conftest import token


def _hand_over(client: TestClient, analyst: dict, case_id: int) -> None:
    url = f"/api/antifraud/cases/{case_id}"
    assert client.post(url + "/review", headers=analyst).status_code == 200
    assert client.post(url + "/confirm", headers=analyst, json={"note": "scripted"}).is_success
    assert client.post(url + "/hand-over", headers=analyst).status_code == 200


def _csv_rows(client: TestClient, police: dict) -> dict[str, dict[str, str]]:
    got = client.get("/api/antifraud/police/export", headers=police, params={"format": "csv"})
    assert got.status_code == 200
    return {r["case_id"]: r for r in csv.DictReader(io.StringIO(got.text.lstrip("\ufeff")))}


def test_a_reinstated_case_stays_in_the_export_marked_withdrawn(client: TestClient) -> None:
    analyst, police = token(client, "fraud_analyst"), token(client, "police_liaison")
    admin = token(client, "admin")
    queue = client.get("/api/antifraud/cases", headers=analyst, params={"status": "new"}).json()
    kept, withdrawn = (c["id"] for c in queue["items"][:2])
    _hand_over(client, analyst, kept)
    _hand_over(client, analyst, withdrawn)
    before = _csv_rows(client, police)[str(withdrawn)]
    assert (before["status"], before["withdrawn"], before["withdrawn_at"]) == (
        "confirmed",
        "false",
        "",
    )

    # Another user reinstates it after appeal: the case is cleared, the centre must be told.
    done = client.post(
        f"/api/antifraud/cases/{withdrawn}/reinstate",
        headers=admin,
        json={"reason": "appeal upheld"},
    )
    assert done.status_code == 200 and done.json()["status"] == "cleared"

    rows = _csv_rows(client, police)
    assert set(rows) == {str(kept), str(withdrawn)}
    assert (rows[str(kept)]["status"], rows[str(kept)]["withdrawn"]) == ("confirmed", "false")
    after = rows[str(withdrawn)]
    assert (after["status"], after["withdrawn"]) == ("cleared", "true")
    assert after["withdrawn_at"] > after["handed_over_at"] > after["confirmed_at"]
    # Who confirmed it, and when, are what was handed over, not the reinstatement.
    assert (after["analyst"], after["confirmed_at"]) == (before["analyst"], before["confirmed_at"])
    assert after["analyst"] == "fraud_analyst"

    as_json = client.get("/api/antifraud/police/export", headers=police, params={"format": "json"})
    by_id = {r["case_id"]: r for r in as_json.json()}
    assert set(by_id) == {kept, withdrawn}
    assert (by_id[withdrawn]["status"], by_id[withdrawn]["withdrawn"]) == ("cleared", True)
    assert (by_id[kept]["status"], by_id[kept]["withdrawn"]) == ("confirmed", False)
    assert by_id[kept]["withdrawn_at"] is None and by_id[withdrawn]["withdrawn_at"]
    assert by_id[withdrawn]["analyst"] == "fraud_analyst"

    seen = client.get("/api/antifraud/police/cases", headers=police).json()
    assert {r["case_id"]: r["withdrawn"] for r in seen} == {kept: False, withdrawn: True}


def test_export_columns_start_with_the_case_and_its_status(client: TestClient) -> None:
    analyst, police = token(client, "fraud_analyst"), token(client, "police_liaison")
    queue = client.get("/api/antifraud/cases", headers=analyst, params={"status": "new"}).json()
    _hand_over(client, analyst, queue["items"][0]["id"])
    got = client.get("/api/antifraud/police/export", headers=police, params={"format": "csv"})
    header = next(csv.reader(io.StringIO(got.text.lstrip("\ufeff"))))
    assert header[:5] == ["case_id", "number_pseudonym", "status", "withdrawn", "withdrawn_at"]


def test_formula_text_is_neutralised_in_the_csv_only(client: TestClient) -> None:
    analyst, police = token(client, "fraud_analyst"), token(client, "police_liaison")
    queue = client.get("/api/antifraud/cases", headers=analyst, params={"status": "new"}).json()
    case_id = queue["items"][0]["id"]
    _hand_over(client, analyst, case_id)
    payload = "=cmd|' /C calc'!A0"
    with Session(client.app.state.engine) as s, s.begin():
        s.get(FraudCase, case_id).reasons = payload
    row = _csv_rows(client, police)[str(case_id)]
    assert row["reasons"] == "'" + payload
    assert csvsafe.restore(row["reasons"]) == payload
    # A negative pseudonym is a number, not a formula: it is exported as it is.
    assert row["number_pseudonym"] == queue["items"][0]["subscriber_id"]
    as_json = client.get("/api/antifraud/police/export", headers=police, params={"format": "json"})
    assert as_json.json()[0]["reasons"] == payload
