"""The OpenAPI document: every operation typed, no two schemas sharing a name."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import token


def _schema(client: TestClient) -> dict:
    return client.get("/openapi.json", headers=token(client, "admin")).json()


def test_every_operation_documents_its_success_body(sqlite_client: TestClient) -> None:
    untyped = []
    for path, item in _schema(sqlite_client)["paths"].items():
        for method, op in item.items():
            for status, response in op["responses"].items():
                if not status.startswith("2") or status == "204":
                    continue
                content = response.get("content", {})
                if not content or not all(v.get("schema") for v in content.values()):
                    untyped.append(f"{method.upper()} {path} {status}")
    assert untyped == []


def test_no_two_schemas_share_a_name(sqlite_client: TestClient) -> None:
    """FastAPI names a second model of the same name module__path__Name: one of each."""
    names = list(_schema(sqlite_client)["components"]["schemas"])
    assert [n for n in names if "__" in n] == []


def test_pseudonyms_are_strings_and_lists_share_one_envelope(sqlite_client: TestClient) -> None:
    schemas = _schema(sqlite_client)["components"]["schemas"]
    for model, field in (
        ("CaseRow", "subscriber_id"),
        ("CaseDetail", "subscriber_id"),
        ("WarningRow", "subscriber_id"),
        ("WarningRow", "fraud_number"),
        ("CellActivity", "cell_id"),
        ("WhitelistRow", "subscriber_id"),
        ("Whitelisted", "subscriber_id"),
        ("ExportRow", "number_pseudonym"),
    ):
        assert schemas[model]["properties"][field]["type"] == "string", (model, field)
    for page in ("CasePage", "WarningPage", "IncidentPage", "AuditPage"):
        assert {"total", "page", "page_size", "items"} <= set(schemas[page]["required"]), page
