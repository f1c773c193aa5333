// The case queue: filters, sorting and paging kept in the page's address.

import { api, query } from "/static/js/api.js";
import { h, select, table } from "/static/js/dom.js";
import { dateTime, day, num } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { anyYesNo, field, pageHead, pager } from "/static/js/ui.js";
import { STATUSES, ruleChips, statusBadge } from "./case_ui.js";

const SORTS = ["score", "last_flagged", "first_flagged", "id"];
const PAGE_SIZE = 25;

export async function render(main, ctx) {
  const q = { status: "", handed_over: "", sort: "score", page: "1", ...ctx.query };
  const page = Math.max(1, Number.parseInt(q.page, 10) || 1);
  const data = await api(
    `/api/antifraud/cases${query({ status: q.status, handed_over: q.handed_over, sort: q.sort, page, page_size: PAGE_SIZE })}`,
  );
  if (ctx.stale()) return;
  const go = (changes) => ctx.navigate("antifraud/cases", { ...q, page: 1, ...changes });
  const onChange = (key) => (e) => go({ [key]: e.target.value });
  main.append(
    pageHead(t("cases.title")),
    h(
      "div",
      { class: "filters" },
      field(
        t("cases.status"),
        select([["", t("app.all")], ...STATUSES.map((s) => [s, t(`status.${s}`)])], q.status, {
          id: "filter-status",
          onchange: onChange("status"),
        }),
      ),
      field(
        t("cases.handed_over"),
        anyYesNo(q.handed_over, { id: "filter-handed-over", onchange: onChange("handed_over") }),
      ),
      field(
        t("cases.sort"),
        select(
          SORTS.map((s) => [s, t(`cases.sort.${s}`)]),
          q.sort,
          { id: "filter-sort", onchange: onChange("sort") },
        ),
      ),
    ),
    table(
      [
        { label: t("col.id"), value: (r) => h("a", { href: `#/antifraud/cases/${r.id}`, class: "case-link" }, `#${r.id}`) },
        { label: t("col.number"), value: (r) => h("code", {}, r.subscriber_id) },
        { label: t("col.status"), value: (r) => statusBadge(r.status) },
        { label: t("col.score"), value: (r) => num(r.score, 2), class: "num" },
        { label: t("col.flagged_by"), value: (r) => tOr(`flagged_by.${r.flagged_by}`, r.flagged_by) },
        { label: t("col.rules"), value: (r) => ruleChips(r.rules) },
        { label: t("col.last_flagged"), value: (r) => day(r.last_flagged) },
        { label: t("col.times_flagged"), value: (r) => num(r.times_flagged), class: "num" },
        { label: t("col.analyst"), value: (r) => r.analyst || t("app.none") },
        { label: t("col.handed_over_at"), value: (r) => (r.handed_over_at ? dateTime(r.handed_over_at) : t("app.none")) },
      ],
      data.items,
      {
        empty: t("app.empty"),
        rowAttrs: (r) => ({
          class: "clickable",
          dataset: { caseId: r.id },
          onclick: (e) => {
            if (e.target.closest("a")) return;
            ctx.navigate(`antifraud/cases/${r.id}`);
          },
        }),
      },
    ),
    pager(data, (p) => ctx.navigate("antifraud/cases", { ...q, page: p })),
  );
}
