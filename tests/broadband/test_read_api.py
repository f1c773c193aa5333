"""The broadband read API against the loaded line days, on SQLite and PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcolens.api import create_app
from telcolens.broadband.results import load_line_days, load_proof
from telcolens.broadband.workorders import load_work_orders
from telcolens.store.users import create_user
from tests.broadband.test_results import lines, scores

PASSWORD = "a-long-test-password"
DAYS = [dt.date(2026, 11, 1) + dt.timedelta(days=i) for i in range(35)]
N = 45


def _login(client: TestClient, name: str) -> dict[str, str]:
    r = client.post("/api/auth/login", json={"name": name, "password": PASSWORD})
    assert r.status_code == 200, r.text
    client.cookies.clear()
    return {"Authorization": f"Bearer {r.json()['token']}"}


@pytest.fixture
def loaded() -> pd.DataFrame:
    """35 days of 45 lines, with cities: the rows the API's figures must agree with."""
    frame = pd.concat([scores(d, N, seed=i) for i, d in enumerate(DAYS)], ignore_index=True)
    return frame.merge(lines(N), "left", "line_id")


@pytest.fixture
def api(store_url: str, loaded: pd.DataFrame) -> Iterator[tuple[TestClient, dict[str, str]]]:
    app = create_app(store_url)
    with Session(app.state.engine) as s, s.begin():
        create_user(s, "bb", "broadband_engineer", PASSWORD, actor="test")
        create_user(s, "analyst", "fraud_analyst", PASSWORD, actor="test")
    with TestClient(app) as client:
        yield client, _login(client, "bb")
    app.state.engine.dispose()


def _load(client: TestClient, frame: pd.DataFrame) -> None:
    with Session(client.app.state.engine) as s, s.begin():
        load_line_days(s, frame.drop(columns=["city", "splitter_id"]), lines(N), "test")


def test_before_any_load_the_figures_are_empty(api) -> None:
    client, bb = api
    s = client.get("/api/broadband/summary", headers=bb).json()
    assert s == {
        "day": None, "lines": 0, "poor": 0, "share": None, "median_score": None, "cities": []
    }  # fmt: skip
    assert client.get("/api/broadband/trend", headers=bb).json() == []
    page = client.get("/api/broadband/poor-lines", headers=bb).json()
    assert page["total"] == 0 and page["items"] == [] and page["day"] is None
    assert client.get("/api/broadband/lines/1", headers=bb).status_code == 404


def test_summary_and_trend_are_the_loaded_rows_figures(api, loaded: pd.DataFrame) -> None:
    client, bb = api
    _load(client, loaded)
    s = client.get("/api/broadband/summary", headers=bb).json()
    last = loaded[loaded.day == DAYS[-1]]
    assert s["day"] == DAYS[-1].isoformat()
    assert s["lines"] == N and s["poor"] == int(last.poor.sum())
    assert s["share"] == pytest.approx(last.poor.mean())
    assert s["median_score"] == pytest.approx(last.score.median())
    for city in s["cities"]:
        rows = last[last.city == city["city"]]
        assert city["lines"] == len(rows) and city["poor"] == int(rows.poor.sum())
        assert city["share"] == pytest.approx(rows.poor.mean())
        assert city["median_score"] == pytest.approx(rows.score.median())
    assert sorted(c["city"] for c in s["cities"]) == ["Jinan", "Qingdao", "Yantai"]

    trend = client.get("/api/broadband/trend", headers=bb).json()
    assert [r["day"] for r in trend] == [d.isoformat() for d in DAYS[-30:]]  # the newest 30
    per_day = loaded.groupby("day").agg(poor=("poor", "sum"), median=("score", "median"))
    for r in trend:
        want = per_day.loc[dt.date.fromisoformat(r["day"])]
        assert r["lines"] == N and r["poor"] == want.poor
        assert r["share"] == pytest.approx(want.poor / N)
        assert r["median_score"] == pytest.approx(want["median"])
    week = client.get("/api/broadband/trend", params={"days": 7}, headers=bb).json()
    assert week == trend[-7:]
    assert client.get("/api/broadband/trend?days=0", headers=bb).status_code == 422


def test_poor_lines_pages_and_filters(api, loaded: pd.DataFrame) -> None:
    client, bb = api
    _load(client, loaded)
    last = loaded[(loaded.day == DAYS[-1]) & (loaded.poor == 1)].sort_values(["score", "line_id"])
    got = []
    for page in (1, 2, 3, 4):
        r = client.get(
            "/api/broadband/poor-lines", params={"page": page, "page_size": 4}, headers=bb
        )
        body = r.json()
        assert body["total"] == len(last) and body["day"] == DAYS[-1].isoformat()
        got += body["items"]
    assert [i["line_id"] for i in got] == list(last.line_id)[:16]
    first = got[0]
    row = last.iloc[0]
    assert first["city"] == row.city and first["score"] == pytest.approx(row.score)
    assert first["reasons"] == row.reasons and first["splitter_id"] == row.splitter_id

    day = DAYS[3]
    on_day = loaded[(loaded.day == day) & (loaded.poor == 1) & (loaded.city == "Qingdao")]
    r = client.get(
        "/api/broadband/poor-lines", params={"day": day.isoformat(), "city": "Qingdao"}, headers=bb
    ).json()
    assert r["day"] == day.isoformat()
    assert sorted(i["line_id"] for i in r["items"]) == sorted(on_day.line_id)
    one = int(on_day.line_id.iloc[0])
    r = client.get("/api/broadband/poor-lines", params={"day": day, "line": one}, headers=bb)
    assert [i["line_id"] for i in r.json()["items"]] == [one]
    for bad in ({"day": "3"}, {"city": "a\x00b"}, {"line": -1}, {"page_size": 501}):
        assert client.get("/api/broadband/poor-lines", params=bad, headers=bb).status_code == 422


def test_a_line_has_its_days_oldest_first(api, loaded: pd.DataFrame) -> None:
    client, bb = api
    _load(client, loaded)
    r = client.get("/api/broadband/lines/2", headers=bb)
    assert r.status_code == 200, r.text
    body = r.json()
    mine = loaded[loaded.line_id == 2].sort_values("day")
    assert body["line_id"] == 2 and body["city"] == "Qingdao"
    assert [d["day"] for d in body["days"]] == [d.isoformat() for d in DAYS]
    assert [d["score"] for d in body["days"]] == pytest.approx(list(mine.score))
    assert [d["poor"] for d in body["days"]] == [bool(p) for p in mine.poor]
    assert body["days"][0]["measures"]["dl_mbps"] == pytest.approx(mine.dl_mbps.iloc[0])
    # Line 1 lost its latency on every day (the fixture's gap): null, not NaN.
    assert client.get("/api/broadband/lines/1", headers=bb).json()["days"][0]["measures"][
        "latency_ms"
    ] is None  # fmt: skip
    assert client.get("/api/broadband/lines/999", headers=bb).status_code == 404
    assert client.get(f"/api/broadband/lines/{2**63}", headers=bb).status_code == 422


@pytest.mark.parametrize(
    "path",
    ["/summary", "/trend", "/poor-lines", "/lines/1", "/work-orders", "/scenarios", "/proof"],
)
def test_only_broadband_engineers_and_admins_read(api, path: str) -> None:
    client, _ = api
    url = f"/api/broadband{path}"
    assert client.get(url).status_code == 401
    assert client.get(url, headers=_login(client, "analyst")).status_code == 403


ORDERS = pd.DataFrame(
    [
        {"scenario": "wifi_coverage", "action": "cpe_reboot", "day": DAYS[-1], "line_id": 1},
        {"scenario": "wifi_coverage", "action": "cpe_reboot", "day": DAYS[-1], "line_id": 2},
        {"scenario": "dns_auth", "action": "network_ticket", "day": DAYS[-1], "line_id": 3},
        {
            "scenario": "optical_splitter",
            "action": "field_visit",
            "day": DAYS[-1],
            "element": "OLT-1/0/1/1/S1",
            "element_type": "splitter",
            "lines": [4, 5, 6],
        },
    ]
)


def test_the_scenario_breakdown_counts_active_orders_and_tickets(api) -> None:
    client, bb = api
    assert client.get("/api/broadband/scenarios", headers=bb).json() == []
    with Session(client.app.state.engine) as s, s.begin():
        load_work_orders(s, ORDERS, "test")
    rows = client.get("/api/broadband/scenarios", headers=bb).json()
    keys = ("scenario", "side", "line_orders", "tickets", "ticket_lines")
    assert [tuple(r[k] for k in keys) for r in rows] == [
        ("wifi_coverage", "home", 2, 0, 0),
        ("dns_auth", "network", 1, 0, 0),
        ("optical_splitter", "street", 0, 1, 3),
    ]
    tickets = client.get("/api/broadband/work-orders?kind=ticket", headers=bb).json()
    assert tickets["total"] == 1 and tickets["items"][0]["n_lines"] == 3
    own = client.get("/api/broadband/work-orders?kind=line", headers=bb).json()
    assert own["total"] == 3 and {o["n_lines"] for o in own["items"]} == {0}
    assert client.get("/api/broadband/work-orders?kind=x", headers=bb).status_code == 422
    # A closed order leaves the breakdown.
    first = own["items"][-1]["id"]
    r = client.post(
        f"/api/broadband/work-orders/{first}/cancel", json={"outcome": "dup"}, headers=bb
    )
    assert r.status_code == 200, r.text
    rows = client.get("/api/broadband/scenarios", headers=bb).json()
    assert {r["scenario"]: r["line_orders"] for r in rows}["wifi_coverage"] == 1


def test_the_proof_is_what_was_loaded_last(api) -> None:
    client, bb = api
    assert client.get("/api/broadband/proof", headers=bb).json() == []
    row = {
        "scenario": "wifi_interference", "action": "remote_channel_change", "repairs": 4,
        "lines": 4, "score_before": 31.5, "score_after": 77.0, "poor_before": 4,
        "recovered": 0.75, "complaints_before": 150.0, "complaints_after": 25.0,
        "closed_as_fixed": 4, "fixed_still_poor": 1, "first_repair_day": DAYS[3],
        "last_repair_day": DAYS[9],
    }  # fmt: skip
    blind = {**row, "scenario": "not_diagnosed", "lines": 1, "poor_before": 0, "recovered": None}
    for frame in (pd.DataFrame([row, blind]), pd.DataFrame([row])):
        with Session(client.app.state.engine) as s, s.begin():
            load_proof(s, frame, 7, "test")
    got = client.get("/api/broadband/proof", headers=bb).json()
    assert got == [{**row, "first_repair_day": DAYS[3].isoformat(),
                    "last_repair_day": DAYS[9].isoformat(), "window_days": 7}]  # fmt: skip
