"""The visited-places page in headless Chromium: an agent looks a number up with the
subscriber's code and by an override with a reason, and sees the subscribers per city;
markup planted in a city name renders as text."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session, sessionmaker

from telcolens import capabilities as registry
from telcolens.itinerary import otp
from telcolens.itinerary.index import Window, write_index
from telcolens.privacy import pseudonymise
from telcolens.settings import get_settings
from telcolens.store.db import make_engine, transaction, upgrade
from telcolens.store.models import AuditEntry
from telcolens.store.users import create_user
from tests.web.conftest import PASSWORD, login, serving

pytestmark = pytest.mark.browser
TRAVELLER = "13812345678"
HOMEBODY = "13900001111"
XSS = "<script>window.__xss=1</script><img src=x onerror=window.__xss=1>"
WINDOW = Window(dt.date(2026, 11, 30), dt.date(2026, 11, 16), dt.date(2026, 11, 29), 4.0)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, str]]:
    """The console on a store with an agent, over a small index; (base URL, store URL)."""
    registered = "telcolens.itinerary" in registry.BUILTIN
    if not registered:
        registry.register("telcolens.itinerary")
    tmp = tmp_path_factory.mktemp("itinerary")
    t, hb = pseudonymise(TRAVELLER), pseudonymise(HOMEBODY)
    write_index(
        tmp / "index",
        WINDOW,
        [
            (t, "Jinan", dt.date(2026, 11, 16), dt.date(2026, 11, 20), 30.0),
            (t, XSS, dt.date(2026, 11, 21), dt.date(2026, 11, 29), 50.0),
            (hb, "Jinan", dt.date(2026, 11, 16), dt.date(2026, 11, 29), 300.0),
        ],
    )
    url = f"sqlite:///{tmp / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(engine)() as s, s.begin():
        create_user(s, "agent", "itinerary_agent", PASSWORD, actor="test")
    engine.dispose()
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("TELCOLENS_ITINERARY_INDEX", str(tmp / "index"))
        get_settings.cache_clear()
        try:
            with serving(url) as base:
                yield base, url
        finally:
            get_settings.cache_clear()
            if not registered:
                registry.unregister("telcolens.itinerary")


def _open(page: Page, base: str) -> None:
    login(page, base, "agent")
    page.goto(f"{base}/#/itinerary")
    expect(page.locator("#main")).to_have_attribute("data-page", "itinerary")
    expect(page.locator("#it-cities tbody tr")).to_have_count(2)


def test_an_agent_overrides_with_a_reason_and_sees_the_cities(page: Page, site) -> None:
    base, url = site
    _open(page, base)
    jinan = page.locator("#it-cities tbody tr[data-city='Jinan'] td")
    expect(jinan).to_have_text(["Jinan", "2"])
    expect(page.locator("#it-cities-chart")).to_have_attribute("data-rendered", "1")
    expect(page.locator("#it-as-of")).to_contain_text("2026-11-30")
    page.check("#it-mode-override")
    page.fill("#it-number", HOMEBODY)
    page.fill("#it-reason", "short")
    page.click("#it-submit")
    expect(page.locator("#it-result .alert-error")).to_contain_text("at least 10")
    page.fill("#it-reason", "caller verified at the counter with an ID card")
    page.click("#it-submit")
    expect(page.locator("#it-answer code")).to_have_text("139******11")
    expect(page.locator("#it-answer tbody td.it-city")).to_have_text(["Jinan"])
    expect(page.locator("#it-answer")).to_contain_text("2026-11-16 – 2026-11-29")
    engine = make_engine(url)
    with Session(engine) as s:
        override = s.scalar(sa.select(AuditEntry).where(AuditEntry.action == "itinerary.override"))
    engine.dispose()
    assert override.actor == "agent"
    assert override.detail["reason"] == "caller verified at the counter with an ID card"


def test_a_lookup_with_the_code_shows_markup_in_a_city_as_text(page: Page, site) -> None:
    base, url = site
    engine = make_engine(url)
    with transaction(sessionmaker(engine)) as s:
        code = otp.issue(s, TRAVELLER, address=None)
    engine.dispose()
    _open(page, base)
    expect(page.locator(f"#it-cities tbody tr td.it-city >> text={XSS}")).to_have_count(1)
    page.fill("#it-number", TRAVELLER)
    page.fill("#it-code", code)
    page.click("#it-submit")
    cities = page.locator("#it-answer tbody td.it-city")
    expect(cities).to_have_text(["Jinan", XSS])
    page.hover("#it-cities-chart")  # the tooltip formatter runs on the planted name too
    assert page.evaluate("window.__xss") is None
    assert page.locator("#main img, #main script").count() == 0
    # The code is used up: a second lookup with it is refused on the page, not logged out.
    page.fill("#it-code", code)
    page.click("#it-submit")
    expect(page.locator("#it-result .alert-error")).to_contain_text("409")
    expect(page.locator("#main")).to_have_attribute("data-page", "itinerary")
