// ECharts instances on the current page: made here, resized with the window, disposed on leaving.

import { h, htmlLines } from "./dom.js";
import { t } from "./i18n.js";

const live = new Set();

export function echartsReady() {
  return typeof window.echarts !== "undefined";
}

// ECharts puts a tooltip formatter's answer into the page as HTML. Ours answer text (a
// string or a list of lines), which is escaped here, so data shown in a tooltip (cell,
// city and device names from ingest) is never parsed as markup. Template strings ("{b}")
// are refused: what they fill in is not ours to escape.
function textTooltip(tooltip) {
  if (!tooltip || tooltip.formatter === undefined) return tooltip;
  const text = tooltip.formatter;
  if (typeof text !== "function") throw new Error("a tooltip formatter must be a function returning text");
  return { ...tooltip, formatter: (params) => htmlLines(text(params)) };
}

function safeTooltips(option) {
  const each = (x, f) => (Array.isArray(x) ? x.map(f) : x && f(x));
  const out = { ...option };
  if (option.tooltip) out.tooltip = each(option.tooltip, textTooltip);
  if (option.series) out.series = each(option.series, (s) => (s.tooltip ? { ...s, tooltip: textTooltip(s.tooltip) } : s));
  return out;
}

/**
 * A chart in `el`; `el.dataset.rendered` becomes "1" once ECharts has drawn it
 * (the browser tests wait on it). Without ECharts installed, a note instead.
 * Tooltip formatters return text, never HTML (see textTooltip).
 */
export function makeChart(el, option) {
  if (!echartsReady()) {
    el.append(h("p", { class: "alert" }, t("app.vendor_missing")));
    return null;
  }
  const chart = window.echarts.init(el, null, { renderer: "canvas" });
  chart.on("finished", () => {
    el.dataset.rendered = "1";
  });
  chart.setOption(safeTooltips(option));
  live.add(chart);
  return chart;
}

export function disposeCharts() {
  for (const chart of live) chart.dispose();
  live.clear();
}

window.addEventListener("resize", () => {
  for (const chart of live) chart.resize();
});
