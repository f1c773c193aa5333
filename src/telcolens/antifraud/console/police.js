// The police liaison's view: cases handed over, and the export files.

import { api } from "/static/js/api.js";
import { h, table } from "/static/js/dom.js";
import { dateTime, num } from "/static/js/format.js";
import { t } from "/static/js/i18n.js";
import { pageHead } from "/static/js/ui.js";
import { statusBadge } from "./case_ui.js";

export async function render(main, ctx) {
  const rows = await api("/api/antifraud/police/cases");
  if (ctx.stale()) return;
  const download = (format) =>
    h(
      "a",
      { class: "btn btn-primary", id: `export-${format}`, href: `/api/antifraud/police/export?format=${format}`, download: "" },
      t(`police.download_${format}`),
    );
  main.append(
    pageHead(t("police.title"), h("span", { class: "buttons" }, download("csv"), download("json"))),
    h("p", { class: "muted" }, t("police.intro")),
    table(
      [
        { label: t("col.id"), value: (r) => `#${r.case_id}`, class: "case-id" },
        { label: t("col.number"), value: (r) => h("code", {}, r.number_pseudonym) },
        {
          label: t("col.status"),
          // A handed-over case later cleared (reinstated) stays listed: the centre must
          // withdraw its copy, so it says so.
          value: (r) =>
            r.withdrawn
              ? h("span", { class: "badge badge-withdrawn", title: dateTime(r.withdrawn_at) }, t("police.withdrawn"))
              : statusBadge(r.status),
        },
        { label: t("col.first_seen"), value: (r) => dateTime(r.first_seen) },
        { label: t("col.last_seen"), value: (r) => dateTime(r.last_seen) },
        { label: t("col.score"), value: (r) => num(r.score, 2), class: "num" },
        { label: t("col.reasons"), value: (r) => r.reasons, class: "wrap" },
        { label: t("police.calls_out"), value: (r) => num(r.calls_out), class: "num" },
        { label: t("police.reached"), value: (r) => num(r.subscribers_reached), class: "num" },
        { label: t("police.answered"), value: (r) => num(r.subscribers_answered), class: "num" },
        { label: t("police.warned"), value: (r) => num(r.victims_warned), class: "num" },
        { label: t("col.analyst"), value: (r) => r.analyst || t("app.none") },
        { label: t("police.confirmed_at"), value: (r) => dateTime(r.confirmed_at) },
        { label: t("case.handed_over_by"), value: (r) => r.handed_over_by || t("app.none") },
        { label: t("col.handed_over_at"), value: (r) => dateTime(r.handed_over_at) },
      ],
      rows,
      { empty: t("app.empty"), rowAttrs: (r) => ({ dataset: { caseId: r.case_id } }) },
    ),
  );
}
