"""The Bulk Data collector over HTTP: authentication, refusals and their counts, atomic appends."""

from __future__ import annotations

import base64
import datetime as dt
import gzip
import json
import os
import stat
import threading
import zlib
from collections.abc import Iterator
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from telcolens.api import errors
from telcolens.broadband import collector as collector_module
from telcolens.broadband.collector import BulkDataCollector
from telcolens.broadband.collector_api import install, router
from telcolens.broadband.gateways import (
    GatewayError,
    GatewayStore,
    read_gateways,
    register_gateway,
    remove_gateway,
)
from telcolens.dataset import part_files, read_table, write_part
from telcolens.errors import Conflict, NotFound
from telcolens.schema import BROADBAND_KPI
from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user, start_session

URL = "/api/broadband/bulkdata"
EPOCH_S = 1_764_000_000  # 2025-11-25 00:00:00 CST
T0 = dt.datetime(2025, 11, 25)
STA = "Device.WiFi.MultiAP.APDevice.1.Radio.1.AP.1.AssociatedDevice.1"
GATEWAYS = {  # username: (password, line_id, serial)
    "ont-1001": ("secret-1001-abcdef", 1001, "ZTEG00001001"),
    "ont-1002": ("secret-1002-abcdef", 1002, "ZTEG00001002"),
    "ont-1003": ("secret-1003-abcdef", 1003, None),
}


@pytest.fixture(scope="module")
def credentials(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A credentials file for three gateways (hashing is slow on purpose: once per module)."""
    path = tmp_path_factory.mktemp("gateways") / "_gateways.json"
    for name, (password, line, serial) in GATEWAYS.items():
        register_gateway(path, username=name, password=password, line_id=line, serial_number=serial)
    return path


def make_app(collector: BulkDataCollector | None) -> FastAPI:
    app = FastAPI()
    app.include_router(router)
    errors.install(app)
    app.state.bulkdata = collector
    return app


@pytest.fixture
def collector(tmp_path: Path, credentials: Path) -> BulkDataCollector:
    return BulkDataCollector(tmp_path / "data", gateways=GatewayStore(credentials, check_every=0))


@pytest.fixture
def client(collector: BulkDataCollector) -> Iterator[TestClient]:
    with TestClient(make_app(collector)) as c:
        yield c


def auth(name: str, password: str | None = None) -> dict[str, str]:
    password = password or GATEWAYS[name][0]
    token = base64.b64encode(f"{name}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}", "Content-Type": "application/json"}


def report(minute: int = 0, *, serial: str | None = "ZTEG00001001", **values) -> dict:
    out = {
        "CollectionTime": EPOCH_S + 60 * minute,
        "Device.DeviceInfo.UpTime": 10_000 + 60 * minute,
        "Device.Optical.Interface.1.OpticalSignalLevel": -21_500,
        f"{STA}.Stats.PacketsSent": 10_000 + 100 * minute,
        **values,
    }
    if serial:
        out["Device.DeviceInfo.SerialNumber"] = serial
    return out


def post(client: TestClient, name: str, *reports: dict, headers=None, **kwargs):
    body = json.dumps({"Report": list(reports)}).encode()
    return client.post(URL, content=body, headers={**auth(name), **(headers or {})}, **kwargs)


def stored(collector: BulkDataCollector) -> pa.Table:
    return read_table(collector.data_dir, BROADBAND_KPI).sort_by(
        [("line_id", "ascending"), ("sample_time", "ascending")]
    )


def test_a_report_lands_decoded(client, collector):
    r = post(client, "ont-1001", report(0), report(15))
    assert r.status_code == 200, r.text
    assert r.json() == {"accepted": 2, "duplicates": 0, "refused": 0, "reasons": []}
    rows = stored(collector)
    assert rows["line_id"].to_pylist() == [1001, 1001]
    assert rows["sample_time"].to_pylist() == [T0, T0 + dt.timedelta(minutes=15)]
    assert rows["optical_rx_dbm"].to_pylist() == [-21.5, -21.5]
    # The first interval has no predecessor; the second is the change of the counter.
    assert rows["wifi_packets_sent"].to_pylist() == [None, 1_500]
    (part,) = part_files(collector.data_dir, BROADBAND_KPI)
    assert part.name.startswith("day-2025-11-25.bulkdata-")
    assert collector.stats()["accepted"] == 2 and collector.stats()["parts"] == 1


def test_the_object_hierarchy_and_compressed_bodies(client, collector):
    oh = {
        "CollectionTime": "2025-11-24T16:00:00Z",
        "Device": {"Optical": {"Interface": {"1": {"OpticalSignalLevel": -23_000}}}},
    }
    body = json.dumps({"Report": [oh]}).encode()
    headers = {**auth("ont-1002"), "BBF-Report-Format": "ObjectHierarchy"}
    r = client.post(
        URL, content=gzip.compress(body), headers={**headers, "Content-Encoding": "gzip"}
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    oh["CollectionTime"] = "2025-11-25T00:15:00+08:00"
    body = json.dumps({"Report": [oh]}).encode()
    r = client.post(
        URL, content=zlib.compress(body), headers={**headers, "Content-Encoding": "deflate"}
    )
    assert r.status_code == 200 and r.json()["accepted"] == 1, r.text
    assert stored(collector)["optical_rx_dbm"].to_pylist() == [-23.0, -23.0]


def test_the_counters_carry_across_requests_and_reboots(client, collector):
    assert post(client, "ont-1001", report(0)).status_code == 200
    assert post(client, "ont-1001", report(15)).status_code == 200
    # Rebooted: UpTime went down, the counter restarted from zero.
    rebooted = report(30, **{"Device.DeviceInfo.UpTime": 120, f"{STA}.Stats.PacketsSent": 40})
    assert post(client, "ont-1001", rebooted).status_code == 200
    assert stored(collector)["wifi_packets_sent"].to_pylist() == [None, 1_500, 40]


@pytest.mark.parametrize(
    "headers",
    [
        {},
        {"Authorization": "Basic !!!"},
        {"Authorization": "Bearer abc"},
        auth("ont-1001", "a-wrong-password"),
        auth("ont-9999", "secret-1001-abcdef"),
    ],
)
def test_no_credential_no_entry(client, collector, headers):
    r = client.post(URL, json={"Report": [report()]}, headers={k: v for k, v in headers.items()})
    assert r.status_code == 401, r.text
    assert r.headers["www-authenticate"].startswith("Basic realm=")
    assert collector.stats()["unauthenticated"] == 1
    assert stored(collector).num_rows == 0


@pytest.mark.parametrize(
    ("params", "serial"),
    [
        ({}, "ZTEG00001002"),  # the report says it comes from another gateway
        ({"line_id": "1002"}, "ZTEG00001001"),  # the URL names another line
        ({"sn": "ZTEG00001002"}, "ZTEG00001001"),
    ],
)
def test_a_gateway_cannot_report_for_another_line(client, collector, params, serial):
    r = post(client, "ont-1001", report(0, serial=serial), params=params)
    assert r.status_code == 403, r.text
    assert collector.stats()["forbidden"] == 1 and stored(collector).num_rows == 0


def test_its_own_line_in_the_url_is_fine(client):
    r = post(client, "ont-1001", report(0), params={"line_id": "1001", "sn": "ZTEG00001001"})
    assert r.status_code == 200, r.text


def test_oversized_bodies_are_refused(tmp_path, credentials):
    small = BulkDataCollector(
        tmp_path, gateways=GatewayStore(credentials, check_every=0), max_bytes=4096
    )
    with TestClient(make_app(small)) as client:
        padded = report(0, **{f"Device.DeviceInfo.X{i}": "y" * 50 for i in range(100)})
        assert post(client, "ont-1001", padded).status_code == 413
        # Small on the wire, large once inflated: refused without inflating it all.
        bomb = gzip.compress(b'{"Report": [' + b" " * 1_000_000 + b"]}")
        assert len(bomb) < 4096
        r = client.post(URL, content=bomb, headers={**auth("ont-1001"), "Content-Encoding": "gzip"})
        assert r.status_code == 413, r.text
        # A sender announcing its size too big is refused before sending it.
        r = client.post(URL, content=b"{}", headers={**auth("ont-1001"), "Content-Length": "5000"})
        assert r.status_code == 413
    assert small.stats()["too_large"] == 3
    assert stored(small).num_rows == 0


@pytest.mark.parametrize(
    "headers",
    [{"Content-Type": "text/csv"}, {"Content-Encoding": "br"}, {"Content-Type": ""}],
)
def test_other_media_are_unsupported(client, collector, headers):
    assert post(client, "ont-1001", report(0), headers=headers).status_code == 415
    assert collector.stats()["unsupported"] == 1


def test_malformed_bodies_are_refused_and_counted(client, collector):
    for body in (b"not json", b'{"Report": []}', gzip.compress(b"x")[:-4]):
        encoding = {"Content-Encoding": "gzip"} if body[:2] == b"\x1f\x8b" else {}
        r = client.post(URL, content=body, headers={**auth("ont-1001"), **encoding})
        assert r.status_code == 400, r.text
    assert collector.stats()["malformed"] == 3


def test_a_bad_report_is_refused_whole_and_the_rest_stored(client, collector):
    bad = report(15, **{"Device.Optical.Interface.1.OpticalSignalLevel": 99_000})  # +99 dBm
    r = post(client, "ont-1001", report(0), bad)
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1 and r.json()["refused"] == 1
    assert "report 1" in r.json()["reasons"][0]
    assert stored(collector)["sample_time"].to_pylist() == [T0]  # nothing of the bad one
    # Only bad reports: 400 with the count, nothing stored.
    r = post(client, "ont-1001", bad, {"CollectionTime": EPOCH_S, "Device.Foo.1.Bar": 1})
    assert r.status_code == 400 and "2 report(s) refused" in r.json()["detail"]
    stats = collector.stats()
    assert (stats["reports"], stats["accepted"], stats["refused"]) == (4, 1, 3)


def test_duplicates_are_ignored_and_counted(client, collector):
    assert post(client, "ont-1001", report(0), report(15)).json()["accepted"] == 2
    r = post(client, "ont-1001", report(15), report(30))  # a retried report with a new one
    assert r.json() == {"accepted": 1, "duplicates": 1, "refused": 0, "reasons": []}
    assert stored(collector).num_rows == 3
    assert collector.stats()["duplicates"] == 1


def test_duplicates_of_rows_stored_before_the_collector_started(tmp_path, credentials):
    data = tmp_path / "data"
    row = dict.fromkeys(BROADBAND_KPI.names)
    row.update(line_id=1001, sample_time=T0, optical_rx_dbm=-20.0)
    write_part(data, BROADBAND_KPI, pa.Table.from_pylist([row]), "day-2025-11-25")
    fresh = BulkDataCollector(data, gateways=GatewayStore(credentials, check_every=0))
    with TestClient(make_app(fresh)) as client:
        assert post(client, "ont-1001", report(0), report(15)).json()["duplicates"] == 1
    assert read_table(data, BROADBAND_KPI).num_rows == 2


def test_reports_without_a_collection_time(client, collector):
    untimed = report(0)
    del untimed["CollectionTime"]
    r = post(client, "ont-1001", untimed, headers={"Date": "Mon, 24 Nov 2025 16:30:00 GMT"})
    assert r.status_code == 200, r.text
    assert stored(collector)["sample_time"].to_pylist() == [T0 + dt.timedelta(minutes=30)]
    # Two without a time cannot be told apart; a time far ahead is clock junk.
    future = report(0, CollectionTime=int(dt.datetime.now().timestamp()) + 86_400)
    r = post(client, "ont-1001", untimed, untimed, future)
    assert r.status_code == 400, r.text
    assert "several reports without" in r.json()["detail"] and "in the future" in r.json()["detail"]


def test_a_failed_write_is_retried_without_loss_or_double(client, collector, monkeypatch):
    real = collector_module.write_part
    calls = []

    def second_day_fails(data_dir, table, data, name, **kw):
        calls.append(name)
        if name.startswith("day-2025-11-25") and len(calls) == 2:
            raise OSError(28, "No space left on device")
        return real(data_dir, table, data, name, **kw)

    monkeypatch.setattr(collector_module, "write_part", second_day_fails)
    both_days = (report(-15), report(0))  # 23:45 the day before, and midnight
    r = post(client, "ont-1001", *both_days)
    assert r.status_code == 503 and r.headers["retry-after"] == "1", r.text
    assert stored(collector).num_rows == 1  # the first day's part landed whole
    r = post(client, "ont-1001", *both_days)  # the gateway retries
    assert r.json() == {"accepted": 1, "duplicates": 1, "refused": 0, "reasons": []}
    rows = stored(collector)
    assert rows["sample_time"].to_pylist() == [T0 - dt.timedelta(minutes=15), T0]
    assert rows["wifi_packets_sent"].to_pylist() == [None, 1_500]
    stats = collector.stats()
    assert (stats["write_failures"], stats["failed"], stats["accepted"]) == (1, 1, 2)
    assert not list((collector.data_dir / "broadband_kpi").glob(".*.tmp"))


def test_concurrent_posts_lose_nothing_and_store_nothing_twice(client, collector):
    """Six threads, two per gateway posting the same reports at once: each stored once."""
    errors_seen: list[str] = []
    barrier = threading.Barrier(6)

    def send(thread: int) -> None:
        name = list(GATEWAYS)[thread // 2]
        barrier.wait()
        for k in range(10):
            r = post(client, name, report(15 * k, serial=GATEWAYS[name][2]))
            if r.status_code != 200:
                errors_seen.append(r.text)

    threads = [threading.Thread(target=send, args=(t,)) for t in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors_seen == []
    rows = stored(collector)
    keys = list(zip(rows["line_id"].to_pylist(), rows["sample_time"].to_pylist(), strict=True))
    assert len(keys) == len(set(keys)) == 30
    stats = collector.stats()
    assert (stats["reports"], stats["accepted"], stats["duplicates"]) == (60, 30, 30)
    # Each thread posts in time order, and waits for its report to be stored or found
    # stored, so per gateway the reports land in order: every interval after the first
    # has its delta, none lost to a race on the counter state.
    for line in (1001, 1002, 1003):
        mine = rows.filter(pc.equal(rows["line_id"], line))
        assert mine["wifi_packets_sent"].to_pylist() == [None] + [1_500] * 9


def test_direct_receive_from_many_threads(tmp_path, credentials):
    """Without HTTP: the batch writer gathers concurrent requests; every key once."""
    gateways = GatewayStore(credentials, check_every=0)
    collector = BulkDataCollector(tmp_path, gateways=gateways, linger=0.2)
    gateway = next(g for g in read_gateways(credentials) if g.username == "ont-1003")
    results: list[int] = []
    lock = threading.Lock()

    def send(k: int) -> None:
        body = json.dumps({"Report": [report(k % 40, serial=None)]}).encode()
        outcome = collector.receive(gateway, body)
        with lock:
            results.append(outcome.accepted)

    threads = [threading.Thread(target=send, args=(k,)) for k in range(120)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sum(results) == 40 == stored(collector).num_rows
    assert collector.stats()["duplicates"] == 80
    # Requests that arrive while the writer waits share its part: far fewer parts.
    assert collector.stats()["parts"] < 30


def test_no_collector_configured_is_a_clear_503(credentials):
    with TestClient(make_app(None)) as client:
        r = post(client, "ont-1001", report(0))
    assert r.status_code == 503 and "no Bulk Data collector" in r.json()["detail"]


def test_install_builds_the_collector_from_a_data_directory(tmp_path):
    app = FastAPI()
    install(app, None)
    assert app.state.bulkdata is None
    install(app, tmp_path)
    assert app.state.bulkdata.data_dir == tmp_path
    assert app.state.bulkdata.gateways.path == tmp_path / "_gateways.json"


def test_the_stats_endpoint_is_for_engineers(tmp_path, collector):
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    app = make_app(collector)
    app.state.sessions = sessionmaker(engine, expire_on_commit=False)
    with Session(engine) as s, s.begin():
        admin = create_user(s, "boss", "admin", "a-long-test-password", actor="test")
        analyst = create_user(s, "ana", "fraud_analyst", "a-long-test-password", actor="test")
        tokens = {u.name: start_session(s, u, 1.0) for u in (admin, analyst)}
    with TestClient(app) as client:
        post(client, "ont-1001", report(0))
        assert client.get(f"{URL}/stats").status_code == 401
        bearer = {"Authorization": f"Bearer {tokens['ana']}"}
        assert client.get(f"{URL}/stats", headers=bearer).status_code == 403
        r = client.get(f"{URL}/stats", headers={"Authorization": f"Bearer {tokens['boss']}"})
    assert r.status_code == 200, r.text
    assert r.json()["accepted"] == 1 and r.json()["requests"] == 1 and r.json()["gateways"] == 3
    engine.dispose()


# --- gateway credentials -------------------------------------------------------------------


def test_registration_keeps_only_a_hash(tmp_path):
    path = tmp_path / "_gateways.json"
    g = register_gateway(path, username="ont-1", password="p" * 12, line_id=1, serial_number="SN1")
    assert g.password_hash.startswith("$argon2id$") and "p" * 12 not in path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    assert read_gateways(path) == [g]


def test_registration_conflicts_and_replacement(tmp_path):
    path = tmp_path / "_gateways.json"
    register_gateway(path, username="ont-1", password="p" * 12, line_id=1, serial_number="SN1")
    for clash in ({"username": "ont-1", "line_id": 2}, {"username": "ont-2", "line_id": 1}):
        with pytest.raises(Conflict):
            register_gateway(path, password="q" * 12, serial_number="SN2", **clash)
    # A replaced gateway on line 1 takes the old one's place.
    register_gateway(path, username="ont-9", password="q" * 12, line_id=1, replace=True)
    assert [(g.username, g.line_id) for g in read_gateways(path)] == [("ont-9", 1)]
    remove_gateway(path, "ont-9")
    assert read_gateways(path) == []
    with pytest.raises(NotFound):
        remove_gateway(path, "ont-9")


@pytest.mark.parametrize(
    "bad",
    [
        {"username": "a:b"},
        {"username": ""},
        {"password": "short"},
        {"line_id": -1},
        {"line_id": True},
        {"serial_number": " "},
    ],
)
def test_registration_refuses_bad_credentials(tmp_path, bad):
    args = {"username": "ont-1", "password": "p" * 12, "line_id": 1, **bad}
    with pytest.raises(GatewayError):
        register_gateway(tmp_path / "g.json", **args)


def test_a_broken_credentials_file_is_a_clear_error(tmp_path):
    path = tmp_path / "_gateways.json"
    path.write_text('{"version": 1, "gateways": [{"who": 1}]}')
    with pytest.raises(GatewayError, match="not a gateway credentials file"):
        read_gateways(path)


def test_a_running_collector_sees_new_and_changed_credentials(tmp_path):
    path = tmp_path / "_gateways.json"
    collector = BulkDataCollector(tmp_path, gateways=GatewayStore(path, check_every=0))
    with TestClient(make_app(collector)) as client:
        headers = auth("ont-1", "first-password")
        assert (
            client.post(URL, json={"Report": [report(0, serial=None)]}, headers=headers).status_code
            == 401
        )
        register_gateway(path, username="ont-1", password="first-password", line_id=7)
        r = client.post(URL, json={"Report": [report(0, serial=None)]}, headers=headers)
        assert r.status_code == 200, r.text
        # A new password: the remembered old one stops working at once.
        register_gateway(
            path, username="ont-1", password="second-password", line_id=7, replace=True
        )
        r = client.post(URL, json={"Report": [report(15, serial=None)]}, headers=headers)
        assert r.status_code == 401
    assert stored(collector)["line_id"].to_pylist() == [7]
