"""The fault pages in headless Chromium: the clocks, the incident list, an incident's lifecycle."""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Page, expect

from telcolens.faults.lifecycle import RECORD_TZ
from tests.web.conftest import login, nav_paths

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
# Saved by every run (build/ is ignored); docs/img/ holds a copy from one.
SCREENSHOT = REPO / "build" / "screenshots" / "console-faults.png"


def card_value(page: Page, key: str):
    return page.locator(f".card[data-card='{key}'] .card-value")


def hours_since(opened: pd.Timestamp) -> float:
    return (pd.Timestamp.now(tz=RECORD_TZ).tz_localize(None) - opened) / pd.Timedelta(hours=1)


def test_engineer_acknowledges_and_resolves_an_incident(
    page: Page, server: str, fault_incidents: pd.DataFrame
) -> None:
    f1 = fault_incidents.set_index("incident_id").loc["F1"]
    login(page, server, "engineer")
    assert nav_paths(page) == ["faults"]  # nothing of anti-fraud for a network engineer
    expect(page.locator("#main")).to_have_attribute("data-page", "faults")
    expect(page.locator("h1")).to_have_text("Fault diagnosis")
    cards = {"open_now": "3", "incidents": "3", "major": "2", "mtta": "—", "mttr": "—"}
    for key, value in cards.items():
        expect(card_value(page, key)).to_have_text(value)
    expect(page.locator("#major-chart[data-rendered='1']")).to_have_count(1)

    rows = page.locator("#incidents tbody tr")
    expect(rows).to_have_count(3)
    first = page.locator("tr", has_text="AGG-3701-01")
    opened = f1.opened_at.strftime("%Y-%m-%d %H:%M")  # as recorded: China Standard Time
    for text in ("Major", "major fault", "LINK_DOWN", "120", "40", opened):
        expect(first).to_contain_text(text)
    expect(page.locator("tr", has_text="OLT-1")).to_contain_text("Minor")

    page.select_option("#filter-status", "resolved")
    expect(page).to_have_url(re.compile(r"status=resolved"))
    expect(page.locator("#incidents .empty")).to_be_visible()
    page.select_option("#filter-status", "open")
    expect(rows).to_have_count(3)

    first.locator("a.incident-link").click()
    expect(page.locator("h1")).to_have_text(re.compile(r"^Incident \d+$"))
    expect(page.locator(".page-head .badge").first).to_have_text("Open")
    expect(page.locator("#incident-alarms")).to_contain_text("2 of 120 alarm ids")
    expect(page.locator("#incident-alarms tbody tr")).to_have_count(2)
    expect(page.locator("#topology-chart[data-rendered='1']")).to_have_count(1)
    expect(page.locator("#incident-topology")).to_contain_text("Root cause on the topology")
    expect(page.locator("#action-resolve")).to_be_visible()

    page.click("#action-acknowledge")
    expect(page.locator(".page-head .badge").first).to_have_text("Acknowledged")
    expect(page.locator("#action-acknowledge")).to_have_count(0)
    expect(page.locator(".alert-ok")).to_contain_text("Incident acknowledged")
    expect(page.locator("#incident-facts")).to_contain_text("engineer")

    page.click("#action-resolve")
    page.fill("#resolution-text", "spliced the fibre at the aggregation site")
    page.click("#resolve-submit")
    expect(page.locator(".page-head .badge").first).to_have_text("Resolved")
    expect(page.locator(".alert-ok")).to_have_text("Incident resolved.")
    expect(page.locator("#action-resolve")).to_have_count(0)
    expect(page.locator("#incident-facts")).to_contain_text("spliced the fibre")
    history = page.locator("#incident-history tbody")
    expect(history.locator("tr")).to_have_count(2)
    for text in ("acknowledged", "resolved", "engineer"):
        expect(history).to_contain_text(text)
    SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOT.with_name("console-incident.png"), full_page=True)

    page.click("a.back")
    expect(page.locator("#main")).to_have_attribute("data-page", "faults")
    expect(card_value(page, "open_now")).to_have_text("2")
    mttr = card_value(page, "mttr")
    expect(mttr).to_have_text(re.compile(r"^\d+\.\d h$"))
    # The one resolved incident: MTTR is its time from the first alarm until now.
    assert float(mttr.inner_text().split()[0]) == pytest.approx(hours_since(f1.opened_at), abs=0.2)
    expect(card_value(page, "mtta")).to_have_text(mttr.inner_text())
    expect(page.locator("tr", has_text="AGG-3701-01")).to_contain_text("engineer")

    page.select_option("#filter-status", "")
    expect(rows).to_have_count(3)
    page.screenshot(path=SCREENSHOT, full_page=True)

    page.click("#lang")
    expect(page.locator("h1")).to_have_text("故障诊断")
    expect(card_value(page, "mttr")).to_have_text(re.compile(r"^\d+\.\d 小时$"))
    expect(page.locator("#major-chart[data-rendered='1']")).to_have_count(1)
    expect(page.locator("tr", has_text="AGG-3701-01")).to_contain_text("已解决")
    page.screenshot(path=SCREENSHOT.with_name("console-faults-zh.png"), full_page=True)


def test_fault_pages_are_for_engineers_and_admin(
    page: Page, server: str, fault_incidents: pd.DataFrame
) -> None:
    login(page, server, "analyst")
    assert "faults" not in nav_paths(page)
    page.goto(f"{server}/#/faults/incidents/1")
    expect(page.locator("#main .alert-error")).to_have_text("Your role cannot use this page.")
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))

    login(page, server, "admin")
    assert "faults" in nav_paths(page)
    page.click("#nav a[data-path='faults']")
    expect(page.locator("#incidents tbody tr")).to_have_count(len(fault_incidents))
