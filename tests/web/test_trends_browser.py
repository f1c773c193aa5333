"""After `telcolens demo`, the console's trends show a month: 30 run days, 30 fault days."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, expect
from sqlalchemy.orm import sessionmaker
from typer.testing import CliRunner

from telcolens.cli import app
from telcolens.cli_daily import today
from telcolens.store.db import make_engine
from telcolens.store.users import create_user
from tests.web.conftest import PASSWORD, login, open_page, serving

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A small demo (2,000 subscribers, the default 36 days) with its store served."""
    out = tmp_path_factory.mktemp("trends") / "demo"
    result = CliRunner().invoke(
        app, ["demo", "--out", str(out), "--subscribers", "2000", "--no-serve"]
    )
    assert result.exit_code == 0, result.output
    assert "days run (trend)" in result.output and "30:" in result.output
    url = f"sqlite:///{out / 'telcolens.db'}"
    engine = make_engine(url)
    with sessionmaker(engine)() as session, session.begin():
        for name, role in (("analyst", "fraud_analyst"), ("engineer", "network_engineer")):
            create_user(session, name, role, PASSWORD, actor="test")
    engine.dispose()
    with serving(url) as base:
        yield base


def _chart(page, selector: str) -> dict:
    expect(page.locator(f"{selector}[data-rendered='1']")).to_have_count(1)
    return page.evaluate(
        """sel => {
            const o = echarts.getInstanceByDom(document.querySelector(sel)).getOption();
            return {days: o.xAxis[0].data, series: o.series.map(s => s.data)};
        }""",
        selector,
    )


def test_the_anti_fraud_trend_shows_thirty_run_days(browser: Browser, demo_server: str) -> None:
    with open_page(browser) as page:
        login(page, demo_server, "analyst")
        chart = _chart(page, "#trend-chart")
    days = [dt.date.fromisoformat(d) for d in chart["days"]]
    assert len(days) == 30
    assert days == [today() - dt.timedelta(days=29 - i) for i in range(30)]
    flagged = chart["series"][0]
    assert all(n > 0 for n in flagged)  # fraud numbers found on every day of the month
    assert flagged[-1] >= flagged[0]  # planted fraud numbers accumulate over the month


def test_the_fault_chart_shows_thirty_days_of_major_faults(
    browser: Browser, demo_server: str
) -> None:
    with open_page(browser) as page:
        login(page, demo_server, "engineer")
        page.wait_for_selector("#main[data-page='faults']")
        chart = _chart(page, "#major-chart")
    assert len(chart["days"]) == 30
    majors = chart["series"][0]
    # Faults were planted across the whole province: most days of the month had one.
    assert sum(1 for n in majors if n > 0) >= 20, majors
