// What the anti-fraud pages share: the case statuses, their badges, the rule chips.

import { h } from "/static/js/dom.js";
import { t, tOr } from "/static/js/i18n.js";

export const STATUSES = ["new", "under_review", "confirmed", "cleared"];

export function statusBadge(status) {
  return h("span", { class: `badge status-${status}` }, t(`status.${status}`));
}

export function ruleChips(rules) {
  return h(
    "span",
    { class: "chips" },
    (rules || []).map((r) => h("span", { class: "chip", title: r }, tOr(`rule.${r}`, r))),
  );
}
