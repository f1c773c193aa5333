"""The broadband pages in headless Chromium, on a small generated province's results.

The page shows the newest day's figures, the trend of poor lines, the map of poor-line
shares by city, the work-order queue, the scenario breakdown, the shared-cause tickets, the
before/after proof of the repairs and the poor lines; a line opens its own page with its
score history. Markup planted in a city, a reason, an order or a proof renders as text.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from telcolens import engine as engines
from telcolens.broadband.day import run_demo
from telcolens.broadband.results import load_line_days, load_proof, load_scores_file
from telcolens.broadband.workorders import create_work_order, transition
from telcolens.capabilities import DemoContext
from telcolens.cli import app
from telcolens.cli_daily import today
from telcolens.dataset import read_table
from telcolens.store.db import make_engine, upgrade
from telcolens.store.users import create_user
from tests.broadband.test_results import lines as synthetic_lines
from tests.broadband.test_results import scores as synthetic_scores
from tests.web.conftest import PASSWORD, login, nav_paths, open_page, serving

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SCREENSHOT = REPO / "build" / "screenshots" / "console-broadband.png"
PAGE_SIZE = 25  # broadband.js's poor-lines page


def _store(tmp: Path) -> str:
    url = f"sqlite:///{tmp / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(engine)() as s, s.begin():
        create_user(s, "broadband", "broadband_engineer", PASSWORD, actor="test")
        create_user(s, "analyst", "fraud_analyst", PASSWORD, actor="test")
    engine.dispose()
    return url


@pytest.fixture(scope="module")
def results(province: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[str, pd.DataFrame]:
    """The broadband demo step's scores over the test province, with two work orders.

    Returns the store's URL and the scored line days with their cities.
    """
    tmp = tmp_path_factory.mktemp("broadband")
    con = engines.connect("duckdb")
    ctx = DemoContext(province, tmp / "results", "duckdb", con, engines.tables(con, province))
    result = run_demo(ctx)
    url = _store(tmp)
    scored = pd.read_parquet(result.outputs[0])
    where = read_table(province, "broadband_lines").to_pandas()[["line_id", "city", "splitter_id"]]
    scored = scored.merge(where, "left", "line_id")
    newest = scored[scored.day == scored.day.max()]
    worst = newest[newest.poor == 1].sort_values(["score", "line_id"]).iloc[0]
    engine = make_engine(url)
    with sessionmaker(engine)() as s, s.begin():
        load_scores_file(s, result.outputs[0], province, "test")  # the orders: below
        day = pd.Timestamp(worst.day).date()
        order = create_work_order(
            s,
            {"scenario": "wifi_coverage", "action": "remote_channel_change", "day": day}
            | {"line_id": int(worst.line_id), "score": float(worst.score)},
            "broadband",
        )
        transition(s, order, "start", "broadband")  # a remote fix: started, never dispatched
        ticket = create_work_order(
            s,
            {"scenario": "optical_splitter", "action": "field_visit", "day": day}
            | {
                "element": worst.splitter_id,
                "element_type": "splitter",
                "lines": [int(worst.line_id)],
            },
            "broadband",
        )
        transition(s, ticket, "dispatch", "broadband", assignee="street crew 7")
    engine.dispose()
    return url, scored


@pytest.fixture(scope="module")
def server(results: tuple[str, pd.DataFrame]) -> Iterator[str]:
    with serving(results[0]) as base:
        yield base


def _chart(page: Page, selector: str) -> dict:
    expect(page.locator(f"{selector}[data-rendered='1']")).to_have_count(1)
    return page.evaluate(
        """sel => {
            const o = echarts.getInstanceByDom(document.querySelector(sel)).getOption();
            return {days: (o.xAxis || [{}])[0].data, series: o.series.map(s => s.data)};
        }""",
        selector,
    )


def card(page: Page, key: str):
    return page.locator(f".card[data-card='{key}'] .card-value")


def test_engineer_sees_trend_map_queue_and_poor_lines(
    browser: Browser, server: str, results: tuple[str, pd.DataFrame]
) -> None:
    _, scored = results
    days = sorted(pd.Timestamp(d).date() for d in scored.day.unique())
    newest = scored[scored.day == scored.day.max()]
    poor = newest[newest.poor == 1].sort_values(["score", "line_id"])
    with open_page(browser) as page:
        login(page, server, "broadband")
        assert nav_paths(page) == ["broadband"]
        expect(page.locator("#main")).to_have_attribute("data-page", "broadband")
        expect(page.locator("h1")).to_have_text("Broadband lines")
        expect(page.locator("#bb-day")).to_have_text(f"Scores of {days[-1]}")
        expect(card(page, "lines")).to_have_text(f"{len(newest):,}")
        expect(card(page, "poor")).to_have_text(f"{len(poor):,}")
        expect(card(page, "share")).to_have_text(f"{len(poor) / len(newest):.1%}")

        trend = _chart(page, "#bb-trend-chart")
        assert trend["days"] == [d.isoformat() for d in days]
        per_day = scored.groupby("day").poor.sum()
        assert trend["series"][0] == [int(per_day.loc[d]) for d in sorted(per_day.index)]

        shown = _chart(page, "#bb-map-chart")["series"][0]
        by_city = newest.groupby("city").poor.agg(["mean", "size"])
        assert {c["name"] for c in shown} == set(by_city.index)
        for c in shown:
            assert c["value"] == pytest.approx(by_city.loc[c["name"], "mean"])
            assert c["lines"] == by_city.loc[c["name"], "size"]
        expect(page.locator("#bb-cities tbody tr")).to_have_count(len(by_city))

        orders = page.locator("#bb-orders tbody tr")
        expect(orders).to_have_count(2)
        line_order = page.locator("#bb-orders tr", has_text="Wi-Fi coverage")
        for text in ("Wi-Fi channel change", "Home", "In progress", "broadband"):
            expect(line_order).to_contain_text(text)
        ticket = page.locator("#bb-orders tr", has_text="Optical power, splitter")
        splitter = poor.iloc[0].splitter_id
        for text in ("Splitter", splitter, "Field visit", "Street", "Dispatched", "street crew 7"):
            expect(ticket).to_contain_text(text)
        page.select_option("#bb-filter-state", "dispatched")
        expect(page).to_have_url(re.compile(r"state=dispatched"))
        expect(orders).to_have_count(1)
        expect(orders.first).to_contain_text("street crew 7")

        rows = page.locator("#bb-poor tbody tr")
        expect(rows).to_have_count(min(PAGE_SIZE, len(poor)))
        first = rows.first
        worst = poor.iloc[0]
        expect(first).to_contain_text(str(worst.line_id))
        expect(first).to_contain_text(f"{worst.score:.1f}")
        expect(first).to_contain_text(worst.reasons.split(";")[0])
        city = by_city["size"].idxmax()
        page.select_option("#bb-filter-city", city)
        expect(page).to_have_url(re.compile(r"city="))
        in_city = poor[poor.city == city]
        expect(rows).to_have_count(min(PAGE_SIZE, len(in_city)))
        for i in range(min(3, len(in_city))):
            expect(rows.nth(i)).to_contain_text(city)
        SCREENSHOT.parent.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOT), full_page=True)

        rows.first.locator("a.line-link").click()
        line_id = int(in_city.iloc[0].line_id)
        expect(page.locator("h1")).to_have_text(f"Line {line_id}")
        expect(page.locator("#main")).to_have_attribute("data-page", "broadband")
        history = scored[scored.line_id == line_id].sort_values("day")
        chart = _chart(page, "#bb-score-chart")
        assert chart["days"] == [pd.Timestamp(d).date().isoformat() for d in history.day]
        values = [p["value"] for p in chart["series"][0]]
        assert values == pytest.approx(list(history.score))
        expect(page.locator("#bb-line-days tbody tr")).to_have_count(len(history))
        expect(page.locator("#bb-line-facts")).to_contain_text(city)


def test_the_worst_line_shows_its_orders(browser: Browser, server: str, results) -> None:
    _, scored = results
    newest = scored[scored.day == scored.day.max()]
    worst = newest[newest.poor == 1].sort_values(["score", "line_id"]).iloc[0]
    with open_page(browser) as page:
        login(page, server, "broadband")
        page.goto(f"{server}/#/broadband/lines/{worst.line_id}")
        # Its own order and the ticket on its splitter, which stands for it.
        expect(page.locator("#bb-line-orders tbody tr")).to_have_count(2)
        for state in ("In progress", "Dispatched"):
            expect(page.locator("#bb-line-orders")).to_contain_text(state)
        page.goto(f"{server}/#/broadband/lines/1")
        expect(page.locator("#main .alert-error")).to_contain_text("404")


def test_other_roles_cannot_open_it(browser: Browser, server: str) -> None:
    with open_page(browser) as page:
        login(page, server, "analyst")
        assert "broadband" not in nav_paths(page)
        page.goto(f"{server}/#/broadband")
        expect(page.locator("#main .alert-error")).to_have_text("Your role cannot use this page.")


# Each would add an element marked data-xss (and set window.__xss) if parsed as HTML.
CITY = '<img src=x onerror="window.__xss=1" data-xss>xss:city'
REASONS = '"><script data-xss>window.__xss=1</script>xss:reasons'
SPLITTER = '<svg data-xss onload="window.__xss=1"></svg>xss:splitter'
ASSIGNEE = "'\"><img src=x data-xss onerror=window.__xss=1>xss:who"
SCENARIO = "<b data-xss>xss:scenario</b>"  # 32 characters at most: the store's column

WATCH = """
window.__planted = 0;
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType !== 1) continue;
    if (n.matches("[data-xss]") || n.querySelector("[data-xss]")) window.__planted += 1;
  }
}).observe(document, { childList: true, subtree: true });
"""


@pytest.fixture(scope="module")
def planted(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, int]]:
    """A store whose line days carry markup in a city, the reasons and a splitter."""
    url = _store(tmp_path_factory.mktemp("broadband-xss"))
    day = dt.date(2026, 11, 2)
    frame = synthetic_scores(day, 30, seed=9)
    frame["reasons"] = frame["reasons"].where(frame.poor == 0, REASONS)
    where = synthetic_lines(30)
    where.loc[where.city == "Qingdao", "city"] = CITY
    where["splitter_id"] = SPLITTER
    poor = frame[frame.poor == 1].sort_values("score")
    line = int(poor[poor.line_id % 3 == 2].line_id.iloc[0])  # a planted city's line
    engine = make_engine(url)
    with sessionmaker(engine)() as s, s.begin():
        load_line_days(s, frame, where, "test")
        order = create_work_order(
            s,
            {"scenario": "optical_splitter", "action": "field_visit", "day": day}
            | {"element": SPLITTER[:60], "element_type": "splitter", "lines": [line]},
            "broadband",
        )
        transition(s, order, "dispatch", "broadband", assignee=ASSIGNEE[:60])
        proof = {
            "scenario": SCENARIO[:32], "action": ASSIGNEE[:32], "repairs": 2, "lines": 2,
            "score_before": 20.0, "score_after": 70.0, "poor_before": 2, "recovered": 0.5,
            "complaints_before": 100.0, "complaints_after": 0.0, "closed_as_fixed": 2,
            "fixed_still_poor": 1, "first_repair_day": day, "last_repair_day": day,
        }  # fmt: skip
        load_proof(s, pd.DataFrame([proof]), 7, "test")
    engine.dispose()
    with serving(url) as base:
        yield base, line


def _tip(page: Page, chart: str, index: int) -> None:
    page.evaluate(
        """([chart, dataIndex]) => echarts.getInstanceByDom(document.querySelector(chart))
              .dispatchAction({type: 'showTip', seriesIndex: 0, dataIndex})""",
        [chart, index],
    )


def _inert(page: Page) -> None:
    assert page.evaluate("document.querySelectorAll('[data-xss]').length") == 0
    assert page.evaluate("window.__planted") == 0, "a payload became an element"
    assert page.evaluate("typeof window.__xss") == "undefined", "a payload ran"


def test_planted_markup_shows_as_text(browser: Browser, planted: tuple[str, int]) -> None:
    base, line = planted
    with open_page(browser, WATCH, bypass_csp=True) as page:
        login(page, base, "broadband")
        page.wait_for_selector("#bb-map-chart[data-rendered='1']")
        expect(page.locator("#bb-cities")).to_contain_text("xss:city")
        expect(page.locator("#bb-poor")).to_contain_text("xss:city")
        expect(page.locator("#bb-poor")).to_contain_text("xss:reasons")
        expect(page.locator("#bb-poor")).to_contain_text(REASONS)
        expect(page.locator("#bb-orders")).to_contain_text(SPLITTER[:60])
        expect(page.locator("#bb-orders")).to_contain_text(ASSIGNEE[:60])
        # The map's tooltip for the planted city (no outline has its name: the tooltip is
        # drawn only for named shapes, so the trend's tooltip and a real city's are shown).
        names = page.evaluate(
            """() => echarts.getInstanceByDom(document.querySelector('#bb-map-chart'))
                  .getOption().series[0].data.map((d) => d.name)"""
        )
        assert CITY in names
        _tip(page, "#bb-map-chart", names.index("Jinan"))
        expect(page.locator("#bb-map-chart")).to_contain_text("Jinan")
        _tip(page, "#bb-map-chart", names.index(CITY))
        _tip(page, "#bb-trend-chart", 0)
        expect(page.locator("#bb-trend-chart")).to_contain_text("Poor lines")
        expect(page.locator("#bb-tickets")).to_contain_text(SPLITTER[:60])
        expect(page.locator("#bb-scenarios")).to_contain_text("Optical power, splitter")
        expect(page.locator("#bb-proof tbody")).to_contain_text(SCENARIO[:32])
        expect(page.locator("#bb-proof tbody")).to_contain_text(ASSIGNEE[:32])
        page.wait_for_selector("#bb-proof-chart[data-rendered='1']")
        _tip(page, "#bb-proof-chart", 0)
        expect(page.locator("#bb-proof-chart")).to_contain_text("xss:scenario")
        _inert(page)

        page.goto(f"{base}/#/broadband/lines/{line}")
        page.wait_for_selector("#bb-score-chart[data-rendered='1']")
        expect(page.locator("#bb-line-facts")).to_contain_text("xss:city")
        expect(page.locator("#bb-line-facts")).to_contain_text("xss:splitter")
        expect(page.locator("#bb-line-days")).to_contain_text(REASONS)
        _tip(page, "#bb-score-chart", 0)
        expect(page.locator("#bb-score-chart")).to_contain_text("xss:reasons")
        _inert(page)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`telcolens demo` on a small province (the default 36 days), its store served."""
    out = tmp_path_factory.mktemp("broadband-demo") / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--subscribers", "1000", "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    url = f"sqlite:///{out / 'telcolens.db'}"
    engine = make_engine(url)
    with sessionmaker(engine)() as s, s.begin():
        create_user(s, "broadband", "broadband_engineer", PASSWORD, actor="test")
    engine.dispose()
    with serving(url) as base:
        yield base


def test_after_the_demo_the_trend_shows_thirty_days(browser: Browser, demo: str) -> None:
    with open_page(browser) as page:
        login(page, demo, "broadband")
        chart = _chart(page, "#bb-trend-chart")
        expect(page.locator("#bb-trend h2").first).to_have_text("Poor lines, last 30 days")
    days = [dt.date.fromisoformat(d) for d in chart["days"]]
    # The demo's province ends the day before today; its newest 30 days are the trend.
    assert days == [today() - dt.timedelta(days=30 - i) for i in range(30)]
    poor, share = chart["series"]
    # Lines were scored on every day (a share, not null), and the month had poor lines.
    assert all(isinstance(x, float | int) for x in share), share
    assert sum(poor) > 0 and sum(1 for n in poor if n > 0) >= 15, poor


def test_after_the_demo_the_diagnosis_fills_the_queue_and_the_proof(
    browser: Browser, demo: str
) -> None:
    with open_page(browser) as page:
        login(page, demo, "broadband")
        # The demo's last week has poor lines of several scenarios, and shared causes.
        scenarios = page.locator("#bb-scenarios tbody tr")
        expect(scenarios.first).to_have_attribute("data-scenario", re.compile(r"^[a-z_]+$"))
        assert scenarios.count() >= 3
        expect(page.locator("#bb-tickets tbody tr[data-order-id]").first).to_be_visible()
        # Its repairs are judged on the weeks around them, scenario by scenario.
        proof = _chart(page, "#bb-proof-chart")
        before, after = proof["series"]
        assert len(before) == len(after) >= 3
        assert sum(after) > sum(before)  # the repairs raised the scores on the whole
        assert page.locator("#bb-proof tbody tr[data-scenario]").count() >= len(before)
        page.locator("#bb-proof").scroll_into_view_if_needed()
        page.screenshot(
            path=str(SCREENSHOT.with_name("console-broadband-demo.png")), full_page=True
        )
