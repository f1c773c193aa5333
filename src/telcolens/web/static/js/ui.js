// Widgets every console page may use: page heads, the pager, facts, filters, flashes.

import { h, select } from "./dom.js";
import { t } from "./i18n.js";

export function pageHead(title, ...extra) {
  return h("div", { class: "page-head" }, h("h1", {}, title), ...extra);
}

/** "1–50 of 93" with previous/next buttons calling go(page). */
export function pager({ total, page, page_size }, go) {
  const from = total ? (page - 1) * page_size + 1 : 0;
  const to = Math.min(total, page * page_size);
  return h(
    "div",
    { class: "pager" },
    h("span", { class: "muted" }, t("app.page_of", { from, to, total })),
    h("button", { type: "button", class: "btn", disabled: page <= 1, onclick: () => go(page - 1) }, t("app.prev")),
    h("button", { type: "button", class: "btn", disabled: to >= total, onclick: () => go(page + 1) }, t("app.next")),
  );
}

/** A definition list of [label, value] pairs; a missing value shows as "none". */
export function facts(pairs) {
  return h(
    "dl",
    { class: "facts" },
    pairs.map(([label, value]) => [h("dt", {}, label), h("dd", {}, value ?? t("app.none"))]),
  );
}

/** A select of any / yes / no (values "", "true", "false"). */
export function anyYesNo(value, attrs) {
  return select(
    [
      ["", t("app.any")],
      ["true", t("app.yes")],
      ["false", t("app.no")],
    ],
    value,
    attrs,
  );
}

/** A labelled filter control for a filter bar. */
export function field(label, control) {
  return h("label", { class: "field" }, h("span", {}, label), control);
}

export function flash(text, kind = "ok") {
  return h("div", { class: `alert alert-${kind}`, role: kind === "error" ? "alert" : "status" }, text);
}
