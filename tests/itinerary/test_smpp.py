"""The SMPP ESME against a real SMSC it did not write: Net::SMPP (Perl) in the SMSC role.

``telcolens/itinerary/loopback_smsc.pl`` answers the bind, delivers keywords as
``deliver_sm`` and records every PDU it receives as a JSON line; the tests read those
lines back, decode the UCS-2, reassemble the concatenated parts by their UDH and compare
with ``reply.py``'s text for the index's answer. Loopback only; every wait is for a
condition, with a generous deadline for a loaded machine.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import typer
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from telcolens.errors import BadInput
from telcolens.itinerary import loopback
from telcolens.itinerary import outbox as store_outbox
from telcolens.itinerary.index import VisitIndex, Window, write_index
from telcolens.itinerary.loopback import LoopbackSmsc, reassemble
from telcolens.itinerary.models import OutboxSms
from telcolens.itinerary.reply import answer_text, help_text
from telcolens.itinerary.smpp import (
    Esme,
    LocalOutbox,
    ReloadingIndex,
    SmppSettings,
    StoreOutbox,
    run_esme,
)
from telcolens.privacy import pseudonymise
from telcolens.store.db import make_engine, transaction, upgrade

pytestmark = pytest.mark.skipif(
    not loopback.available(),
    reason="perl's Net::SMPP is absent (apt-get install libnet-smpp-perl; make test-deps)",
)

DEADLINE = 60.0
WINDOW = Window(dt.date(2026, 11, 30), dt.date(2026, 11, 17), dt.date(2026, 11, 30), 4.0)
SHORT = "13800000001"
LONG = "13800000002"
NOBODY = "13800000009"
MANY = [f"1390000{i:04d}" for i in range(8)]
CITIES = [
    *("济南市", "青岛市", "淄博市", "枣庄市", "东营市", "烟台市", "潍坊市", "济宁市"),
    *("泰安市", "威海市", "日照市", "临沂市", "德州市", "聊城市", "滨州市", "菏泽市"),
]


def wait_for(condition: Callable[[], object], what: str, timeout: float = DEADLINE):
    """Poll until ``condition()`` is truthy; fail naming ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = condition()
        if value:
            return value
        time.sleep(0.05)
    pytest.fail(f"timed out after {timeout:g}s waiting for {what}")


Smsc = LoopbackSmsc


@pytest.fixture
def index_path(tmp_path: Path) -> Path:
    day = dt.date(2026, 11, 20)
    rows = [(pseudonymise(SHORT), "济南市", day, day, 9.0),
            (pseudonymise(SHORT), "青岛市", day + dt.timedelta(days=2), day, 5.5)]  # fmt: skip
    rows += [
        (pseudonymise(LONG), city, day + dt.timedelta(days=i % 10), day, 6.0)
        for i, city in enumerate(CITIES)
    ]
    rows += [(pseudonymise(n), CITIES[i], day, day, 8.0) for i, n in enumerate(MANY)]
    write_index(tmp_path / "index", WINDOW, rows)
    return tmp_path / "index"


@pytest.fixture
def smsc(tmp_path: Path) -> Iterator[Smsc]:
    server = Smsc(tmp_path)
    yield server
    server.kill()


@pytest.fixture
def esme_factory(index_path: Path, tmp_path: Path) -> Iterator[Callable[..., Esme]]:
    started: list[Esme] = []
    outbox = LocalOutbox(tmp_path / "outbox.sqlite")
    index = VisitIndex(index_path)

    def make(port: int, **overrides) -> Esme:
        options = {"system_id": "tl_test", "password": "pw-not-logged", "rate": 500,
                   "window": 20, "backoff_initial_s": 0.1, "backoff_max_s": 1.0,
                   "response_timeout_s": 20, **overrides}  # fmt: skip
        store = options.pop("store", None)
        settings = SmppSettings(port=port, **options)
        esme = Esme(settings, index.lookup_number, outbox, store=store).start()
        started.append(esme)
        return esme

    yield make
    for esme in started:
        esme.stop()
        esme.close()
    outbox.close()


def expected(index_path: Path, number: str) -> str:
    return answer_text(VisitIndex(index_path).lookup_number(number))


def answered(smsc: Smsc) -> dict[str, list[str]]:
    return reassemble([e for e in smsc.events("submit_sm") if e["acked"]])


def test_keyword_in_chinese_answer_out(smsc, esme_factory, index_path):
    smsc.start("--deliver", f"{SHORT}=CXMYD", "--deliver", f"{NOBODY}= cxmyd ",
               "--deliver", f"{SHORT}=HELLO")  # fmt: skip
    esme = esme_factory(smsc.port)
    texts = wait_for(lambda: (t := answered(smsc)) and sum(map(len, t.values())) >= 3 and t,
                     "three answers")  # fmt: skip
    assert sorted(texts[SHORT]) == sorted([expected(index_path, SHORT), help_text()])
    assert expected(index_path, SHORT) == (
        "您好，您在2026-11-17至2026-11-30期间到达或途经（停留4小时以上）：济南市、青岛市。"
    )
    assert texts[NOBODY] == [expected(index_path, NOBODY)]
    assert "无到达或途经" in texts[NOBODY][0]
    submit = smsc.events("submit_sm")[0]
    assert submit["source_addr"] == "10661234" and submit["esm_class"] == 0
    bind = smsc.events("bind_transceiver")[0]
    assert bind["system_id"] == "tl_test"
    wait_for(lambda: esme.outbox.counts().get("sent") == 3, "the outbox to record 3 sent")
    assert esme.stats.received == 3


def test_full_width_keyword_in_ucs2(smsc, esme_factory, index_path):
    smsc.start("--ucs2", "--deliver", f"{SHORT}=ＣＸＭＹＤ")
    esme_factory(smsc.port)
    texts = wait_for(lambda: answered(smsc).get(SHORT), "the answer")
    assert texts == [expected(index_path, SHORT)]


def test_long_answer_is_concatenated(smsc, esme_factory, index_path):
    smsc.start("--deliver", f"{LONG}=CXMYD")
    esme_factory(smsc.port)
    text = expected(index_path, LONG)
    assert len(text) > 70  # more than one UCS-2 SMS
    assert wait_for(lambda: answered(smsc).get(LONG), "the long answer") == [text]
    parts = [e for e in smsc.events("submit_sm") if e["destination_addr"] == LONG]
    assert len(parts) >= 2
    udhs = [bytes.fromhex(p["short_message"])[:6] for p in parts]
    assert {u[3] for u in udhs} == {udhs[0][3]}  # one reference for all parts
    assert [u[5] for u in udhs] == list(range(1, len(parts) + 1))
    assert all(p["esm_class"] == 0x40 for p in parts)


def test_smsc_killed_mid_run_loses_no_query(smsc, esme_factory, index_path):
    deliveries = [arg for n in MANY for arg in ("--deliver", f"{n}=CXMYD")]
    smsc.start("--hold-after", "3", *deliveries)
    esme = esme_factory(smsc.port)
    # Every query received (answered to the SMSC), some answers sent but never acknowledged.
    wait_for(lambda: len(smsc.events("deliver_sm_resp")) == len(MANY), "all queries received")
    wait_for(lambda: len(smsc.events("submit_sm")) > 3, "unacknowledged submits")
    assert len(answered(smsc)) == 3
    smsc.kill()
    wait_for(lambda: esme.stats.link_failures >= 1, "the ESME to notice")
    smsc.start()  # same port, nothing to deliver: the answers must come from the outbox
    texts = wait_for(lambda: len(t := answered(smsc)) == len(MANY) and t, "all answers")
    for number in MANY:
        assert expected(index_path, number) in texts[number]
    wait_for(lambda: esme.outbox.counts().get("sent") == len(MANY), "the outbox to drain")
    assert esme.outbox.counts().get("pending", 0) == 0
    assert esme.stats.binds >= 2


def test_delivery_receipts_are_recorded_not_answered(smsc, esme_factory):
    smsc.start("--receipts", "--deliver", f"{SHORT}=CXMYD")
    esme = esme_factory(smsc.port)
    receipt = wait_for(lambda: smsc.events("receipt_sent"), "the receipt")[0]
    wait_for(lambda: any(e["seq"] == receipt["seq"] for e in smsc.events("deliver_sm_resp")),
             "the receipt's deliver_sm_resp")  # fmt: skip
    wait_for(lambda: esme.outbox.counts()["receipts"] == 1, "the receipt recorded")
    assert esme.stats.receipts == 1
    # The answer to a receipt would have been queued before its deliver_sm_resp.
    assert esme.outbox.counts().get("sent") == 1
    assert esme.outbox.counts().get("pending", 0) == 0
    assert len(smsc.events("submit_sm")) == 1


def test_enquire_link_from_the_smsc_is_answered(smsc, esme_factory):
    smsc.start("--enquire-every", "0.2")
    esme = esme_factory(smsc.port)
    wait_for(lambda: len(smsc.events("enquire_link_resp")) >= 2, "two enquire_link_resp")
    assert esme.stats.enquire_links_answered >= 2


def test_esme_sends_enquire_link_when_idle(smsc, esme_factory):
    smsc.start()
    esme = esme_factory(smsc.port, enquire_link_s=0.3)
    wait_for(lambda: len(smsc.events("enquire_link")) >= 2, "two enquire_link from the ESME")
    assert esme.stats.link_failures == 0


def test_send_queues_a_text_for_any_number(smsc, esme_factory):
    smsc.start()
    esme = esme_factory(smsc.port)
    esme.send(NOBODY, "您的验证码是123456，5分钟内有效。")
    texts = wait_for(lambda: answered(smsc).get(NOBODY), "the one-time code")
    assert texts == ["您的验证码是123456，5分钟内有效。"]


def test_outbox_written_by_another_handle_is_drained(smsc, esme_factory, tmp_path):
    smsc.start()
    esme_factory(smsc.port)
    other = LocalOutbox(tmp_path / "outbox.sqlite")  # e.g. the query API's process
    other.send(SHORT, "验证码 654321")
    other.close()
    assert wait_for(lambda: answered(smsc).get(SHORT), "the queued text") == ["验证码 654321"]


def test_throttle_paces_submits(smsc, esme_factory):
    smsc.start()
    esme = esme_factory(smsc.port, rate=20)
    for i in range(10):
        esme.send(NOBODY, f"第{i}条")
    wait_for(lambda: len(smsc.events("submit_sm")) == 10, "ten submits")
    times = [e["t"] for e in smsc.events("submit_sm")]
    # 10 submits at 20/s take at least 9/20 s (less the 0.1 s burst allowed after idle).
    assert times[-1] - times[0] >= 0.3


def test_numbers_masked_and_password_never_logged(smsc, esme_factory, caplog):
    caplog.set_level("DEBUG")
    smsc.start("--deliver", f"{SHORT}=CXMYD")
    esme = esme_factory(smsc.port)
    wait_for(lambda: esme.outbox.counts().get("sent") == 1, "the answer")
    assert "pw-not-logged" not in caplog.text and SHORT not in caplog.text
    assert "138******01" in caplog.text
    assert "pw-not-logged" not in repr(esme.settings)


def test_run_esme_stops_on_event(smsc, index_path, tmp_path):
    smsc.start("--deliver", f"{SHORT}=CXMYD")
    stop = threading.Event()
    result = {}
    thread = threading.Thread(
        target=lambda: result.update(stats=run_esme(SmppSettings(port=smsc.port), index_path,
                                                    stop, outbox_path=tmp_path / "o.sqlite")),
    )  # fmt: skip
    thread.start()
    wait_for(lambda: answered(smsc).get(SHORT), "the answer")
    stop.set()
    thread.join(30)
    assert not thread.is_alive()
    assert result["stats"].messages_sent == 1
    wait_for(lambda: smsc.events("unbind"), "the unbind")


def test_cli_sms_command(smsc, index_path, tmp_path):
    from telcolens.itinerary.cli_sms import register

    app = typer.Typer()
    register(app)
    app.command("noop")(lambda: None)  # a second command, so that `sms` is a sub-command
    smsc.start("--deliver", f"{SHORT}=CXMYD")
    result = CliRunner().invoke(
        app,
        ["sms", "--index", str(index_path), "--host", "127.0.0.1", "--port", str(smsc.port),
         "--system-id", "tl_cli", "--outbox", str(tmp_path / "cli.sqlite"),
         "--max-messages", "1"],
        env={"TELCOLENS_SMPP_PASSWORD": "from-env", "TELCOLENS_DATABASE_URL": None},
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    assert "from-env" not in result.output
    assert answered(smsc)[SHORT] == [expected(index_path, SHORT)]
    assert smsc.events("bind_transceiver")[0]["system_id"] == "tl_cli"


def test_wrong_password_is_retried_with_backoff(tmp_path, esme_factory):
    server = Smsc(tmp_path).start("--password", "right")
    try:
        esme = esme_factory(server.port)
        wait_for(lambda: len(server.events("bind_transceiver")) >= 4, "four bind attempts")
        assert esme.stats.binds == 0
        times = [e["t"] for e in server.events("bind_transceiver")][:4]
        # Delays 0.1, 0.2, 0.4 s (each +-20%): the third is well above the first.
        assert times[3] - times[2] > times[1] - times[0]
    finally:
        server.kill()


def test_help_text_at_most_once_per_number_per_interval(smsc, esme_factory):
    smsc.start("--deliver", f"{SHORT}=HELLO", "--deliver", f"{SHORT}=HELLO AGAIN",
               "--deliver", f"{NOBODY}=?")  # fmt: skip
    esme = esme_factory(smsc.port)
    wait_for(lambda: len(smsc.events("deliver_sm_resp")) == 3, "three deliver_sm_resp")
    # Each answer is in the outbox before its deliver_sm_resp goes out.
    wait_for(lambda: esme.outbox.counts().get("sent") == 2, "two help texts sent")
    assert esme.outbox.counts().get("pending", 0) == 0
    assert answered(smsc) == {SHORT: [help_text()], NOBODY: [help_text()]}


def test_unaddressable_sender_is_not_answered(smsc, esme_factory):
    smsc.start("--deliver", "ALIPAY=CXMYD", "--deliver", f"{SHORT}=CXMYD")
    esme = esme_factory(smsc.port)
    wait_for(lambda: len(smsc.events("deliver_sm_resp")) == 2, "both deliver_sm_resp")
    wait_for(lambda: esme.outbox.counts().get("sent") == 1, "the one answer")
    assert list(answered(smsc)) == [SHORT]


def test_outbox_refuses_what_smpp_cannot_carry(tmp_path):
    outbox = LocalOutbox(tmp_path / "o.sqlite")
    with pytest.raises(BadInput, match="not a number"):
        outbox.send("138 0000 0001", "x")
    with pytest.raises(BadInput, match="1 to"):
        outbox.send(SHORT, "")
    with pytest.raises(BadInput, match="1 to"):
        outbox.send(SHORT, "长" * 20_000)
    assert outbox.send("+8613800000001", "ok") == 1
    outbox.close()


def test_reloading_index_sees_a_rebuild(index_path):
    index = ReloadingIndex(index_path)
    assert index.lookup_number(SHORT).window == WINDOW
    later = Window(dt.date(2026, 12, 1), dt.date(2026, 11, 18), dt.date(2026, 12, 1), 4.0)
    write_index(index_path, later, [(pseudonymise(SHORT), "烟台市", later.end, later.end, 7.0)])
    answer = index.lookup_number(SHORT)
    assert answer.window == later
    assert [c.city for c in answer.cities] == ["烟台市"]


@pytest.fixture
def store(tmp_path: Path) -> Iterator[StoreOutbox]:
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    yield StoreOutbox(sessionmaker(engine, expire_on_commit=False))
    engine.dispose()


def _store_rows(store: StoreOutbox) -> list[OutboxSms]:
    with transaction(store.sessions) as s:
        return list(s.query(OutboxSms).order_by(OutboxSms.id))


def test_texts_queued_in_the_store_are_sent_and_marked(smsc, esme_factory, store):
    smsc.start()
    with transaction(store.sessions) as s:
        store_outbox.queue_sms(s, "+86 138 0000 0009", "您的验证码是246810。")
    esme_factory(smsc.port, store=store, store_poll_s=0.1)
    assert wait_for(lambda: answered(smsc).get(NOBODY), "the code") == ["您的验证码是246810。"]
    row = wait_for(lambda: (r := _store_rows(store)[0]).sent_at and r, "the row marked sent")
    assert row.number is None and row.text is None


def test_store_texts_held_when_the_link_breaks_are_released_and_sent(smsc, esme_factory, store):
    smsc.start("--hold-after", "0")
    with transaction(store.sessions) as s:
        store_outbox.queue_sms(s, NOBODY, "验证码 135790")
    esme = esme_factory(smsc.port, store=store, store_poll_s=0.1)
    wait_for(lambda: smsc.events("submit_sm"), "the unacknowledged submit")
    smsc.kill()
    wait_for(lambda: esme.stats.link_failures >= 1, "the ESME to notice")
    wait_for(lambda: _store_rows(store)[0].claimed_at is None, "the text released")
    smsc.start()
    assert wait_for(lambda: answered(smsc).get(NOBODY), "the code") == ["验证码 135790"]
    wait_for(lambda: _store_rows(store)[0].sent_at, "the row marked sent")


def test_keyword_answered_while_the_store_is_unusable(smsc, esme_factory, tmp_path, caplog):
    broken = make_engine(f"sqlite:///{tmp_path / 'empty.db'}")  # never migrated: no table
    store = StoreOutbox(sessionmaker(broken, expire_on_commit=False))
    smsc.start("--deliver", f"{SHORT}=CXMYD")
    esme_factory(smsc.port, store=store, store_poll_s=0.1)
    assert wait_for(lambda: answered(smsc).get(SHORT), "the answer")
    assert "the store's outbox is unavailable" in caplog.text
    broken.dispose()


def test_window_bounds_unacknowledged_submits(smsc, esme_factory):
    smsc.start("--hold-after", "0")  # never acknowledges
    esme = esme_factory(smsc.port, window=3, enquire_link_s=0.3)
    for i in range(10):
        esme.send(NOBODY, f"第{i}条")
    # The ESME's enquire_link comes after 0.3 s of silence, behind on the same stream
    # every submit it sent before: a barrier after which no more can be in flight.
    wait_for(lambda: smsc.events("enquire_link"), "the ESME's enquire_link")
    assert len(smsc.events("submit_sm")) == 3
    assert esme.stats.submitted == 3
