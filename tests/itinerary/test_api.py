"""The visited-places API on SQLite and PostgreSQL: the code flow end to end (the code read
from the SMS outbox), expiry, single use, the wrong-code limit, the rate limits per number
and per client, racing queries of which one wins, the agents' routes, the audit log (no
raw number in it), 503 without an index and a new index picked up when it is replaced."""

from __future__ import annotations

import datetime as dt
import json
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session

from telcolens.itinerary import api as itinerary_api
from telcolens.itinerary import otp
from telcolens.itinerary.index import write_index
from telcolens.itinerary.models import OneTimeCode
from telcolens.privacy import pseudonymise
from telcolens.settings import get_settings
from telcolens.store.models import AuditEntry
from tests.api.conftest import token
from tests.itinerary.conftest import (
    AGENT,
    ANALYST,
    HOMEBODY,
    TRAVELLER,
    UNKNOWN,
    WINDOW,
    texted_code,
    visits,
)

CODES = "/api/itinerary/codes"
QUERY = "/api/itinerary/query"
AGENT_QUERY = "/api/itinerary/agent/query"
OVERRIDE = "/api/itinerary/agent/override"
CITIES = "/api/itinerary/cities"
N = 8


def _code_for(client: TestClient, number: str) -> str:
    r = client.post(CODES, json={"number": number})
    assert r.status_code == 202, r.text
    return texted_code(client, number)


def _audit(client: TestClient) -> list[AuditEntry]:
    with Session(client.app.state.engine) as s:
        return list(
            s.scalars(
                sa.select(AuditEntry)
                .where(AuditEntry.action.like("itinerary.%"))
                .order_by(AuditEntry.id)
            )
        )


def test_the_code_flow_end_to_end(client: TestClient) -> None:
    code = _code_for(client, "+86" + TRAVELLER)
    r = client.post(QUERY, json={"number": TRAVELLER, "code": code})
    assert r.status_code == 200, r.text
    answer = r.json()
    assert answer["number"] == "138******78"
    assert answer["window"] == {
        "as_of": "2026-11-30",
        "from": "2026-11-16",
        "to": "2026-11-29",
        "min_stay_hours": 4.0,
    }
    assert [c["city"] for c in answer["cities"]] == ["Jinan", "Qingdao"]
    assert answer["cities"][1] == {
        "city": "Qingdao",
        "first_day": "2026-11-21",
        "last_day": "2026-11-29",
    }
    again = client.post(QUERY, json={"number": TRAVELLER, "code": code})
    assert again.status_code == 409, again.text
    (entry,) = [e for e in _audit(client) if e.action == "itinerary.query"]
    assert entry.actor == "subscriber" and entry.object_id == str(pseudonymise(TRAVELLER))
    assert entry.detail["cities"] == 2


def test_every_number_gets_the_same_answer_and_a_stranger_no_cities(client: TestClient) -> None:
    known = client.post(CODES, json={"number": TRAVELLER})
    unknown = client.post(CODES, json={"number": UNKNOWN})
    assert known.status_code == unknown.status_code == 202
    assert known.json() == unknown.json()
    r = client.post(QUERY, json={"number": UNKNOWN, "code": texted_code(client, UNKNOWN)})
    assert r.status_code == 200, r.text
    assert r.json()["cities"] == [] and r.json()["window"]["as_of"] == "2026-11-30"


def test_a_wrong_code_counts_and_five_kill_the_code(client: TestClient) -> None:
    code = _code_for(client, HOMEBODY)
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    for _ in range(otp.RULES.max_wrong):
        r = client.post(QUERY, json={"number": HOMEBODY, "code": wrong})
        assert r.status_code == 401 and r.json()["detail"] == "wrong code for this number"
    r = client.post(QUERY, json={"number": HOMEBODY, "code": code})
    assert r.status_code == 401 and "too often" in r.json()["detail"]
    with Session(client.app.state.engine) as s:
        assert s.scalar(sa.select(OneTimeCode.attempts)) == otp.RULES.max_wrong
    # A new code works again, and only the newest counts.
    newer = _code_for(client, HOMEBODY)
    if newer != code:
        assert client.post(QUERY, json={"number": HOMEBODY, "code": code}).status_code == 401
    assert client.post(QUERY, json={"number": HOMEBODY, "code": newer}).status_code == 200


def test_an_expired_code_is_refused(client: TestClient) -> None:
    code = _code_for(client, TRAVELLER)
    past = dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1)
    with Session(client.app.state.engine) as s, s.begin():
        s.execute(sa.update(OneTimeCode).values(expires_at=past))
    r = client.post(QUERY, json={"number": TRAVELLER, "code": code})
    assert r.status_code == 401 and "expired" in r.json()["detail"]


def test_a_number_gets_three_codes_per_quarter_hour(client: TestClient) -> None:
    for _ in range(otp.RULES.codes_per_number):
        assert client.post(CODES, json={"number": TRAVELLER}).status_code == 202
    r = client.post(CODES, json={"number": "+86" + TRAVELLER})  # the same number written otherwise
    assert r.status_code == 429, r.text
    assert 800 < int(r.headers["retry-after"]) <= 900
    assert client.post(CODES, json={"number": HOMEBODY}).status_code == 202  # others still may
    with Session(client.app.state.engine) as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OneTimeCode)) == 4


def test_a_client_address_has_its_share_of_codes_and_tries(client: TestClient) -> None:
    client.app.state.itinerary_rules = otp.Rules(codes_per_address=2, queries_per_address=3)
    numbers = [f"1350000000{i}" for i in range(3)]
    assert [client.post(CODES, json={"number": n}).status_code for n in numbers] == [202, 202, 429]
    code = texted_code(client, numbers[0])
    wrong = f"{(int(code) + 1) % 10**6:06d}"
    tries = [client.post(QUERY, json={"number": numbers[0], "code": wrong}) for _ in range(4)]
    assert [r.status_code for r in tries] == [401, 401, 401, 429]
    assert 0 < int(tries[-1].headers["retry-after"]) <= 60
    # The refused try was not counted against the code.
    with Session(client.app.state.engine) as s:
        assert s.scalar(sa.select(sa.func.max(OneTimeCode.attempts))) == 3


def _race(n: int, send) -> list[int]:
    barrier = threading.Barrier(n)

    def one(_: int) -> int:
        barrier.wait()
        return send().status_code

    with ThreadPoolExecutor(n) as pool:
        return sorted(pool.map(one, range(n)))


def test_of_racing_queries_with_one_code_one_wins(client: TestClient) -> None:
    code = _code_for(client, TRAVELLER)
    body = {"number": TRAVELLER, "code": code}
    assert _race(N, lambda: client.post(QUERY, json=body)) == [200] + [409] * (N - 1)
    assert [e.action for e in _audit(client)].count("itinerary.query") == 1


def test_racing_wrong_tries_are_each_counted_once(client: TestClient) -> None:
    code = _code_for(client, TRAVELLER)
    wrong = {"number": TRAVELLER, "code": f"{(int(code) + 1) % 10**6:06d}"}
    assert _race(N, lambda: client.post(QUERY, json=wrong)) == [401] * N
    with Session(client.app.state.engine) as s:
        assert s.scalar(sa.select(OneTimeCode.attempts)) == otp.RULES.max_wrong


def test_agents_look_up_with_the_code_or_a_reason(client: TestClient) -> None:
    agent = token(client, AGENT)
    code = _code_for(client, TRAVELLER)
    bad = client.post(AGENT_QUERY, headers=agent, json={"number": TRAVELLER, "code": "000000"})
    if code != "000000":
        assert bad.status_code == 403 and bad.json()["detail"] == "wrong code for this number"
    r = client.post(AGENT_QUERY, headers=agent, json={"number": TRAVELLER, "code": code})
    assert r.status_code == 200 and len(r.json()["cities"]) == 2
    assert (
        client.post(
            AGENT_QUERY, headers=agent, json={"number": TRAVELLER, "code": code}
        ).status_code
        == 409
    )
    short = client.post(OVERRIDE, headers=agent, json={"number": HOMEBODY, "reason": "asked"})
    assert short.status_code == 422
    assert client.post(OVERRIDE, headers=agent, json={"number": HOMEBODY}).status_code == 422
    reason = f"caller verified by ID card at the counter, line {HOMEBODY}"
    r = client.post(OVERRIDE, headers=agent, json={"number": HOMEBODY, "reason": reason})
    assert r.status_code == 200, r.text
    assert r.json()["number"] == "139******11" and [c["city"] for c in r.json()["cities"]] == [
        "Jinan"
    ]
    entries = {e.action: e for e in _audit(client)}
    assert entries["itinerary.agent_query"].actor == AGENT
    override = entries["itinerary.override"]
    assert override.actor == AGENT and override.object_id == str(pseudonymise(HOMEBODY))
    assert override.detail["reason"].startswith("caller verified by ID card")
    analyst = token(client, ANALYST)
    assert (
        client.post(
            OVERRIDE, headers=analyst, json={"number": HOMEBODY, "reason": reason}
        ).status_code
        == 403
    )


def test_no_audit_row_holds_a_raw_number(client: TestClient) -> None:
    agent = token(client, AGENT)
    code = _code_for(client, TRAVELLER)
    client.post(
        QUERY, json={"number": TRAVELLER, "code": "999999" if code != "999999" else "111111"}
    )
    client.post(QUERY, json={"number": TRAVELLER, "code": code})
    client.post(
        OVERRIDE,
        headers=agent,
        json={"number": HOMEBODY, "reason": f"the subscriber {HOMEBODY} is at the counter"},
    )
    rows = _audit(client)
    assert {e.action for e in rows} == {
        "itinerary.code_refused",
        "itinerary.query",
        "itinerary.override",
    }
    for e in rows:
        text = json.dumps([e.actor, e.object_type, e.object_id, e.detail])
        assert TRAVELLER not in text and HOMEBODY not in text, text


def test_subscriber_routes_admit_no_console_user(client: TestClient) -> None:
    agent = token(client, AGENT)
    code = _code_for(client, TRAVELLER)
    r = client.post(QUERY, headers=agent, json={"number": TRAVELLER, "code": code})
    assert r.status_code == 403 and "agent/query" in r.json()["detail"]
    assert client.post(CODES, headers=agent, json={"number": TRAVELLER}).status_code == 403
    # The code is untouched: the subscriber can still use it.
    assert client.post(QUERY, json={"number": TRAVELLER, "code": code}).status_code == 200


@pytest.mark.parametrize(
    "body",
    [
        {"number": "1381234567"},  # 10 digits
        {"number": "138123456789"},  # 12
        {"number": "23812345678"},  # not a mobile number
        {"number": "8613812345678"},  # 86 without its +
        {"number": "138 1234 5678"},
        {"number": 13812345678},
        {"number": TRAVELLER, "extra": 1},
        {},
    ],
)
def test_a_malformed_number_is_a_clear_422(client: TestClient, body: dict) -> None:
    r = client.post(CODES, json=body)
    assert r.status_code == 422, r.text
    assert r.json()["detail"].startswith("invalid request")


@pytest.mark.parametrize("code", ["12345", "1234567", "12a456", "", 123456])
def test_a_malformed_code_is_a_clear_422(client: TestClient, code: object) -> None:
    r = client.post(QUERY, json={"number": TRAVELLER, "code": code})
    assert r.status_code == 422 and "code" in r.json()["detail"], r.text


def test_cities_counts_subscribers_per_city_for_agents(client: TestClient) -> None:
    r = client.get(CITIES, headers=token(client, AGENT))
    assert r.status_code == 200
    assert r.json()["cities"] == [
        {"city": "Jinan", "subscribers": 2},
        {"city": "Qingdao", "subscribers": 1},
    ]
    assert client.get(CITIES, headers=token(client, ANALYST)).status_code == 403


def test_every_route_answers_503_without_an_index(
    client: TestClient, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    agent = token(client, AGENT)
    calls = [
        lambda: client.post(CODES, json={"number": TRAVELLER}),
        lambda: client.post(QUERY, json={"number": TRAVELLER, "code": "123456"}),
        lambda: client.post(
            AGENT_QUERY, headers=agent, json={"number": TRAVELLER, "code": "123456"}
        ),
        lambda: client.post(
            OVERRIDE, headers=agent, json={"number": TRAVELLER, "reason": "testing the 503"}
        ),
        lambda: client.get(CITIES, headers=agent),
    ]
    monkeypatch.setenv("TELCOLENS_ITINERARY_INDEX", str(index_dir.parent / "nothing-here"))
    get_settings.cache_clear()
    for call in calls:
        r = call()
        assert r.status_code == 503 and "not built" in r.json()["detail"], r.text
    monkeypatch.delenv("TELCOLENS_ITINERARY_INDEX")
    get_settings.cache_clear()
    for call in calls:
        r = call()
        assert r.status_code == 503 and "TELCOLENS_ITINERARY_INDEX" in r.json()["detail"], r.text
    with Session(client.app.state.engine) as s:  # no code was made for an index that is not there
        assert s.scalar(sa.select(sa.func.count()).select_from(OneTimeCode)) == 0


def test_a_replaced_index_is_picked_up(
    client: TestClient, index_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(itinerary_api, "RECHECK_S", 0.0)
    agent = token(client, AGENT)
    ask = {"number": HOMEBODY, "reason": "checking the new build"}
    assert client.post(OVERRIDE, headers=agent, json=ask).json()["cities"][0]["city"] == "Jinan"
    write_index(index_dir, WINDOW, visits(city_of_homebody="Yantai"))
    assert client.post(OVERRIDE, headers=agent, json=ask).json()["cities"][0]["city"] == "Yantai"


def test_issuing_codes_now_and_then_purges_what_is_spent(
    client: TestClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    from telcolens.itinerary import outbox
    from telcolens.itinerary.models import OutboxSms

    _code_for(client, TRAVELLER)
    with Session(client.app.state.engine) as s, s.begin():
        (sent,) = outbox.claim_batch(s, 5)
        outbox.mark_sent(s, [sent.id])
    monkeypatch.setattr(itinerary_api, "PRUNE_EVERY", 1)
    _code_for(client, HOMEBODY)
    with Session(client.app.state.engine) as s:
        left = s.scalars(sa.select(OutboxSms.subscriber_id)).all()
    assert left == [pseudonymise(HOMEBODY)]
