"""The admin page's account controls in headless Chromium: disable, enable, a new password,
ending logins, and the server's refusals shown as text."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page, Request, expect
from sqlalchemy.orm import sessionmaker

from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user
from tests.web.conftest import PASSWORD, login

pytestmark = pytest.mark.browser
SCREENSHOTS = Path(__file__).resolve().parents[2] / "build" / "screenshots"
NEW_PASSWORD = "another-long-password"
PAYLOAD = '<img src=x onerror="window.__xss=1" data-xss>refused'


@pytest.fixture(scope="module")
def console_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Only users: the account controls need no anti-fraud run (overrides conftest's)."""
    url = f"sqlite:///{tmp_path_factory.mktemp('admin') / 'admin.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(engine)() as session, session.begin():
        for name, role in (("admin", "admin"), ("analyst", "fraud_analyst")):
            create_user(session, name, role, PASSWORD, actor="test")
    engine.dispose()
    return url


@pytest.fixture
def analyst(browser: Browser, server: str) -> Iterator[Page]:
    """The analyst, logged in in a browser of their own."""
    context = browser.new_context(locale="en-US")
    context.set_default_timeout(15_000)
    pg = context.new_page()
    login(pg, server, "analyst")
    yield pg
    context.close()


def row(page: Page, name: str):
    return page.locator(f"#users tr[data-user='{name}']")


def can_log_in(server: str, name: str, password: str) -> bool:
    r = httpx.post(f"{server}/api/auth/login", json={"name": name, "password": password})
    return r.status_code == 200


def test_admin_disables_enables_resets_and_ends_logins(
    page: Page, analyst: Page, server: str
) -> None:
    unsafe: list[Request] = []
    page.on("request", lambda r: unsafe.append(r) if r.method in ("POST", "DELETE") else None)
    login(page, server, "admin")
    page.goto(f"{server}/#/admin")
    analyst_row = row(page, "analyst")
    expect(analyst_row).to_contain_text("Active")
    expect(analyst_row.locator("td.num")).to_have_text("1")  # the analyst's live login
    me = row(page, "admin")
    expect(me).to_contain_text("(you)")
    expect(me.locator("[data-action=disable]")).to_have_count(0)  # no disabling oneself
    for label in ("Status", "Live logins", "Actions"):
        expect(page.locator("#users thead")).to_contain_text(label)

    # Disabling asks first; Cancel sends nothing.
    posted = len(unsafe)
    analyst_row.locator("[data-action=disable]").click()
    expect(page.locator("#account-form")).to_contain_text("Disable analyst")
    page.click("#account-cancel")
    expect(page.locator("#account-form")).to_have_count(0)
    analyst_row.locator("[data-action=disable]").click()
    page.click("#account-submit")
    expect(page.locator(".alert-ok")).to_have_text("analyst is disabled; their logins ended.")
    expect(analyst_row).to_contain_text("Disabled")
    expect(analyst_row.locator("td.num")).to_have_text("0")
    assert len(unsafe) == posted + 1
    # A same-origin fetch names its origin, which the API checks on cookie-borne writes.
    assert unsafe[-1].all_headers().get("origin") == server
    analyst.reload()
    expect(analyst).to_have_url(re.compile(r"/login"))  # their login ended
    assert not can_log_in(server, "analyst", PASSWORD)
    expect(page.locator("#audit tbody tr").first).to_contain_text("user.disable")

    analyst_row.locator("[data-action=enable]").click()
    expect(page.locator(".alert-ok")).to_have_text("analyst can log in again.")
    expect(analyst_row).to_contain_text("Active")
    assert can_log_in(server, "analyst", PASSWORD)

    # A new password: typed twice; the server's refusal is shown; then it works.
    analyst_row.locator("[data-action=password]").click()
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#repeat-password", NEW_PASSWORD + "x")
    posted = len(unsafe)
    page.click("#account-submit")
    expect(page.locator("#account-form .alert-error")).to_have_text("The two passwords differ.")
    assert len(unsafe) == posted
    page.fill("#new-password", "short")
    page.fill("#repeat-password", "short")
    page.click("#account-submit")
    expect(page.locator("#account-form .alert-error")).to_contain_text("Error 422")
    expect(page.locator("#account-form .alert-error")).to_contain_text("10 characters")
    page.fill("#new-password", NEW_PASSWORD)
    page.fill("#repeat-password", NEW_PASSWORD)
    page.click("#account-submit")
    expect(page.locator(".alert-ok")).to_have_text(
        "analyst has a new password; their logins ended."
    )
    assert not can_log_in(server, "analyst", PASSWORD)
    assert can_log_in(server, "analyst", NEW_PASSWORD)  # a live login again, for what follows

    page.reload()
    expect(analyst_row.locator("td.num")).to_have_text("1")
    analyst_row.locator("[data-action=sessions]").click()
    expect(page.locator("#account-form")).to_contain_text("End the logins of analyst")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / "console-admin.png", full_page=True)
    page.click("#account-submit")
    expect(page.locator(".alert-ok")).to_have_text("1 login(s) of analyst ended.")
    expect(analyst_row.locator("td.num")).to_have_text("0")
    expect(analyst_row.locator("[data-action=sessions]")).to_be_disabled()
    assert unsafe[-1].method == "DELETE"

    # The labels in Chinese.
    page.click("#lang")
    expect(analyst_row.locator("[data-action=disable]")).to_have_text("停用")
    expect(analyst_row.locator("[data-action=password]")).to_have_text("重置密码")
    expect(page.locator("#users thead")).to_contain_text("在线登录")
    page.click("#lang")


def test_a_refusal_is_shown_as_text(browser: Browser, server: str) -> None:
    """The API's message, whatever it holds, is text (CSP off: only the escaping protects)."""
    context = browser.new_context(locale="en-US", bypass_csp=True)
    context.set_default_timeout(15_000)
    page = context.new_page()
    try:
        login(page, server, "admin")
        page.goto(f"{server}/#/admin")
        page.route(
            "**/api/admin/users/*/disable",
            lambda r: r.fulfill(status=409, json={"detail": PAYLOAD}),
        )
        row(page, "analyst").locator("[data-action=disable]").click()
        page.click("#account-submit")
        error = page.locator("#account-form .alert-error")
        expect(error).to_have_text(f"Error 409: {PAYLOAD}")
        page.wait_for_timeout(300)
        assert page.evaluate("document.querySelectorAll('[data-xss]').length") == 0
        assert page.evaluate("typeof window.__xss") == "undefined"
        page.screenshot(path=SCREENSHOTS / "console-admin-refused.png", full_page=True)
    finally:
        context.close()
