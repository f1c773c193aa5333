"""The browser part of the capability contract: every declared page, every role.

For each page each registered capability declares, a user whose role may open it sees it
drawn (its module loaded, no JavaScript error), and a user whose role may not is refused.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from telcolens.capabilities import capabilities
from tests.web.conftest import USERS, login, nav_paths

pytestmark = pytest.mark.browser
PAGES = [pytest.param(cap.name, page, id=page.path) for cap in capabilities() for page in cap.pages]


def _user(roles, *, allowed: bool) -> str | None:
    for name, role in USERS.items():
        if role != "admin" and (role in roles) == allowed:
            return name
    return None


@pytest.mark.parametrize(("capability", "declared"), PAGES)
def test_each_page_opens_for_its_roles_and_no_other(
    page: Page, server: str, fault_incidents, capability: str, declared
) -> None:
    route = declared.path.replace("{id}", "1")
    shown = declared.parent or declared.path
    who = _user(declared.roles, allowed=True)
    assert who, f"no console test user has a role that may open {declared.path}"
    login(page, server, who)
    page.goto(f"{server}/#/{route}")
    expect(page.locator("#main")).to_have_attribute("data-page", shown)
    expect(page.locator("#main > *").first).to_be_visible()
    if declared.in_nav:
        expect(page.locator(f"#nav .nav-link[data-path='{declared.path}']")).to_have_class(
            "nav-link active"
        )
    page.click("#logout")
    expect(page).to_have_url(re.compile(r"/login"))
    other = _user(declared.roles, allowed=False)
    if other is None:
        return
    login(page, server, other)
    page.goto(f"{server}/#/{route}")
    expect(page.locator("#main .alert-error")).to_have_text("Your role cannot use this page.")
    assert declared.path not in nav_paths(page)
