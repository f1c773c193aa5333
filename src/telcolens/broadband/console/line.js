// One broadband line: where it hangs, its perception score over the loaded days, its
// measures each day, and its work orders.

import { api, query } from "/static/js/api.js";
import { makeChart } from "/static/js/charts.js";
import { h, table } from "/static/js/dom.js";
import { day, num } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { cityLabel, stateBadge } from "./broadband.js";
import { facts, pageHead } from "/static/js/ui.js";

// The measures shown per day (telcolens.broadband.measures), with their decimals.
const MEASURES = [
  ["dl_mbps", 1],
  ["dl_peak_mbps", 1],
  ["ul_mbps", 1],
  ["latency_ms", 0],
  ["loss_pct", 2],
  ["dns_fail_pct", 2],
  ["disconnections", 2],
];

function scoreOption(days) {
  return {
    animationDuration: 400,
    // Text lines, escaped by makeChart (reasons come from the pipeline's data).
    tooltip: {
      trigger: "axis",
      formatter: (ps) => {
        const d = days[ps[0]?.dataIndex] || {};
        return [day(d.day), `${t("bb.col.score")}: ${num(d.score, 1)}`, d.poor ? t("bb.poor_badge") : "", d.reasons || ""].filter(Boolean);
      },
    },
    grid: { left: 40, right: 16, top: 24, bottom: 32 },
    xAxis: { type: "category", data: days.map((d) => day(d.day)) },
    yAxis: { type: "value", min: 0, max: 100 },
    series: [
      {
        name: t("bb.col.score"),
        type: "line",
        symbolSize: 7,
        data: days.map((d) => ({ value: d.score, itemStyle: { color: d.poor ? "#c92a2a" : "#1c7ed6" } })),
        lineStyle: { color: "#1c7ed6" },
      },
    ],
  };
}

function dayTable(days) {
  return table(
    [
      { label: t("bb.col.day"), value: (r) => day(r.day) },
      { label: t("bb.col.score"), value: (r) => num(r.score, 1), class: "num" },
      { label: t("bb.col.opinion"), value: (r) => num(r.opinion, 2), class: "num" },
      { label: t("bb.col.poor"), value: (r) => (r.poor ? h("span", { class: "badge status-confirmed" }, t("bb.poor_badge")) : t("app.no")) },
      ...MEASURES.map(([m, digits]) => ({ label: tOr(`bb.measure.${m}`, m), value: (r) => num(r.measures?.[m], digits), class: "num" })),
      { label: t("bb.col.reasons"), value: (r) => r.reasons || t("app.none") },
    ],
    [...days].reverse(),
    { empty: t("app.empty") },
  );
}

function orderTable(orders) {
  return table(
    [
      { label: t("bb.col.order"), value: (r) => `#${r.id}`, class: "num" },
      { label: t("bb.col.scenario"), value: (r) => tOr(`bb.scenario.${r.scenario}`, r.scenario) },
      { label: t("bb.col.action"), value: (r) => tOr(`bb.action.${r.action}`, r.action) },
      { label: t("bb.col.state"), value: (r) => stateBadge(r.state) },
      { label: t("bb.col.score_before"), value: (r) => num(r.score_before, 1), class: "num" },
      { label: t("bb.col.score_after"), value: (r) => num(r.score_after, 1), class: "num" },
    ],
    orders.items,
    { empty: t("bb.no_orders") },
  );
}

export async function render(main, ctx) {
  const id = ctx.params[0];
  const [line, orders] = await Promise.all([
    api(`/api/broadband/lines/${encodeURIComponent(id)}`),
    api(`/api/broadband/work-orders${query({ line: id, page_size: 50 })}`),
  ]);
  if (ctx.stale()) return;
  const newest = line.days[line.days.length - 1];
  const chartBox = h("div", { id: "bb-score-chart", class: "chart" });
  main.append(
    h("a", { href: "#/broadband", class: "back" }, `← ${t("bb.back")}`),
    pageHead(t("bb.line.title", { id: line.line_id })),
    h(
      "div",
      { class: "grid-2" },
      h(
        "section",
        { class: "panel", id: "bb-line-facts" },
        h("h2", {}, t("bb.line.summary")),
        facts([
          [t("bb.col.city"), cityLabel(line.city)],
          [t("bb.col.splitter"), line.splitter_id ? h("code", {}, line.splitter_id) : null],
          [t("bb.line.days"), num(line.days.length)],
          [t("bb.line.newest"), newest ? `${num(newest.score, 1)} (${day(newest.day)})` : null],
          [t("bb.line.poor_days"), num(line.days.filter((d) => d.poor).length)],
        ]),
      ),
      h("section", { class: "panel", id: "bb-line-score" }, h("h2", {}, t("bb.line.history")), chartBox),
    ),
    h("section", { class: "panel", id: "bb-line-orders" }, h("h2", {}, t("bb.orders")), orderTable(orders)),
    h("section", { class: "panel", id: "bb-line-days" }, h("h2", {}, t("bb.line.measures")), dayTable(line.days)),
  );
  makeChart(chartBox, scoreOption(line.days));
}
