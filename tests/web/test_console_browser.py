"""The web console in a real headless Chromium against a live server on a loaded store."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Page, expect

from tests.web.conftest import PASSWORD, login, nav_paths

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
# Saved by every run (build/ is ignored); docs/img/ holds a copy from one.
SCREENSHOT = REPO / "build" / "screenshots" / "console-antifraud.png"


def test_anonymous_visit_lands_on_login(page: Page, server: str) -> None:
    page.goto(f"{server}/")
    expect(page).to_have_url(f"{server}/login")
    expect(page.locator("#login")).to_be_visible()
    expect(page.locator("button[type=submit]")).to_have_text("Sign in")


def test_wrong_password_is_refused(page: Page, server: str) -> None:
    page.goto(f"{server}/login")
    page.fill("#name", "analyst")
    page.fill("#password", "not-the-password")
    page.click("button[type=submit]")
    expect(page.locator("#error")).to_have_text("Wrong name or password.")
    expect(page).to_have_url(f"{server}/login")


def test_case_confirmed_handed_over_and_exported(page: Page, server: str) -> None:
    login(page, server, "analyst")
    assert "police" not in nav_paths(page)  # an analyst does not see the police export

    page.click("#nav a[data-path='antifraud/cases']")
    page.select_option("#filter-status", "new")
    expect(page).to_have_url(re.compile(r"status=new"))
    first = page.locator("a.case-link").first
    case_id = first.inner_text().lstrip("#")
    first.click()
    expect(page.locator("h1")).to_have_text(f"Case {case_id}")
    expect(page.locator(".page-head .badge").first).to_have_text("New")
    expect(page.locator("#case-actions button")).to_have_count(4)

    page.click("#action-review")
    expect(page.locator(".page-head .badge").first).to_have_text("Under review")
    expect(page.locator("#action-review")).to_have_count(0)

    page.click("#action-confirm")
    page.fill("#action-text", "browser test: confirmed")
    page.click("#action-submit")
    expect(page.locator(".page-head .badge").first).to_have_text("Confirmed")
    expect(page.locator(".alert-ok")).to_contain_text("Confirm fraud")

    page.click("#action-hand_over")
    page.click("#action-submit")
    expect(page.locator(".page-head .badge-police")).to_be_visible()
    expect(page.locator("#action-hand_over")).to_have_count(0)
    history = page.locator("#case-history tbody")
    for action in ("taken for review", "confirmed", "handed to police"):
        expect(history).to_contain_text(action)
    expect(history).to_contain_text("analyst")

    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))

    login(page, server, "police")
    expect(page.locator("#main")).to_have_attribute("data-page", "police")
    expect(page.locator(f"tr[data-case-id='{case_id}']")).to_contain_text("analyst")
    with page.expect_download() as download:
        page.click("#export-csv")
    text = Path(download.value.path()).read_text(encoding="utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    assert case_id in [r["case_id"] for r in rows]
    assert next(r for r in rows if r["case_id"] == case_id)["analyst"] == "analyst"
    row = page.locator(f"tr[data-case-id='{case_id}']")
    expect(row.locator(".badge")).to_have_text("Confirmed")

    # Reinstated after appeal: the row stays, and tells the liaison to withdraw it.
    with httpx.Client(base_url=server) as api:
        r = api.post("/api/auth/login", json={"name": "analyst", "password": PASSWORD})
        headers = {"Authorization": f"Bearer {r.json()['token']}"}
        r = api.post(
            f"/api/antifraud/cases/{case_id}/reinstate",
            json={"reason": "appeal upheld"},
            headers=headers,
        )
        assert r.status_code == 200, r.text
    page.reload()
    expect(row.locator(".badge-withdrawn")).to_have_text("Withdrawn: tell the centre")


def test_police_liaison_sees_only_the_police_view(page: Page, server: str) -> None:
    login(page, server, "police")
    assert nav_paths(page) == ["police"]
    expect(page.locator("#main")).to_have_attribute("data-page", "police")
    expect(page.locator("#export-csv")).to_be_visible()
    page.goto(f"{server}/#/antifraud/cases")
    expect(page.locator("#main .alert-error")).to_have_text("Your role cannot use this page.")


def test_overview_draws_trend_and_map_in_both_languages(page: Page, server: str) -> None:
    login(page, server, "admin")
    page.goto(f"{server}/#/antifraud")
    expect(page.locator("#nav .nav-link.active")).to_have_text("Overview")
    # ECharts marks a chart drawn when its first render (animation included) finishes.
    expect(page.locator("#trend-chart[data-rendered='1']")).to_have_count(1)
    expect(page.locator("#map-chart[data-rendered='1']")).to_have_count(1)
    expect(page.locator(".card").first).to_contain_text("Numbers flagged")
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.click("#lang")
    expect(page.locator(".nav-title").first).to_have_text("反诈骗")
    expect(page.locator(".card").first).to_contain_text("涉诈号码")
    expect(page.locator("#map-chart[data-rendered='1']")).to_have_count(1)
    page.screenshot(path=SCREENSHOT.with_name("console-antifraud-zh.png"), full_page=True)
    # The choice is remembered.
    page.reload()
    expect(page.locator("#nav .nav-link.active")).to_have_text("总览")
