// Fault diagnosis: the clocks on incidents, major faults per day, and the incident list.

import { api, query } from "/static/js/api.js";
import { makeChart } from "/static/js/charts.js";
import { h, select, table } from "/static/js/dom.js";
import { dateTime, num } from "/static/js/format.js";
import { t } from "/static/js/i18n.js";
import { anyYesNo, field, pageHead, pager } from "/static/js/ui.js";

export const INCIDENT_STATUSES = ["open", "acknowledged", "resolved"];
const PERIODS = [7, 30, 90];
const PAGE_SIZE = 25;
const MAJOR_DEVICES = 10; // lifecycle.MAJOR_DEVICES: the server decides; this only labels it
const DAY_MS = 86_400_000;

// app.css has no fault colours yet; these reuse the case badges' palette
// (red, orange, blue, green) so a colour means the same urgency on every page.
const STATUS_TONE = { open: "status-new", acknowledged: "status-under_review", resolved: "status-cleared" };
const SEVERITY_TONE = { critical: "status-confirmed", major: "status-new", minor: "status-under_review" };

export function incidentStatusBadge(status) {
  return h("span", { class: `badge incident-${status} ${STATUS_TONE[status] || ""}` }, t(`incident.status.${status}`));
}

export function severityBadges(r) {
  return h(
    "span",
    { class: "chips" },
    h("span", { class: `badge severity-${r.severity} ${SEVERITY_TONE[r.severity] || ""}` }, t(`severity.${r.severity}`)),
    r.major ? h("span", { class: "badge badge-major badge-police" }, t("faults.major_badge")) : null,
  );
}

/** A duration given in minutes: "45 min" under an hour, else "2.5 h". */
export function minutes(value) {
  if (value === null || value === undefined) return t("app.none");
  if (value < 60) return t("faults.minutes", { n: num(value, value < 10 ? 1 : 0) });
  return t("faults.hours", { n: num(value / 60, 1) });
}

function card(key, value, detail, tone = "") {
  return h(
    "div",
    { class: `card ${tone}`, dataset: { card: key } },
    h("div", { class: "card-label" }, t(`faults.card.${key}`)),
    h("div", { class: "card-value" }, value),
    detail ? h("div", { class: "card-detail" }, detail) : null,
  );
}

function cards(s) {
  const since = t("faults.card.from_first_alarm");
  return h(
    "section",
    { class: "cards", "aria-label": t("faults.title") },
    card("open_now", num(s.open_now ?? 0), t("faults.card.open_now_detail"), "tone-orange"),
    card("incidents", num(s.incidents), t("faults.card.incidents_detail", { open: num(s.open) })),
    card("major", num(s.major), t("faults.card.major_detail", { n: MAJOR_DEVICES }), "tone-red"),
    card("mtta", minutes(s.mean_minutes_to_acknowledge), since),
    card("mttr", minutes(s.mttr_minutes), since, "tone-blue"),
  );
}

/** Every day of the period in China Standard Time, with 0 where no major fault opened. */
function dailyMajors(summary) {
  const counts = new Map(summary.major_per_day.map((r) => [String(r.day).slice(0, 10), r.major]));
  const now = Date.now();
  const days = [];
  for (let i = summary.days - 1; i >= 0; i--) {
    days.push(dateTime(new Date(now - i * DAY_MS).toISOString()).slice(0, 10));
  }
  return days.map((d) => ({ day: d, major: counts.get(d) ?? 0 }));
}

function chartOption(rows) {
  return {
    animationDuration: 400,
    tooltip: { trigger: "axis" },
    grid: { left: 40, right: 16, top: 24, bottom: 32 },
    xAxis: { type: "category", data: rows.map((r) => r.day.slice(5)) },
    yAxis: { type: "value", minInterval: 1 },
    series: [
      {
        name: t("faults.chart.major"),
        type: "bar",
        barMaxWidth: 24,
        data: rows.map((r) => r.major),
        itemStyle: { color: "#c92a2a" },
      },
    ],
  };
}

function incidentTable(data, ctx) {
  return table(
    [
      { label: t("fcol.id"), value: (r) => h("a", { href: `#/faults/incidents/${r.id}`, class: "incident-link" }, `#${r.id}`) },
      { label: t("faults.status"), value: (r) => incidentStatusBadge(r.status) },
      { label: t("fcol.severity"), value: severityBadges },
      { label: t("fcol.root_ne"), value: (r) => h("code", {}, r.root_ne_id) },
      { label: t("fcol.root_alarm"), value: (r) => r.root_alarm_type || t("app.none") },
      { label: t("fcol.alarms"), value: (r) => num(r.alarm_count), class: "num" },
      { label: t("fcol.devices"), value: (r) => num(r.device_count), class: "num" },
      { label: t("fcol.opened"), value: (r) => dateTime(r.opened_at) },
      { label: t("fcol.owner"), value: (r) => r.owner || t("app.none") },
    ],
    data.items,
    {
      empty: t("app.empty"),
      rowAttrs: (r) => ({
        class: "clickable",
        dataset: { incidentId: r.id },
        onclick: (e) => {
          if (!e.target.closest("a")) ctx.navigate(`faults/incidents/${r.id}`);
        },
      }),
    },
  );
}

export async function render(main, ctx) {
  const q = { days: "30", status: "", major: "", page: "1", ...ctx.query };
  const days = PERIODS.includes(Number(q.days)) ? Number(q.days) : 30;
  const page = Math.max(1, Number.parseInt(q.page, 10) || 1);
  const [summary, list] = await Promise.all([
    api(`/api/faults/summary${query({ days })}`),
    api(`/api/faults/incidents${query({ status: q.status, major: q.major, page, page_size: PAGE_SIZE })}`),
  ]);
  if (ctx.stale()) return;
  const go = (changes) => ctx.navigate("faults", { ...q, page: 1, ...changes });
  const onChange = (key) => (e) => go({ [key]: e.target.value });
  const chartBox = h("div", { id: "major-chart", class: "chart" });
  main.append(
    pageHead(
      t("faults.title"),
      field(
        t("faults.period"),
        select(
          PERIODS.map((n) => [n, t("faults.days", { n })]),
          days,
          { id: "filter-days", onchange: onChange("days") },
        ),
      ),
    ),
    cards(summary),
    h("section", { class: "panel" }, h("h2", {}, t("faults.chart.title")), chartBox),
    h(
      "section",
      { class: "panel", id: "incidents" },
      h("h2", {}, t("faults.list")),
      h(
        "div",
        { class: "filters" },
        field(
          t("faults.status"),
          select([["", t("app.all")], ...INCIDENT_STATUSES.map((s) => [s, t(`incident.status.${s}`)])], q.status, {
            id: "filter-status",
            onchange: onChange("status"),
          }),
        ),
        field(
          t("faults.major"),
          anyYesNo(q.major, { id: "filter-major", onchange: onChange("major") }),
        ),
      ),
      incidentTable(list, ctx),
      pager({ ...list, page, page_size: PAGE_SIZE }, (p) => ctx.navigate("faults", { ...q, page: p })),
    ),
  );
  makeChart(chartBox, chartOption(dailyMajors(summary)));
}
