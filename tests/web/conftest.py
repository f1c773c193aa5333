"""Fixtures for the console tests: a store loaded from the province, a live server, Chromium."""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import uvicorn
from playwright.sync_api import Browser, Page, sync_playwright
from sqlalchemy import func, select
from sqlalchemy.orm import sessionmaker

from telcolens.antifraud.daily import run_day
from telcolens.antifraud.load import load_run
from telcolens.antifraud.models import FraudCase
from telcolens.api.app import create_app
from telcolens.faults.lifecycle import RECORD_TZ, load_incidents, neighbourhoods
from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user
from tests.faults.test_lifecycle import _incidents, _topology_inputs

PASSWORD = "a-long-password"
USERS = {
    "admin": "admin",
    "analyst": "fraud_analyst",
    "police": "police_liaison",
    "engineer": "network_engineer",
    "broadband": "broadband_engineer",
    "itinerary": "itinerary_agent",
}
CHROMIUM = "/usr/bin/chromium"
# Never a downloaded browser: the system's Chromium, with nothing phoning home.
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


@pytest.fixture(scope="module")
def console_db(province: Path, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A SQLite store holding one day's anti-fraud run over the province, and the users."""
    tmp = tmp_path_factory.mktemp("console")
    run_day(province, tmp / "run")
    url = f"sqlite:///{tmp / 'console.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(engine)() as session, session.begin():
        for name, role in USERS.items():
            create_user(session, name, role, PASSWORD, actor="test")
        load_run(session, tmp / "run", "test")
    with sessionmaker(engine)() as session:
        cases = session.scalar(select(func.count()).select_from(FraudCase))
    engine.dispose()
    assert cases >= 2, f"the province's run opened {cases} case(s); the tests need a few"
    return url


@pytest.fixture(scope="module")
def fault_incidents(console_db: str) -> pd.DataFrame:
    """The lifecycle tests' three incidents (two major), loaded into the console's store.

    Their times move to the last two days: the fault summary counts incidents opened
    within its period before now, and MTTR runs from the first alarm. Returns them as
    loaded (times in China Standard Time, as the records have them).
    """
    incidents, alarms = _incidents()
    now = pd.Timestamp.now(tz=RECORD_TZ).tz_localize(None).floor("min")
    opened = incidents["opened_at"] + (now - pd.Timedelta(hours=2) - incidents["opened_at"].max())
    incidents = incidents.assign(opened_at=opened, last_alarm_at=opened + pd.Timedelta(minutes=5))
    engine = make_engine(console_db)
    around = neighbourhoods(*_topology_inputs())
    with sessionmaker(engine)() as session, session.begin():
        loaded = load_incidents(session, incidents, alarms, "test", topology=around)
        assert loaded.opened == len(incidents)
    engine.dispose()
    return incidents


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@contextmanager
def serving(store_url: str) -> Iterator[str]:
    """The app on ``store_url`` served by uvicorn in a thread; its base URL."""
    port = _free_port()
    config = uvicorn.Config(
        create_app(store_url),
        host="127.0.0.1",
        port=port,
        log_level="warning",
        ws="none",  # no websockets here; spares importing the library
        lifespan="off",
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 20
    while True:
        try:
            with urllib.request.urlopen(f"{base}/health", timeout=1) as r:
                if r.status == 200:
                    break
        except OSError:
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError("the test server did not start") from None
            time.sleep(0.1)
    try:
        yield base
    finally:
        srv.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="module")
def server(console_db: str) -> Iterator[str]:
    """The console's store served; its base URL."""
    with serving(console_db) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
        yield b
        b.close()


@contextmanager
def open_page(browser: Browser, init_script: str | None = None, **options) -> Iterator[Page]:
    """A page in a fresh context (no cookies, English); fails on any JavaScript error."""
    context = browser.new_context(
        viewport={"width": 1440, "height": 900}, locale="en-US", **options
    )
    context.set_default_timeout(15_000)
    if init_script:
        context.add_init_script(init_script)
    pg = context.new_page()
    errors: list[str] = []
    pg.on("pageerror", lambda exc: errors.append(str(exc)))
    yield pg
    context.close()
    assert not errors, f"JavaScript errors on the page: {errors}"


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A fresh browser context per test."""
    with open_page(browser, accept_downloads=True) as pg:
        yield pg


def nav_paths(page: Page) -> list[str]:
    """The paths of the navigation's entries, in order."""
    return page.eval_on_selector_all("#nav .nav-link", "els => els.map(e => e.dataset.path)")


def login(page: Page, base: str, name: str) -> None:
    """Log in through the login page and wait for the console."""
    page.goto(f"{base}/login")
    page.fill("#name", name)
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#nav .nav-link, #error:not([hidden])")
    if page.locator("#error").is_visible():
        raise AssertionError(f"login as {name} failed: {page.inner_text('#error')}")
