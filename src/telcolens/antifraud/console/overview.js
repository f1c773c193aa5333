// Anti-fraud overview: the day's counts, the daily trend and the map of Shandong.

import { api } from "/static/js/api.js";
import { echartsReady, makeChart } from "/static/js/charts.js";
import { h, table } from "/static/js/dom.js";
import { day, num } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { loadShandong } from "/static/js/shandong.js";

export function cityLabel(name) {
  return tOr(`city.${name}`, name);
}

function card(label, value, detail, tone = "") {
  return h(
    "div",
    { class: `card ${tone}` },
    h("div", { class: "card-label" }, label),
    h("div", { class: "card-value" }, num(value)),
    detail ? h("div", { class: "card-detail" }, detail) : null,
  );
}

function cards(s) {
  const c = s.cases;
  const brokers = { id_card: 0, device: 0, outlet: 0, ...(s.card_brokers || {}) };
  return h(
    "section",
    { class: "cards", "aria-label": t("overview.title") },
    card(t("card.flagged_today"), s.flagged_today ?? 0, null, "tone-red"),
    card(t("card.new_today"), s.new_today ?? 0, null, "tone-orange"),
    card(t("card.victim_warnings"), s.victim_warnings ?? 0, null, "tone-blue"),
    card(t("card.open_cases"), c.new + c.under_review, t("card.open_detail", c)),
    card(t("card.confirmed"), c.confirmed, t("card.cleared_detail", c)),
    card(t("card.handed_over"), s.handed_over),
    card(
      t("card.brokers"),
      brokers.id_card + brokers.device + brokers.outlet,
      t("card.brokers_detail", brokers),
    ),
  );
}

function trendOption(rows) {
  const series = (key, type, color, extra = {}) => ({
    name: t(`trend.${key}`),
    type,
    data: rows.map((r) => r[key]),
    itemStyle: { color },
    ...extra,
  });
  return {
    animationDuration: 400,
    tooltip: { trigger: "axis" },
    legend: { bottom: 0 },
    grid: { left: 48, right: 48, top: 32, bottom: 56 },
    xAxis: { type: "category", data: rows.map((r) => r.day) },
    yAxis: [
      { type: "value", minInterval: 1, name: t("trend.flagged") },
      { type: "value", minInterval: 1, name: t("trend.victim_warnings"), splitLine: { show: false } },
    ],
    series: [
      series("flagged", "bar", "#d9480f", { barMaxWidth: 28 }),
      series("new_cases", "bar", "#f59f00", { barMaxWidth: 28 }),
      series("victim_warnings", "line", "#1c7ed6", { yAxisIndex: 1, symbolSize: 8 }),
    ],
  };
}

function mapOption(mapName, data) {
  const maxCalls = Math.max(1, ...data.cities.map((c) => c.calls));
  const maxCell = Math.max(1, ...data.cells.map((c) => c.calls));
  // Tooltips are lines of text; makeChart escapes them (city and cell names come from ingest).
  const cityTip = (p) => {
    const d = p.data || {};
    return [cityLabel(p.name), `${t("map.numbers")}: ${num(d.numbers ?? 0)}`, `${t("map.calls")}: ${num(d.value ?? 0)}`];
  };
  const cellTip = (p) => [
    `${t("map.cell", { id: p.data.name })} · ${cityLabel(p.data.city)}`,
    `${t("map.numbers")}: ${num(p.data.numbers)}`,
    `${t("map.calls")}: ${num(p.data.value[2])}`,
  ];
  return {
    animationDuration: 400,
    tooltip: { trigger: "item", formatter: (p) => (p.seriesType === "scatter" ? cellTip(p) : cityTip(p)) },
    visualMap: {
      seriesIndex: 0,
      min: 0,
      max: maxCalls,
      right: 8,
      bottom: 8,
      calculable: true,
      inRange: { color: ["#fff5f0", "#fcbba1", "#fb6a4a", "#cb181d", "#67000d"] },
      textStyle: { fontSize: 11 },
    },
    geo: {
      map: mapName,
      roam: true,
      aspectScale: 0.85,
      top: 8,
      bottom: 8,
      left: 8,
      right: 64,
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
    },
    series: [
      {
        name: t("map.calls"),
        type: "map",
        geoIndex: 0,
        data: data.cities.map((c) => ({ name: c.city, value: c.calls, numbers: c.numbers })),
      },
      {
        name: t("map.cells"),
        type: "scatter",
        coordinateSystem: "geo",
        data: data.cells.map((c) => ({ name: c.cell_id, city: c.city, numbers: c.numbers, value: [c.lon, c.lat, c.calls] })),
        symbolSize: (v) => 4 + 14 * Math.sqrt(v[2] / maxCell),
        itemStyle: { color: "rgba(25, 113, 194, 0.7)", borderColor: "#fff", borderWidth: 0.5 },
        zlevel: 1,
      },
    ],
  };
}

export async function render(main, ctx) {
  const [summary, trend, activity] = await Promise.all([
    api("/api/antifraud/summary"),
    api("/api/antifraud/trend?days=30"),
    api("/api/antifraud/map?cells=500"),
  ]);
  if (ctx.stale()) return;
  main.append(
    h(
      "div",
      { class: "page-head" },
      h("h1", {}, t("overview.title")),
      h("span", { class: "muted" }, summary.as_of ? t("overview.as_of", { day: day(summary.as_of) }) : t("overview.no_run")),
    ),
  );
  main.append(cards(summary));
  const trendBox = h("div", { id: "trend-chart", class: "chart" });
  const mapBox = h("div", { id: "map-chart", class: "chart chart-map" });
  const cityTable = table(
    [
      { label: t("col.rank"), value: (r) => r.rank, class: "num" },
      { label: t("map.city"), value: (r) => cityLabel(r.city) },
      { label: t("map.numbers"), value: (r) => num(r.numbers), class: "num" },
      { label: t("map.calls"), value: (r) => num(r.calls), class: "num" },
    ],
    activity.cities.map((c, i) => ({ ...c, rank: i + 1 })),
    { empty: t("map.no_data") },
  );
  main.append(
    h(
      "div",
      { class: "grid-2" },
      h(
        "section",
        { class: "panel" },
        h("h2", {}, t("trend.title")),
        trendBox,
        h("h2", {}, t("map.top_cities")),
        cityTable,
      ),
      h("section", { class: "panel" }, h("h2", {}, t("map.title", { day: day(activity.day) })), mapBox),
    ),
  );
  makeChart(trendBox, trendOption(trend));
  if (!echartsReady()) {
    makeChart(mapBox, {});
    return;
  }
  const mapName = await loadShandong();
  if (ctx.stale()) return;
  makeChart(mapBox, mapOption(mapName, activity));
}
