"""The work-order API on SQLite and PostgreSQL: a role check on every route, the queue's
filters and paging, the steps with their 404, 409 and 422, and racing requests of which
exactly one wins."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import pandas as pd
import pytest
import sqlalchemy as sa
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcolens import capabilities as registry
from telcolens.api import create_app
from telcolens.broadband import workorders
from telcolens.broadband.api import router
from telcolens.broadband.models import WorkOrder
from telcolens.capabilities import Capability, Role
from telcolens.store.models import AuditEntry
from telcolens.store.users import create_user
from tests import contract
from tests.api.conftest import PASSWORD, token

ROUTER = "telcolens.broadband.api:router"
ENGINEER = "broadband_engineer"
ANALYST = "fraud_analyst"  # logged in, but not a broadband engineer
BASE = "/api/broadband/work-orders"
N = 8

# Until telcolens.broadband declares its capability, this module stands in for it with the
# same router, models and role, so that the app is built from the registry as it will be.
CAPABILITY = Capability(
    name="broadband",
    title="Broadband work orders (the tests' stand-in)",
    register_cli=lambda app: None,
    roles=(
        Role(
            ENGINEER,
            "Finds and repairs poor-quality home broadband lines: diagnoses, work orders, "
            "shared-cause tickets.",
        ),
    ),
    routers=(ROUTER,),
    models="telcolens.broadband.models",
)


def _serving() -> Capability | None:
    return next((cap for cap in registry.capabilities() if ROUTER in cap.routers), None)


@pytest.fixture(scope="module", autouse=True)
def broadband() -> Iterator[Capability]:
    """The registered capability serving the router: telcolens.broadband, or the stand-in."""
    cap = _serving()
    if cap is not None:
        yield cap
        return
    registry.register(__name__)
    try:
        yield CAPABILITY
    finally:
        registry.unregister(__name__)


@pytest.fixture
def client(store_url: str) -> Iterator[TestClient]:
    app = create_app(store_url)
    with Session(app.state.engine) as s, s.begin():
        for role in (ENGINEER, ANALYST, "admin"):
            create_user(s, role, role, PASSWORD, actor="test")
    with TestClient(app) as c:
        yield c
    app.state.engine.dispose()


WIFI = {
    "scenario": "wifi_interference",
    "action": "remote_channel_change",
    "day": "2026-11-20",
    "line_id": 1001,
    "evidence": {"channel_utilisation_pct": 87.0, "threshold_pct": 70},
    "score": 14.5,
}


def _load(client: TestClient) -> None:
    """Seven orders: five Wi-Fi lines, a fibre visit and a congested port's ticket."""
    rows = [{**WIFI, "line_id": 1001 + i} for i in range(5)]
    rows.append(
        {
            "scenario": "optical_line",
            "action": "field_visit",
            "day": "2026-11-20",
            "line_id": 1100,
            "element": "OLT-1/0/1/2/S3",
            "element_type": "splitter",
        }
    )
    rows.append(
        {
            "scenario": "port_congestion",
            "action": "network_ticket",
            "day": "2026-11-20",
            "element": "OLT-1/0/1/2",
            "element_type": "pon_port",
            "lines": [2001, 2002, 2003],
        }
    )
    with Session(client.app.state.engine) as s, s.begin():
        report = workorders.load_work_orders(s, pd.DataFrame(rows), "loader")
    assert report.created == 7


def _requests(order_id: int) -> list[tuple[str, str, dict | None]]:
    """One request per route of the router, each valid for an engineer."""
    bodies = {"dispatch": {"assignee": "crew 7"}, "done": {"outcome": "fixed"}}
    bodies |= {"failed": {"outcome": "no access"}, "cancel": {"outcome": "not needed"}}
    out = []
    for route in router.routes:
        assert isinstance(route, APIRoute)
        path = route.path.replace("{order_id}", str(order_id))
        step = path.rsplit("/", 1)[-1]
        for method in route.methods:
            body = WIFI if path == BASE and method == "POST" else bodies.get(step)
            out.append((method, path, body))
    return out


def test_every_route_needs_a_login_and_the_role(client: TestClient) -> None:
    _load(client)
    order = client.get(BASE, headers=token(client, "admin")).json()["items"][0]["id"]
    requests = _requests(order)
    assert len(requests) == 8  # list, get, create, five steps
    analyst = token(client, ANALYST)
    before = _count(client)
    for method, path, body in requests:
        anonymous = client.request(method, path, json=body)
        assert anonymous.status_code == 401, (method, path)
        assert client.request(method, path, json=body, headers=analyst).status_code == 403
    assert _count(client) == before  # nothing got through
    for role in (ENGINEER, "admin"):
        assert client.get(BASE, headers=token(client, role)).status_code == 200


def test_the_router_keeps_the_capability_contract(broadband: Capability) -> None:
    assert contract.check_routes(broadband) == []
    assert contract.check_models(broadband) == []


def test_open_work_and_close_an_order(client: TestClient) -> None:
    eng = token(client, ENGINEER)
    r = client.post(BASE, headers=eng, json=WIFI)
    assert r.status_code == 201, r.text
    order = r.json()
    assert (order["state"], order["side"], order["created_by"]) == ("open", "home", ENGINEER)
    assert order["evidence"] == WIFI["evidence"] and order["score_before"] == 14.5
    assert [h["action"] for h in order["history"]] == ["work_order.create"]
    again = client.post(BASE, headers=eng, json=WIFI)
    assert again.status_code == 409 and f"work order {order['id']}" in again.json()["detail"]
    # The schema admits only the side's actions: a truck for Wi-Fi, a reboot for a fibre.
    truck = client.post(BASE, headers=eng, json={**WIFI, "line_id": 7, "action": "field_visit"})
    assert truck.status_code == 422, truck.text
    assert truck.json()["errors"][0]["loc"] == ["body", "wifi_interference", "action"]
    assert "'remote_channel_change', 'cpe_reboot' or 'firmware_push'" in truck.json()["detail"]
    fibre = {"scenario": "optical_line", "action": "cpe_reboot", "line_id": 8}
    assert client.post(BASE, headers=eng, json=fibre).status_code == 422
    port = {"scenario": "port_congestion", "action": "network_ticket", "line_id": 9}
    assert client.post(BASE, headers=eng, json=port).status_code == 422  # no element
    ticket = client.post(
        BASE,
        headers=eng,
        json={**port, "element": "OLT-1/0/1/2", "element_type": "pon_port", "lines": [9, 10]},
    )
    assert ticket.status_code == 201 and ticket.json()["lines"] == [9, 10]
    assert ticket.json()["line_id"] is None and ticket.json()["side"] == "network"
    unknown = client.post(BASE, headers=eng, json={**WIFI, "scenario": "gremlins"})
    assert unknown.status_code == 422, unknown.text
    assert "'gremlins'" in unknown.json()["detail"] and "'scenario'" in unknown.json()["detail"]
    url = f"{BASE}/{order['id']}"
    assert client.post(f"{url}/dispatch", headers=eng, json={"assignee": "crew"}).status_code == 409
    assert client.post(f"{url}/start", headers=eng).json()["state"] == "in_progress"
    assert client.post(f"{url}/done", headers=eng, json={}).status_code == 422
    for outcome in ("a\u0000b", "  "):  # no NUL (PostgreSQL refuses it), something to read
        bad = client.post(f"{url}/done", headers=eng, json={"outcome": outcome})
        assert bad.status_code == 422 and bad.json()["errors"][0]["loc"] == ["body", "outcome"]
    done = client.post(f"{url}/done", headers=eng, json={"outcome": "channel 1 to 11"})
    assert done.status_code == 200, done.text
    assert (done.json()["state"], done.json()["closed_by"]) == ("done", ENGINEER)
    assert [h["action"] for h in done.json()["history"]] == [
        "work_order.create",
        "work_order.start",
        "work_order.done",
    ]
    assert client.post(f"{url}/cancel", headers=eng, json={"outcome": "x"}).status_code == 409
    assert client.get(f"{BASE}/999999", headers=eng).status_code == 404
    assert client.post(f"{BASE}/999999/start", headers=eng).status_code == 404
    assert client.get(f"{BASE}/0", headers=eng).status_code == 422
    reopened = client.post(BASE, headers=eng, json=WIFI)  # the first one is closed
    assert reopened.status_code == 201 and reopened.json()["id"] != order["id"]


def test_the_queue_filters_and_pages(client: TestClient) -> None:
    _load(client)
    eng = token(client, ENGINEER)

    def ids(**params) -> list[int]:
        r = client.get(BASE, headers=eng, params=params)
        assert r.status_code == 200, r.text
        return [row["id"] for row in r.json()["items"]]

    everything = ids(page_size=500)
    assert len(everything) == 7 and everything == sorted(everything, reverse=True)
    pages = [
        client.get(BASE, headers=eng, params={"page": p, "page_size": 3}).json()
        for p in (1, 2, 3, 4)
    ]
    assert [p["total"] for p in pages] == [7] * 4
    assert [len(p["items"]) for p in pages] == [3, 3, 1, 0]
    assert [row["id"] for p in pages for row in p["items"]] == everything
    ticket = ids(scenario="port_congestion")
    assert len(ticket) == 1 and ids(line=2002) == ticket and ids(element="OLT-1/0/1/2") == ticket
    detail = client.get(f"{BASE}/{ticket[0]}", headers=eng).json()
    assert detail["lines"] == [2001, 2002, 2003] and detail["line_id"] is None
    assert len(ids(side="home")) == 5 and len(ids(side="street")) == 1
    assert len(ids(action="field_visit")) == 1 and len(ids(line=1001)) == 1
    assert ids(line=99) == []
    cancel = client.post(f"{BASE}/{ticket[0]}/cancel", headers=eng, json={"outcome": "recovered"})
    assert cancel.status_code == 200
    assert ids(state="cancelled") == ticket and len(ids(state="open")) == 6
    bad = client.get(BASE, headers=eng, params={"state": "lost"})
    assert bad.status_code == 422
    assert client.get(BASE, headers=eng, params={"page_size": 501}).status_code == 422


def _race(client: TestClient, n: int, send) -> list[int]:
    """``send(headers)`` from ``n`` threads released together; the statuses, sorted."""
    headers = [token(client, ENGINEER if i % 2 else "admin") for i in range(n)]
    barrier = threading.Barrier(n)

    def one(i: int) -> int:
        barrier.wait()
        return send(headers[i]).status_code

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(one, range(n)))


def _count(client: TestClient, *where) -> int:
    with Session(client.app.state.engine) as s:
        return s.scalar(sa.select(sa.func.count()).select_from(AuditEntry).where(*where))


def test_of_racing_steps_on_one_order_one_wins(client: TestClient) -> None:
    eng = token(client, ENGINEER)
    order = client.post(BASE, headers=eng, json=WIFI).json()["id"]
    statuses = _race(client, N, lambda h: client.post(f"{BASE}/{order}/start", headers=h))
    assert statuses == [200] + [409] * (N - 1)
    started = (AuditEntry.action == "work_order.start", AuditEntry.object_id == str(order))
    assert _count(client, *started) == 1
    closing = _race(
        client,
        N,
        lambda h: client.post(f"{BASE}/{order}/done", headers=h, json={"outcome": "fixed"}),
    )
    assert closing == [200] + [409] * (N - 1)
    assert _count(client, AuditEntry.action == "work_order.done") == 1


def test_of_racing_creates_of_one_order_one_wins(client: TestClient) -> None:
    statuses = _race(client, N, lambda h: client.post(BASE, headers=h, json=WIFI))
    assert statuses == [201] + [409] * (N - 1)
    with Session(client.app.state.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(WorkOrder)) == 1
    assert _count(client, AuditEntry.action == "work_order.create") == 1


def test_what_a_store_cannot_hold_is_a_422_on_both(client: TestClient) -> None:
    eng = token(client, ENGINEER)
    order = client.post(BASE, headers=eng, json=WIFI).json()["id"]
    refused = [
        client.get(BASE, headers=eng, params={"element": "OLT\x001"}),
        client.post(BASE, headers=eng, json={**WIFI, "line_id": 5, "evidence": {"a\x00": 1}}),
        client.post(BASE, headers=eng, json={**WIFI, "line_id": 6, "due": "2026-11-21T08:00:00"}),
        client.post(
            BASE, headers=eng, json={**WIFI, "line_id": 7, "due": "9999-12-31T23:00-05:00"}
        ),
        client.post(
            f"{BASE}/{order}/cancel",
            headers={**eng, "Content-Type": "application/json"},
            content='{"outcome": "\\ud800"}',  # a lone surrogate: no UTF-8 for it
        ),
    ]
    assert [r.status_code for r in refused] == [422] * len(refused), [r.text for r in refused]
    assert client.get(f"{BASE}/{order}", headers=eng).json()["state"] == "open"


def test_a_due_time_is_kept_as_given(client: TestClient) -> None:
    eng = token(client, ENGINEER)
    due = dt.datetime(2026, 11, 21, 8, tzinfo=dt.UTC)
    r = client.post(BASE, headers=eng, json={**WIFI, "due": due.isoformat()})
    assert r.status_code == 201 and dt.datetime.fromisoformat(r.json()["due"]) == due


def test_a_line_id_is_a_whole_json_number(client: TestClient) -> None:
    # JSON Schema's integer holds 8.0; a fraction, a boolean or a string is refused.
    eng = token(client, ENGINEER)
    made = client.post(BASE, headers=eng, json={**WIFI, "line_id": 8.0})
    assert made.status_code == 201, made.text
    assert client.get(f"{BASE}/{made.json()['id']}", headers=eng).json()["line_id"] == 8
    for bad in (8.5, False, "9"):
        r = client.post(BASE, headers=eng, json={**WIFI, "line_id": bad})
        assert r.status_code == 422, (bad, r.text)
