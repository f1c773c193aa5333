// ECharts instances on the current page: made here, resized with the window, disposed on leaving.

import { h } from "./dom.js";
import { t } from "./i18n.js";

const live = new Set();

export function echartsReady() {
  return typeof window.echarts !== "undefined";
}

/**
 * A chart in `el`; `el.dataset.rendered` becomes "1" once ECharts has drawn it
 * (the browser tests wait on it). Without ECharts installed, a note instead.
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
  chart.setOption(option);
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
