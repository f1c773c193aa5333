"""The console's navigation, built from the registry: the pages a user may open.

``GET /api/auth/me`` answers with these sections; the console draws its navigation and
its routes from them, and loads each page's module when it is first opened. A page the
user's role may not open is not sent (the server decides, not the browser).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import BaseModel, Field

from telcolens.capabilities import Page, console_dir, packages
from telcolens.web import CAPABILITIES_URL, PLATFORM_PAGES_URL

# The platform's own pages, in its own section.
ADMIN_SECTION = {"en": "Administration", "zh": "系统管理"}
ADMIN_PAGES = (Page("admin", "admin.js", {"en": "Users and audit", "zh": "用户与审计"}, ()),)


class Words(BaseModel):
    en: str
    zh: str


class PagePublic(BaseModel):
    path: str = Field(description="The hash route, e.g. antifraud/cases/{id}.")
    module: str = Field(description="URL of the ES module that draws it.")
    title: Words
    nav: bool = Field(description="In the navigation, or opened from another page.")
    parent: str | None = Field(None, description="The navigation entry it belongs to.")


class SectionPublic(BaseModel):
    name: str
    title: Words
    pages: list[PagePublic]


def _public(page: Page, base: str) -> PagePublic:
    return PagePublic(
        path=page.path,
        module=f"{base}/{page.module}",
        title=Words(**page.title),
        nav=page.in_nav,
        parent=page.parent,
    )


def _sections() -> list[tuple[str, dict[str, str], str, tuple[Page, ...]]]:
    out = [
        (
            cap.name,
            cap.section or {"en": cap.title, "zh": cap.title},
            f"{CAPABILITIES_URL}/{cap.name}",
            cap.pages,
        )
        for _, cap in packages()
        if cap.pages
    ]
    out.append(("admin", ADMIN_SECTION, PLATFORM_PAGES_URL, ADMIN_PAGES))
    return out


def sections_for(role: str) -> list[SectionPublic]:
    """The sections and pages ``role`` may open (admin: all), in registry order."""
    out = []
    for name, title, base, pages in _sections():
        mine = [_public(p, base) for p in pages if role == "admin" or role in p.roles]
        if mine:
            out.append(SectionPublic(name=name, title=Words(**title), pages=mine))
    return out


def known_paths() -> list[str]:
    """Every page path of the console, so it can tell "not yours" from "no such page"."""
    return [p.path for _, _, _, pages in _sections() for p in pages]


def page_folders() -> dict[str, Path]:
    """Capability name -> the folder its page modules are served from."""
    return {cap.name: console_dir(path) for path, cap in packages() if cap.pages}
