"""The one-time code rules on SQLite and PostgreSQL: what a code is and how it is kept,
each verdict, the limits, and racing checks of one code of which exactly one wins."""

from __future__ import annotations

import datetime as dt
import re
import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
import sqlalchemy as sa

from telcolens.errors import TooManyAttempts
from telcolens.itinerary import otp
from telcolens.itinerary.models import OneTimeCode, OutboxSms, RateLimit
from telcolens.privacy import pseudonymise
from telcolens.store.db import transaction
from tests.itinerary.conftest import TRAVELLER

NOW = dt.datetime(2026, 12, 1, 8, 0, tzinfo=dt.UTC)


def _issue(sessions, number: str = TRAVELLER, now: dt.datetime = NOW, **kw) -> str:
    with transaction(sessions) as s:
        return otp.issue(s, number, address=kw.pop("address", "10.0.0.1"), now=now, **kw)


def _verify(sessions, code: str, number: str = TRAVELLER, now: dt.datetime = NOW) -> otp.Verdict:
    with transaction(sessions) as s:
        return otp.verify(s, number, code, now=now)


def _other(code: str) -> str:
    return f"{(int(code) + 1) % 10**6:06d}"


def test_a_code_is_six_digits_kept_only_as_a_salted_keyed_hash(sessions) -> None:
    codes = {_issue(sessions, f"1360000{i:04d}") for i in range(3)}
    assert all(re.fullmatch(r"\d{6}", c) for c in codes)
    with sessions() as s:
        rows = s.scalars(sa.select(OneTimeCode)).all()
        texts = s.scalars(sa.select(OutboxSms.text)).all()
    assert len({r.salt for r in rows}) == 3
    for row in rows:
        assert row.code_hash not in codes and len(row.code_hash) == 64
        assert row.expires_at == NOW + otp.RULES.ttl and row.attempts == 0 and row.used_at is None
    assert {re.search(r"\d{6}", t).group() for t in texts} == codes
    # Under another key, the same salt and code hash otherwise: the key is part of it.
    row = rows[0]
    assert otp.code_hash(row.salt, "000000") != otp.code_hash(row.salt, "000001")


def test_a_right_code_works_once(sessions) -> None:
    code = _issue(sessions)
    assert _verify(sessions, code) is otp.Verdict.OK
    assert _verify(sessions, code) is otp.Verdict.USED
    assert _verify(sessions, _other(code)) is otp.Verdict.WRONG


def test_a_code_expires_after_five_minutes(sessions) -> None:
    code = _issue(sessions)
    later = NOW + otp.RULES.ttl
    assert _verify(sessions, code, now=later) is otp.Verdict.EXPIRED
    assert _verify(sessions, code, now=later - dt.timedelta(seconds=1)) is otp.Verdict.OK


def test_five_wrong_tries_kill_the_code(sessions) -> None:
    code = _issue(sessions)
    for _ in range(otp.RULES.max_wrong):
        assert _verify(sessions, _other(code)) is otp.Verdict.WRONG
    assert _verify(sessions, code) is otp.Verdict.EXHAUSTED
    with sessions() as s:
        assert s.scalar(sa.select(OneTimeCode.attempts)) == otp.RULES.max_wrong


def test_only_the_newest_code_counts(sessions) -> None:
    first = _issue(sessions)
    second = _issue(sessions)
    if first != second:
        assert _verify(sessions, first) is otp.Verdict.WRONG
    assert _verify(sessions, second) is otp.Verdict.OK


def test_a_number_without_a_code_gets_wrong(sessions) -> None:
    assert _verify(sessions, "123456", number="13100000000") is otp.Verdict.WRONG


def test_three_codes_per_number_per_window(sessions) -> None:
    for i in range(otp.RULES.codes_per_number):
        _issue(sessions, now=NOW + dt.timedelta(minutes=i), address=f"10.0.0.{i}")
    with pytest.raises(TooManyAttempts) as refused:
        _issue(sessions, now=NOW + dt.timedelta(minutes=5), address="10.0.0.9")
    assert refused.value.retry_after == 10 * 60
    # The refusal left nothing behind: no code, no text, the counter where it was.
    with sessions() as s:
        assert s.scalar(sa.select(sa.func.count()).select_from(OneTimeCode)) == 3
        assert s.scalar(sa.select(sa.func.count()).select_from(OutboxSms)) == 3
        key = f"codes:number:{pseudonymise(TRAVELLER)}"
        assert s.get(RateLimit, key).count == 3
    _issue(sessions, now=NOW + otp.RULES.number_window, address="10.0.0.9")  # a new window


def test_an_address_gets_its_share_per_minute(sessions) -> None:
    rules = otp.Rules(codes_per_address=2)
    _issue(sessions, "13600000001", rules=rules)
    _issue(sessions, "13600000002", rules=rules)
    with pytest.raises(TooManyAttempts) as refused:
        _issue(sessions, "13600000003", now=NOW + dt.timedelta(seconds=20), rules=rules)
    assert refused.value.retry_after == 40
    _issue(sessions, "13600000003", now=NOW + dt.timedelta(minutes=1), rules=rules)


def test_prune_drops_ended_windows_and_old_codes(sessions) -> None:
    _issue(sessions)
    with transaction(sessions) as s:
        assert otp.prune(s, now=NOW + dt.timedelta(minutes=1)) == 0
        assert otp.prune(s, now=NOW + dt.timedelta(days=2)) == 3  # two counters, one code


def _race(n: int, work) -> list:
    barrier = threading.Barrier(n)

    def one(_: int):
        barrier.wait()
        return work()

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_of_racing_checks_of_the_right_code_exactly_one_wins(sessions) -> None:
    code = _issue(sessions)
    verdicts = _race(8, lambda: _verify(sessions, code))
    assert sorted(v.value for v in verdicts) == ["ok"] + ["used"] * 7


def test_racing_wrong_tries_stop_at_the_limit(sessions) -> None:
    code = _issue(sessions)
    verdicts = _race(10, lambda: _verify(sessions, _other(code)))
    # Each is wrong, or finds the code dead already; never more tries counted than allowed.
    assert set(verdicts) <= {otp.Verdict.WRONG, otp.Verdict.EXHAUSTED}
    assert verdicts.count(otp.Verdict.WRONG) >= otp.RULES.max_wrong
    with sessions() as s:
        assert s.scalar(sa.select(OneTimeCode.attempts)) == otp.RULES.max_wrong
    assert _verify(sessions, code) is otp.Verdict.EXHAUSTED


def test_racing_requests_for_codes_get_exactly_the_limit(sessions) -> None:
    def ask() -> str:
        try:
            _issue(sessions, address=None)
        except TooManyAttempts:
            return "refused"
        return "issued"

    outcomes = _race(8, ask)
    assert sorted(outcomes) == ["issued"] * 3 + ["refused"] * 5
