// Broadband lines: the newest day's poor lines per city on the map of Shandong, the trend of
// poor lines, the work-order queue and the day's poor lines, each linking to its line page.
// Below them, the scenario breakdown, the shared-cause tickets and the before/after proof
// of the repairs (repairs.js).

import { api, query } from "/static/js/api.js";
import { echartsReady, makeChart } from "/static/js/charts.js";
import { h, select, table } from "/static/js/dom.js";
import { dateTime, day, num, share } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { loadShandong } from "/static/js/shandong.js";
import { field, pageHead, pager } from "/static/js/ui.js";
import { elementCode, proofPanel, scenarioPanel, ticketPanel } from "./repairs.js";

const PAGE_SIZE = 25;
const ORDER_PAGE_SIZE = 10;
// The work-order states (telcolens.broadband.models.STATES); the server decides, these label.
export const ORDER_STATES = ["open", "dispatched", "in_progress", "done", "failed", "cancelled"];
// The case badges' palette, so a colour means the same urgency on every page.
const STATE_TONE = {
  open: "status-new",
  dispatched: "status-under_review",
  in_progress: "status-under_review",
  done: "status-cleared",
  failed: "status-confirmed",
  cancelled: "",
};

export function cityLabel(name) {
  return name ? tOr(`city.${name}`, name) : t("bb.unknown_city");
}

export function stateBadge(state) {
  return h("span", { class: `badge order-${state} ${STATE_TONE[state] || ""}` }, tOr(`bb.state.${state}`, state));
}

export function lineLink(id) {
  return h("a", { href: `#/broadband/lines/${id}`, class: "line-link" }, String(id));
}

function card(key, value, detail, tone = "") {
  return h(
    "div",
    { class: `card ${tone}`, dataset: { card: key } },
    h("div", { class: "card-label" }, t(`bb.card.${key}`)),
    h("div", { class: "card-value" }, value),
    detail ? h("div", { class: "card-detail" }, detail) : null,
  );
}

function cards(s) {
  return h(
    "section",
    { class: "cards", "aria-label": t("bb.title") },
    card("lines", num(s.lines)),
    card("poor", num(s.poor), null, "tone-red"),
    card("share", share(s.share), null, "tone-orange"),
    card("median", num(s.median_score, 1), t("bb.card.median_detail"), "tone-blue"),
  );
}

function trendOption(rows) {
  return {
    animationDuration: 400,
    // Text lines, escaped by makeChart.
    tooltip: {
      trigger: "axis",
      formatter: (ps) => {
        const r = rows[ps[0]?.dataIndex] || {};
        return [
          day(r.day),
          `${t("bb.trend.poor")}: ${num(r.poor)}`,
          `${t("bb.trend.share")}: ${share(r.share)}`,
          `${t("bb.trend.median")}: ${num(r.median_score, 1)}`,
        ];
      },
    },
    legend: { bottom: 0 },
    grid: { left: 48, right: 48, top: 32, bottom: 56 },
    xAxis: { type: "category", data: rows.map((r) => day(r.day)) },
    yAxis: [
      { type: "value", minInterval: 1, name: t("bb.trend.poor") },
      { type: "value", name: t("bb.trend.share"), splitLine: { show: false }, axisLabel: { formatter: (v) => `${(v * 100).toFixed(1)}%` } },
    ],
    series: [
      { name: t("bb.trend.poor"), type: "bar", barMaxWidth: 24, data: rows.map((r) => r.poor), itemStyle: { color: "#d9480f" } },
      { name: t("bb.trend.share"), type: "line", yAxisIndex: 1, symbolSize: 6, data: rows.map((r) => r.share), itemStyle: { color: "#1c7ed6" } },
    ],
  };
}

function mapOption(mapName, cities) {
  const named = cities.filter((c) => c.city);
  const maxShare = Math.max(0.01, ...named.map((c) => c.share ?? 0));
  const tip = (p) => {
    const d = p.data || {};
    return [
      cityLabel(p.name),
      `${t("bb.col.lines")}: ${num(d.lines ?? 0)}`,
      `${t("bb.col.poor")}: ${num(d.poor ?? 0)}`,
      `${t("bb.col.share")}: ${share(d.value)}`,
    ];
  };
  return {
    animationDuration: 400,
    tooltip: { trigger: "item", formatter: tip },
    visualMap: {
      min: 0,
      max: maxShare,
      right: 8,
      bottom: 8,
      calculable: true,
      formatter: (v) => `${(v * 100).toFixed(1)}%`,
      inRange: { color: ["#fff5f0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"] },
      textStyle: { fontSize: 11 },
    },
    series: [
      {
        name: t("bb.col.share"),
        type: "map",
        map: mapName,
        roam: true,
        aspectScale: 0.85,
        label: {
          show: true,
          fontSize: 11,
          color: "#212529",
          textBorderColor: "#fff",
          textBorderWidth: 2,
          formatter: (p) => cityLabel(p.name),
        },
        itemStyle: { areaColor: "#f1f3f5", borderColor: "#868e96", borderWidth: 0.8 },
        emphasis: { label: { show: true }, itemStyle: { areaColor: "#ffe066" } },
        data: named.map((c) => ({ name: c.city, value: c.share, lines: c.lines, poor: c.poor })),
      },
    ],
  };
}

function cityTable(cities) {
  return table(
    [
      { label: t("bb.col.city"), value: (r) => cityLabel(r.city) },
      { label: t("bb.col.lines"), value: (r) => num(r.lines), class: "num" },
      { label: t("bb.col.poor"), value: (r) => num(r.poor), class: "num" },
      { label: t("bb.col.share"), value: (r) => share(r.share), class: "num" },
      { label: t("bb.col.median"), value: (r) => num(r.median_score, 1), class: "num" },
    ],
    [...cities].sort((a, b) => (b.share ?? 0) - (a.share ?? 0)),
    { empty: t("bb.no_data") },
  );
}

function subject(o) {
  if (o.line_id !== null && o.line_id !== undefined) return lineLink(o.line_id);
  return elementCode(o);
}

function orderTable(orders) {
  return table(
    [
      { label: t("bb.col.order"), value: (r) => `#${r.id}`, class: "num" },
      { label: t("bb.col.subject"), value: subject },
      { label: t("bb.col.scenario"), value: (r) => tOr(`bb.scenario.${r.scenario}`, r.scenario) },
      { label: t("bb.col.action"), value: (r) => tOr(`bb.action.${r.action}`, r.action) },
      { label: t("bb.col.side"), value: (r) => tOr(`bb.side.${r.side}`, r.side) },
      { label: t("bb.col.state"), value: (r) => stateBadge(r.state) },
      { label: t("bb.col.assignee"), value: (r) => r.assignee || t("app.none") },
      { label: t("bb.col.created"), value: (r) => dateTime(r.created_at) },
    ],
    orders.items,
    { empty: t("bb.no_orders"), rowAttrs: (r) => ({ dataset: { orderId: r.id } }) },
  );
}

function poorTable(list, ctx) {
  return table(
    [
      { label: t("bb.col.line"), value: (r) => lineLink(r.line_id) },
      { label: t("bb.col.city"), value: (r) => cityLabel(r.city) },
      { label: t("bb.col.score"), value: (r) => num(r.score, 1), class: "num" },
      { label: t("bb.col.reasons"), value: (r) => r.reasons || t("app.none") },
    ],
    list.items,
    {
      empty: t("bb.no_poor"),
      rowAttrs: (r) => ({
        class: "clickable",
        dataset: { lineId: r.line_id },
        onclick: (e) => {
          if (!e.target.closest("a")) ctx.navigate(`broadband/lines/${r.line_id}`);
        },
      }),
    },
  );
}

export async function render(main, ctx) {
  const q = { city: "", page: "1", state: "", orders: "1", tickets: "1", ...ctx.query };
  const page = Math.max(1, Number.parseInt(q.page, 10) || 1);
  const ordersPage = Math.max(1, Number.parseInt(q.orders, 10) || 1);
  const ticketsPage = Math.max(1, Number.parseInt(q.tickets, 10) || 1);
  const [summary, trend, poor, orders, scenarios, tickets, proof] = await Promise.all([
    api("/api/broadband/summary"),
    api("/api/broadband/trend?days=30"),
    api(`/api/broadband/poor-lines${query({ city: q.city, page, page_size: PAGE_SIZE })}`),
    api(`/api/broadband/work-orders${query({ state: q.state, page: ordersPage, page_size: ORDER_PAGE_SIZE })}`),
    api("/api/broadband/scenarios"),
    api(`/api/broadband/work-orders${query({ kind: "ticket", page: ticketsPage, page_size: ORDER_PAGE_SIZE })}`),
    api("/api/broadband/proof"),
  ]);
  if (ctx.stale()) return;
  const go = (changes) => ctx.navigate("broadband", { ...q, ...changes });
  const trendBox = h("div", { id: "bb-trend-chart", class: "chart" });
  const mapBox = h("div", { id: "bb-map-chart", class: "chart chart-map" });
  const proofBox = proofPanel(proof);
  const cityOptions = summary.cities.filter((c) => c.city).map((c) => [c.city, cityLabel(c.city)]);
  main.append(
    pageHead(
      t("bb.title"),
      h("span", { class: "muted", id: "bb-day" }, summary.day ? t("bb.as_of", { day: day(summary.day) }) : t("bb.no_run")),
    ),
    cards(summary),
    h(
      "div",
      { class: "grid-2" },
      h(
        "section",
        { class: "panel", id: "bb-trend" },
        h("h2", {}, t("bb.trend.title", { n: trend.length })),
        trendBox,
        h("h2", {}, t("bb.cities")),
        h("div", { id: "bb-cities" }, cityTable(summary.cities)),
      ),
      h("section", { class: "panel", id: "bb-map" }, h("h2", {}, t("bb.map.title")), mapBox),
    ),
    scenarioPanel(scenarios),
    ticketPanel(
      tickets,
      stateBadge,
      pager({ ...tickets, page: ticketsPage, page_size: ORDER_PAGE_SIZE }, (p) => go({ tickets: p })),
    ),
    proofBox.node,
    h(
      "section",
      { class: "panel", id: "bb-orders" },
      h("h2", {}, t("bb.orders")),
      h(
        "div",
        { class: "filters" },
        field(
          t("bb.col.state"),
          select([["", t("app.all")], ...ORDER_STATES.map((s) => [s, tOr(`bb.state.${s}`, s)])], q.state, {
            id: "bb-filter-state",
            onchange: (e) => go({ state: e.target.value, orders: 1 }),
          }),
        ),
      ),
      orderTable(orders),
      pager({ ...orders, page: ordersPage, page_size: ORDER_PAGE_SIZE }, (p) => go({ orders: p })),
    ),
    h(
      "section",
      { class: "panel", id: "bb-poor" },
      h("h2", {}, poor.day ? t("bb.poor_of", { day: day(poor.day) }) : t("bb.poor")),
      h(
        "div",
        { class: "filters" },
        field(
          t("bb.col.city"),
          select([["", t("app.all")], ...cityOptions], q.city, {
            id: "bb-filter-city",
            onchange: (e) => go({ city: e.target.value, page: 1 }),
          }),
        ),
      ),
      poorTable(poor, ctx),
      pager({ ...poor, page, page_size: PAGE_SIZE }, (p) => go({ page: p })),
    ),
  );
  makeChart(trendBox, trendOption(trend));
  proofBox.draw();
  if (!echartsReady()) {
    makeChart(mapBox, {});
    return;
  }
  const mapName = await loadShandong();
  if (ctx.stale()) return;
  makeChart(mapBox, mapOption(mapName, summary.cities));
}
