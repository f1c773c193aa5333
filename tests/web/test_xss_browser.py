"""No HTML injection in the console: markup planted in every stored field shows as text.

The store gets HTML payloads in every field the console displays (through the app's own
loading code where there is one, else through the models). A browser with the
Content-Security-Policy bypassed, so that only the console's own escaping stands between
a payload and the page, then visits every page and opens the chart tooltips. No payload
may become an element or run, and each must be readable as text.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from playwright.sync_api import Browser, Page, Route, expect
from sqlalchemy import select
from sqlalchemy.orm import sessionmaker

from telcolens.antifraud import workflow
from telcolens.antifraud.load import load_run
from telcolens.antifraud.models import FraudCase, VictimWarning, WhitelistEntry
from telcolens.faults import lifecycle
from telcolens.faults.lifecycle import RECORD_TZ, load_incidents, neighbourhoods
from telcolens.faults.models import Incident
from telcolens.store.audit import record
from telcolens.store.db import make_engine, upgrade
from telcolens.store.models import utcnow
from telcolens.store.users import create_user
from tests.web.conftest import PASSWORD, open_page

pytestmark = pytest.mark.browser
REPO = Path(__file__).resolve().parents[2]
SCREENSHOTS = REPO / "build" / "screenshots"

# Each would add an element marked data-xss (and set window.__xss) if parsed as HTML.
VARIANTS = (
    '<img src=x onerror="window.__xss=1" data-xss>',
    '<svg data-xss onload="window.__xss=1"></svg>',
    '"><script data-xss>window.__xss=1</script>',
    "'\"><img src=x data-xss onerror=window.__xss=1>",
    '" data-xss="1" autofocus onfocus="window.__xss=1" x="',
)
FIELDS = (
    "user",  # a user's name: the admin page, the header, every actor column
    "reasons",
    "rule",
    "flagged_by",
    "ev_key",
    "ev_value",
    "id_card",
    "outlet",
    "callee",
    "cell",
    "note",
    "warn_reasons",
    "outcome",
    "entity",
    "broker_reasons",
    "city",
    "root",
    "root_type",
    "alarm",
    "device",
    "upstream",
    "resolution",
    "audit_action",
    "audit_object",
    "audit_key",
    "audit_value",
    "whitelist",
    "api_error",
    "page_error",
)
P = {f: f"{VARIANTS[i % len(VARIANTS)]}xss:{f}" for i, f in enumerate(FIELDS)}
SID_NEW, SID_HANDED = 1234567890123, 2234567890123

# Counts every element marked data-xss that ever enters the document (even for a moment).
WATCH = """
window.__planted = 0;
new MutationObserver((records) => {
  for (const r of records) for (const n of r.addedNodes) {
    if (n.nodeType !== 1) continue;
    if (n.matches("[data-xss]") || n.querySelector("[data-xss]")) window.__planted += 1;
  }
}).observe(document, { childList: true, subtree: true });
"""


def _run_folder(out: Path, as_of: dt.date) -> Path:
    """An anti-fraud run folder, as `telcolens antifraud run` writes one, full of payloads."""
    (out / "cases").mkdir(parents=True)
    # The summary's figures are counts (the trend's response model says so): no text to plant.
    summary = {"as_of": as_of.isoformat(), "fraud_numbers": 3, "victim_warnings": 2}
    (out / "summary.json").write_text(json.dumps(summary))
    pd.DataFrame(
        {
            "subscriber_id": [SID_NEW, SID_HANDED],
            "score": [0.97, 0.91],
            "flagged_by": [P["flagged_by"], "rules"],
            "rules": [f"{P['rule']}, short_calls", "short_calls"],
            "reasons": [P["reasons"], P["reasons"]],
        }
    ).to_csv(out / "fraud_list.csv", index=False)
    for sid in (SID_NEW, SID_HANDED):
        case = {
            "subscriber_id": sid,
            "as_of": as_of.isoformat(),
            "first_seen": f"{as_of}T08:00:00",
            "last_seen": f"{as_of}T18:00:00",
            "evidence": {"calls_out": 120, P["ev_key"]: 1, "sim_age_days": P["ev_value"]},
            "account": {"id_card_id": P["id_card"], "sales_outlet": P["outlet"]},
            # Counts telcolens computes (never text from outside): the police view's model.
            "subscribers_reached": {"reached": 7, "answered": 3, "warned": 1},
            "sample_calls": [
                {
                    "callee": P["callee"],
                    "start_time": f"{as_of}T09:00:00",
                    "duration_s": 12,
                    "cell_id": P["cell"],
                }
            ],
        }
        (out / "cases" / f"{sid}.json").write_text(json.dumps(case))
    pd.DataFrame(
        {
            "subscriber_id": [3000000000001, 3000000000002],
            "fraud_number": [SID_NEW, SID_HANDED],
            "points": [9, 7],
            "reasons": [P["warn_reasons"], P["warn_reasons"]],
            "age": [71, 68],
            "longest_call_s": [300, 120],
            "contacts": [4, 2],
        }
    ).to_csv(out / "victim_warnings.csv", index=False)
    pd.DataFrame(
        {
            "kind": ["id_card", "outlet"],
            "entity": [P["entity"], "outlet-7"],
            "score": [0.9, 0.5],
            "sims": [12, 5],
            "flagged_sims": [4, 2],
            "reasons": [P["broker_reasons"], P["broker_reasons"]],
        }
    ).to_csv(out / "card_brokers.csv", index=False)
    pd.DataFrame(
        {
            "subscriber_id": [SID_NEW, SID_HANDED],
            "cell_id": [370100001, 370200002],
            "city": [P["city"], "Jinan"],
            "lat": [36.07, 36.67],
            "lon": [120.38, 117.0],
            "calls": [40, 25],
        }
    ).to_csv(out / "activity.csv", index=False)
    return out


def _incident_frames() -> tuple[pd.DataFrame, ...]:
    """One incident whose devices, alarm type and links are all payloads."""
    opened = pd.Timestamp.now(tz=RECORD_TZ).tz_localize(None).floor("min") - pd.Timedelta(hours=2)
    incidents = pd.DataFrame(
        {
            "incident_id": ["X1"],
            "root_ne_id": [P["root"]],
            "root_alarm_type": [P["root_type"]],
            "opened_at": [opened],
            "last_alarm_at": [opened + pd.Timedelta(minutes=5)],
            "cleared_at": [None],
            "alarm_count": [2],
            "device_count": [3],
            "severity": ["major"],
        }
    )
    alarm_incidents = pd.DataFrame({"alarm_id": [P["alarm"], "a2"], "incident_id": ["X1", "X1"]})
    alarms = pd.DataFrame({"alarm_id": [P["alarm"], "a2"], "ne_id": [P["device"], P["root"]]})
    links = pd.DataFrame(
        {
            "a_ne_id": [P["upstream"], P["root"]],
            "b_ne_id": [P["root"], P["device"]],
            "link_type": ["power", "fibre"],
        }
    )
    return incidents, alarm_incidents, alarms, links


@pytest.fixture(scope="module")
def console_db(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A store holding payloads in every field the console shows (overrides conftest's)."""
    tmp = tmp_path_factory.mktemp("xss")
    as_of = dt.date.today()
    url = f"sqlite:///{tmp / 'xss.db'}"
    engine = make_engine(url)
    upgrade(engine)
    with sessionmaker(engine)() as session, session.begin():
        # User names are checked on creation; a name from elsewhere (a directory) might not be.
        create_user(session, "xssadmin", "admin", PASSWORD, actor="test").name = P["user"]
        load_run(session, _run_folder(tmp / "run", as_of), P["user"])
        handed = session.scalars(select(FraudCase).where(FraudCase.subscriber_id == SID_HANDED))
        case = handed.one()
        workflow.review(session, case, P["user"])
        workflow.confirm(session, case, P["user"], note=P["note"])
        workflow.hand_over(session, case, P["user"])
        warning = session.scalars(select(VictimWarning).order_by(VictimWarning.id)).first()
        warning.contacted_at, warning.contacted_by, warning.outcome = (
            utcnow(),
            P["user"],
            P["outcome"],
        )
        session.add(
            WhitelistEntry(
                subscriber_id=4000000000001,
                category="courier",
                note=P["whitelist"],
                added_by=P["user"],
            )
        )
        frames = _incident_frames()
        load_incidents(session, frames[0], frames[1], P["user"], topology=neighbourhoods(*frames))
        session.flush()
        incident = session.scalars(select(Incident)).one()
        lifecycle.acknowledge(session, incident, P["user"])
        lifecycle.resolve(session, incident, P["user"], P["resolution"])
        record(
            session,
            P["user"],
            P["audit_action"],
            P["audit_object"],
            P["audit_object"],
            **{P["audit_key"]: P["audit_value"], "nested": {"k": P["audit_value"]}},
        )
    engine.dispose()
    return url


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    """A context without the CSP: the console's escaping is all that stands in the way."""
    with open_page(browser, WATCH, bypass_csp=True) as pg:
        yield pg


def assert_inert(page: Page) -> None:
    assert page.evaluate("document.querySelectorAll('[data-xss]').length") == 0
    assert page.evaluate("window.__planted") == 0, "a payload became an element"
    assert page.evaluate("typeof window.__xss") == "undefined", "a payload ran"


def shows(page: Page, where: str, *fields: str) -> None:
    """Each field's payload is on the page, as text, inside `where`."""
    for f in fields:
        expect(page.locator(where).first).to_contain_text(P[f])


def visit(page: Page, base: str, path: str, ready: str) -> None:
    page.goto(f"{base}/#/{path}")
    page.wait_for_selector(ready)


def show_tip(page: Page, chart: str, series: int, index: int) -> None:
    """Open an ECharts tooltip on a data item, as a hover would."""
    page.evaluate(
        """([chart, seriesIndex, dataIndex]) => echarts
              .getInstanceByDom(document.querySelector(chart))
              .dispatchAction({type: 'showTip', seriesIndex, dataIndex})""",
        [chart, series, index],
    )


def data_index(page: Page, chart: str, series: int, key: str, value: str) -> int:
    """The index of the series item whose `key` is `value`."""
    return page.evaluate(
        """([chart, series, key, value]) => echarts.getInstanceByDom(document.querySelector(chart))
              .getOption().series[series].data.findIndex((d) => d[key] === value)""",
        [chart, series, key, value],
    )


def login_as_payload(page: Page, base: str) -> None:
    page.goto(f"{base}/login")
    page.fill("#name", P["user"])
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_selector("#nav .nav-link")


def test_planted_markup_shows_as_text_on_every_page(page: Page, server: str) -> None:
    login_as_payload(page, server)
    shows(page, "#who", "user")

    # Overview: the top-cities table, the map's cell and city tooltips, the trend tooltip.
    visit(page, server, "antifraud", "#map-chart[data-rendered='1']")
    shows(page, "#main table", "city")
    cell = data_index(page, "#map-chart", 1, "city", P["city"])
    assert cell >= 0
    show_tip(page, "#map-chart", 1, cell)
    shows(page, "#map-chart", "city")
    show_tip(page, "#map-chart", 0, data_index(page, "#map-chart", 0, "name", "Jinan"))
    expect(page.locator("#map-chart")).to_contain_text("Jinan")
    show_tip(page, "#map-chart", 0, data_index(page, "#map-chart", 0, "name", P["city"]))
    page.wait_for_selector("#trend-chart[data-rendered='1']")
    show_tip(page, "#trend-chart", 2, 0)  # the victims' line: the run's flagged count is no number
    expect(page.locator("#trend-chart")).to_contain_text("Numbers flagged")
    assert_inert(page)

    visit(page, server, "antifraud/cases", "a.case-link")
    shows(page, "#main table", "rule", "flagged_by", "user")
    assert_inert(page)

    for sid, fields in (
        (SID_NEW, ("reasons", "rule", "ev_key", "ev_value", "id_card", "outlet")),
        (SID_HANDED, ("reasons", "note", "user", "callee", "cell")),
    ):
        visit(page, server, "antifraud/cases", "a.case-link")
        page.locator("tr", has_text=str(sid)).locator("a.case-link").click()
        page.wait_for_selector("#case-history")
        shows(page, "#main", *fields)
        assert_inert(page)
    shows(page, "#case-history", "user", "note")  # the audit detail of the confirmation

    visit(page, server, "antifraud/warnings", "#main table")
    shows(page, "#main table", "warn_reasons", "user", "outcome")
    assert_inert(page)

    visit(page, server, "antifraud/brokers", "#main table")
    shows(page, "#main table", "entity", "broker_reasons")
    assert_inert(page)

    visit(page, server, "police", "#main table")
    shows(page, "#main table", "reasons", "user")
    assert_inert(page)

    visit(page, server, "faults", "#incidents table")
    shows(page, "#incidents", "root", "root_type", "user")
    assert_inert(page)

    page.locator("a.incident-link").first.click()
    page.wait_for_selector("#topology-chart[data-rendered='1']")
    shows(page, "#incident-facts", "root", "root_type", "user", "resolution")
    shows(page, "#incident-alarms", "alarm")
    shows(page, "#incident-history", "user")
    nodes = [P["root"], P["device"], P["upstream"]]
    for name in nodes:
        show_tip(page, "#topology-chart", 0, data_index(page, "#topology-chart", 0, "name", name))
        expect(page.locator("#topology-chart")).to_contain_text(name)
    # A link's tooltip: hover the middle of the first link, once the force layout has
    # stopped moving the nodes (hovering while they move may land on a node instead).
    page.evaluate(
        """async () => {
          const chart = echarts.getInstanceByDom(document.querySelector('#topology-chart'));
          const edge = chart.getModel().getSeriesByIndex(0).getGraph().getEdgeByIndex(0);
          const where = () => JSON.stringify([edge.node1.getLayout(), edge.node2.getLayout()]);
          for (let i = 0, last = null; i < 50 && where() !== last; i++) {
            last = where();
            await new Promise((r) => setTimeout(r, 200));
          }
          const [a, b] = [edge.node1.getLayout(), edge.node2.getLayout()];
          // The point of the link nearest its middle that no node's symbol covers: a
          // short link's middle can lie under a node, whose tooltip would show instead.
          const series = chart.getModel().getSeriesByIndex(0);
          const line = series.getEdgeData().getItemGraphicEl(edge.dataIndex);
          const onLine = (el) => { for (; el; el = el.parent) if (el === line) return true; };
          const middle = [(a[0] + b[0]) / 2, (a[1] + b[1]) / 2];
          let at = null;
          for (const t of [0.5, 0.4, 0.6, 0.3, 0.7, 0.2, 0.8]) {
            const p = [a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t];
            const [x, y] = chart.convertToPixel({seriesIndex: 0}, p);
            if (onLine(chart.getZr().findHover(x, y).target)) { at = [x, y]; break; }
          }
          const [x, y] = at || chart.convertToPixel({seriesIndex: 0}, middle);
          chart.dispatchAction({type: 'showTip', x, y});
        }"""
    )
    expect(page.locator("#topology-chart")).to_contain_text(f"{P['upstream']} → {P['root']}")
    page.screenshot(path=SCREENSHOTS / "xss-incident.png", full_page=True)
    assert_inert(page)

    visit(page, server, "admin", "#main table")
    shows(page, "#main", "user", "audit_action", "audit_object", "audit_key", "audit_value")
    page.screenshot(path=SCREENSHOTS / "xss-admin.png", full_page=True)
    assert_inert(page)

    # The API's error messages: a failed action, and a page that cannot load.
    def refuse(route: Route) -> None:
        route.fulfill(status=409, json={"detail": P["api_error"]})

    page.route("**/api/antifraud/warnings/*/contacted", refuse)
    visit(page, server, "antifraud/warnings", "#main table")
    page.locator("button[data-warning]").first.click()
    shows(page, "#main .alert-error", "api_error")
    page.route(
        "**/api/antifraud/brokers*",
        lambda r: r.fulfill(status=500, json={"detail": P["page_error"]}),
    )
    visit(page, server, "antifraud/brokers", "#main .alert-error")
    shows(page, "#main .alert-error", "page_error")

    page.wait_for_timeout(300)  # an <img onerror> fires once its load fails
    assert_inert(page)
