// The broadband page's repair panels: the scenario breakdown of the active work orders, the
// shared-cause tickets (one per splitter, PON port or OLT), and the proof: each scenario's
// perception score the week before and after its repairs, with the complaint rates.

import { makeChart } from "/static/js/charts.js";
import { h, table } from "/static/js/dom.js";
import { day, num, share } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";

const scenarioLabel = (s) => tOr(`bb.scenario.${s}`, s);
const actionLabel = (a) => tOr(`bb.action.${a}`, a);

export function scenarioPanel(rows) {
  return h(
    "section",
    { class: "panel", id: "bb-scenarios" },
    h("h2", {}, t("bb.scenarios")),
    table(
      [
        { label: t("bb.col.scenario"), value: (r) => scenarioLabel(r.scenario) },
        { label: t("bb.col.side"), value: (r) => tOr(`bb.side.${r.side}`, r.side) },
        { label: t("bb.col.line_orders"), value: (r) => num(r.line_orders), class: "num" },
        { label: t("bb.col.tickets"), value: (r) => num(r.tickets), class: "num" },
        { label: t("bb.col.ticket_lines"), value: (r) => num(r.ticket_lines), class: "num" },
      ],
      rows,
      { empty: t("bb.no_scenarios"), rowAttrs: (r) => ({ dataset: { scenario: r.scenario } }) },
    ),
  );
}

// An order's element as "PON port OLT-.../0/1/0", in code type; the queue's tables share it.
export function elementCode(r) {
  return h("code", {}, `${tOr(`bb.element.${r.element_type}`, r.element_type || "")} ${r.element || ""}`);
}

export function ticketPanel(page, stateBadge, pager) {
  return h(
    "section",
    { class: "panel", id: "bb-tickets" },
    h("h2", {}, t("bb.tickets")),
    table(
      [
        { label: t("bb.col.order"), value: (r) => `#${r.id}`, class: "num" },
        { label: t("bb.col.element"), value: elementCode },
        { label: t("bb.col.scenario"), value: (r) => scenarioLabel(r.scenario) },
        { label: t("bb.col.n_lines"), value: (r) => num(r.n_lines), class: "num" },
        { label: t("bb.col.days"), value: (r) => `${day(r.first_day)} – ${day(r.last_day)}` },
        { label: t("bb.col.state"), value: (r) => stateBadge(r.state) },
      ],
      page.items,
      { empty: t("bb.no_tickets"), rowAttrs: (r) => ({ dataset: { orderId: r.id } }) },
    ),
    pager,
  );
}

function proofOption(rows) {
  const label = (r) => `${scenarioLabel(r.scenario)} · ${actionLabel(r.action)}`;
  return {
    animationDuration: 400,
    // Text lines, escaped by makeChart.
    tooltip: {
      trigger: "axis",
      formatter: (ps) => {
        const r = rows[ps[0]?.dataIndex] || {};
        return [
          label(r),
          `${t("bb.col.lines")}: ${num(r.lines)}`,
          `${t("bb.col.score_before")}: ${num(r.score_before, 1)}`,
          `${t("bb.col.score_after")}: ${num(r.score_after, 1)}`,
          `${t("bb.col.recovered")}: ${r.recovered === null ? "-" : share(r.recovered)}`,
        ];
      },
    },
    legend: { bottom: 0 },
    grid: { left: 200, right: 24, top: 16, bottom: 48 },
    yAxis: { type: "category", inverse: true, data: rows.map(label), axisLabel: { width: 190, overflow: "truncate" } },
    xAxis: { type: "value", min: 0, max: 100, name: t("bb.col.score") },
    series: [
      { name: t("bb.col.score_before"), type: "bar", barMaxWidth: 12, data: rows.map((r) => r.score_before), itemStyle: { color: "#fa5252" } },
      { name: t("bb.col.score_after"), type: "bar", barMaxWidth: 12, data: rows.map((r) => r.score_after), itemStyle: { color: "#40c057" } },
    ],
  };
}

// The panel, and a function drawing its chart once the panel is in the page.
export function proofPanel(rows) {
  const shown = rows.filter((r) => r.lines > 0).slice(0, 20);
  const box = h("div", { id: "bb-proof-chart", class: "chart", style: { height: `${Math.max(180, 28 * shown.length + 80)}px` } });
  const node = h(
    "section",
    { class: "panel", id: "bb-proof" },
    h("h2", {}, t("bb.proof")),
    h("p", { class: "muted" }, t("bb.proof_note")),
    shown.length ? box : null,
    table(
      [
        { label: t("bb.col.scenario"), value: (r) => scenarioLabel(r.scenario) },
        { label: t("bb.col.action"), value: (r) => actionLabel(r.action) },
        { label: t("bb.col.lines"), value: (r) => num(r.lines), class: "num" },
        { label: t("bb.col.score_before"), value: (r) => num(r.score_before, 1), class: "num" },
        { label: t("bb.col.score_after"), value: (r) => num(r.score_after, 1), class: "num" },
        { label: t("bb.col.recovered"), value: (r) => (r.recovered === null ? "-" : share(r.recovered)), class: "num" },
        { label: t("bb.col.complaints_before"), value: (r) => num(r.complaints_before, 1), class: "num" },
        { label: t("bb.col.complaints_after"), value: (r) => num(r.complaints_after, 1), class: "num" },
        { label: t("bb.col.fixed_still_poor"), value: (r) => `${num(r.fixed_still_poor)} / ${num(r.closed_as_fixed)}`, class: "num" },
      ],
      rows,
      { empty: t("bb.no_proof"), rowAttrs: (r) => ({ dataset: { scenario: r.scenario, action: r.action } }) },
    ),
  );
  return { node, draw: () => shown.length && makeChart(box, proofOption(shown)) };
}
