// Visited places (行程查询) for service agents: look a number up with the code the subscriber
// reads out, or without one for a stated reason (the server audits both under the agent's
// name), and see the window and the cities; below, subscribers per city over the window.

import { ApiError, api } from "/static/js/api.js";
import { makeChart } from "/static/js/charts.js";
import { clear, h, table } from "/static/js/dom.js";
import { day, num } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { facts, flash, pageHead } from "/static/js/ui.js";

// What the API admits (telcolens.itinerary.otp, api.MIN_REASON); the server checks again.
const NUMBER = "(\\+86)?1[0-9]{10}";
const CODE = "[0-9]{6}";
const MIN_REASON = 10;
const CHART_CITIES = 20;

const cityLabel = (name) => tOr(`city.${name}`, name);

function lookupForm(onAnswer) {
  const number = h("input", { id: "it-number", type: "text", inputmode: "tel", pattern: NUMBER, required: true, autocomplete: "off", placeholder: "13812345678" });
  const code = h("input", { id: "it-code", type: "text", inputmode: "numeric", pattern: CODE, maxLength: 6, autocomplete: "one-time-code" });
  const reason = h("textarea", { id: "it-reason", rows: 2, maxLength: 500 });
  const mode = { value: "code" };
  const codeField = h("label", { class: "field" }, h("span", {}, t("it.code")), code);
  const reasonField = h("label", { class: "field field-wide", hidden: true }, h("span", {}, t("it.reason")), reason);
  const radio = (value, label) =>
    h(
      "label",
      { class: "choice" },
      h("input", {
        type: "radio",
        name: "it-mode",
        value,
        id: `it-mode-${value}`,
        checked: value === "code",
        onchange: () => {
          mode.value = value;
          codeField.hidden = value !== "code";
          reasonField.hidden = value !== "override";
          code.required = value === "code";
          reason.required = value === "override";
        },
      }),
      " ",
      label,
    );
  code.required = true;
  const box = h(
    "form",
    { class: "action-form", id: "it-form" },
    h("h3", {}, t("it.lookup")),
    h("div", { class: "buttons" }, radio("code", t("it.with_code")), radio("override", t("it.override"))),
    h("label", { class: "field" }, h("span", {}, t("it.number")), number),
    codeField,
    reasonField,
    h("p", { class: "muted", id: "it-audit-note" }, t("it.audited")),
    h("div", { class: "buttons" }, h("button", { type: "submit", class: "btn btn-primary", id: "it-submit" }, t("it.submit"))),
  );
  box.addEventListener("submit", (e) => {
    e.preventDefault();
    if (mode.value === "override" && reason.value.trim().length < MIN_REASON) {
      onAnswer(null, t("it.reason_short", { n: MIN_REASON }));
      return;
    }
    const body = mode.value === "code" ? { number: number.value.trim(), code: code.value.trim() } : { number: number.value.trim(), reason: reason.value.trim() };
    const path = mode.value === "code" ? "/api/itinerary/agent/query" : "/api/itinerary/agent/override";
    api(path, { method: "POST", body }).then(
      (answer) => {
        code.value = "";
        reason.value = "";
        onAnswer(answer, null);
      },
      (err) => onAnswer(null, err instanceof ApiError ? `${t("app.error")} ${err.status}: ${err.message}` : String(err)),
    );
  });
  return box;
}

function windowText(w) {
  return t("it.window", { from: day(w.from), to: day(w.to), as_of: day(w.as_of) });
}

function answerPanel(answer) {
  return h(
    "div",
    { id: "it-answer" },
    facts([
      [t("it.number"), h("code", {}, answer.number)],
      [t("it.window_label"), windowText(answer.window)],
      [t("it.min_stay"), t("it.hours", { n: num(answer.window.min_stay_hours, 1) })],
    ]),
    table(
      [
        { label: t("it.col.city"), value: (r) => cityLabel(r.city), class: "it-city" },
        { label: t("it.col.first_day"), value: (r) => day(r.first_day) },
        { label: t("it.col.last_day"), value: (r) => day(r.last_day) },
      ],
      answer.cities,
      { empty: t("it.no_cities"), rowAttrs: (r) => ({ dataset: { city: r.city } }) },
    ),
  );
}

function citiesOption(rows) {
  const shown = rows.slice(0, CHART_CITIES);
  return {
    animationDuration: 400,
    // Text lines, escaped by makeChart.
    tooltip: { trigger: "axis", formatter: (ps) => [cityLabel(shown[ps[0]?.dataIndex]?.city ?? ""), `${t("it.col.subscribers")}: ${num(ps[0]?.value)}`] },
    grid: { left: 120, right: 24, top: 16, bottom: 32 },
    yAxis: { type: "category", inverse: true, data: shown.map((r) => cityLabel(r.city)), axisLabel: { width: 110, overflow: "truncate" } },
    xAxis: { type: "value", minInterval: 1, name: t("it.col.subscribers") },
    series: [{ name: t("it.col.subscribers"), type: "bar", barMaxWidth: 14, data: shown.map((r) => r.subscribers), itemStyle: { color: "#228be6" } }],
  };
}

function citiesPanel(totals) {
  const rows = totals.cities;
  const box = h("div", { id: "it-cities-chart", class: "chart", style: { height: `${Math.max(180, 26 * Math.min(rows.length, CHART_CITIES) + 60)}px` } });
  const node = h(
    "section",
    { class: "panel", id: "it-cities" },
    h("h2", {}, t("it.cities_title")),
    h("p", { class: "muted" }, windowText(totals.window)),
    rows.length ? box : null,
    table(
      [
        { label: t("it.col.city"), value: (r) => cityLabel(r.city), class: "it-city" },
        { label: t("it.col.subscribers"), value: (r) => num(r.subscribers), class: "num" },
      ],
      rows,
      { empty: t("it.no_totals"), rowAttrs: (r) => ({ dataset: { city: r.city } }) },
    ),
  );
  return { node, draw: () => rows.length && makeChart(box, citiesOption(rows)) };
}

export async function render(main, ctx) {
  const totals = await api("/api/itinerary/cities");
  if (ctx.stale()) return;
  const result = h("div", { id: "it-result", "aria-live": "polite" });
  const show = (answer, error) => {
    clear(result);
    result.append(error ? flash(error, "error") : answerPanel(answer));
  };
  const cities = citiesPanel(totals);
  main.append(
    pageHead(t("it.title"), h("span", { class: "muted", id: "it-as-of" }, t("it.as_of", { day: day(totals.window.as_of) }))),
    h("div", { class: "grid-2" }, h("section", { class: "panel", id: "it-lookup" }, lookupForm(show), result), cities.node),
  );
  cities.draw();
}
