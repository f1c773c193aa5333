// Victim warnings (预警劝阻): subscribers who talked with a flagged number, riskiest first.

import { ApiError, api, query } from "/static/js/api.js";
import { h, select, table } from "/static/js/dom.js";
import { dateTime, day, duration, num } from "/static/js/format.js";
import { t } from "/static/js/i18n.js";
import { field, flash, pageHead, pager } from "/static/js/ui.js";

const OUTCOMES = ["warned_by_call", "warned_by_sms", "unreachable", "already_lost_money"];
const PAGE_SIZE = 25;

function contactCell(w, onDone) {
  if (w.contacted_at) {
    return h(
      "span",
      { class: "contacted" },
      h("span", { class: `badge outcome-${w.outcome}` }, t(`outcome.${w.outcome}`)),
      h("span", { class: "muted small" }, ` ${dateTime(w.contacted_at)} · ${w.contacted_by}`),
    );
  }
  const outcome = select(
    OUTCOMES.map((o) => [o, t(`outcome.${o}`)]),
    "warned_by_call",
    { "aria-label": t("warnings.outcome") },
  );
  const button = h("button", { type: "button", class: "btn btn-small", dataset: { warning: w.id } }, t("warnings.mark"));
  button.addEventListener("click", async () => {
    button.disabled = true;
    try {
      await api(`/api/antifraud/warnings/${w.id}/contacted`, { method: "POST", body: { outcome: outcome.value } });
      onDone(flash(t("warnings.recorded")));
    } catch (err) {
      button.disabled = false;
      if (!(err instanceof ApiError && err.status === 401)) onDone(flash(`${t("app.error")}: ${err.message}`, "error"));
    }
  });
  return h("span", { class: "contact-form" }, outcome, button);
}

export async function render(main, ctx, message) {
  const q = { contacted: "", page: "1", ...ctx.query };
  const page = Math.max(1, Number.parseInt(q.page, 10) || 1);
  const data = await api(`/api/antifraud/warnings${query({ contacted: q.contacted, page, page_size: PAGE_SIZE })}`);
  if (ctx.stale()) return;
  const redraw = (msg) => {
    main.replaceChildren();
    render(main, ctx, msg);
  };
  main.append(
    pageHead(t("warnings.title"), h("span", { class: "muted" }, data.day ? t("warnings.day", { day: day(data.day) }) : "")),
    ...(message ? [message] : []),
    h(
      "div",
      { class: "filters" },
      field(
        t("warnings.contacted"),
        select(
          [
            ["", t("app.all")],
            ["false", t("app.no")],
            ["true", t("app.yes")],
          ],
          q.contacted,
          { id: "filter-contacted", onchange: (e) => ctx.navigate("antifraud/warnings", { contacted: e.target.value }) },
        ),
      ),
    ),
    table(
      [
        { label: t("warnings.points"), value: (r) => num(r.points), class: "num" },
        { label: t("warnings.subscriber"), value: (r) => h("code", {}, r.subscriber_id) },
        { label: t("warnings.fraud_number"), value: (r) => h("code", {}, r.fraud_number) },
        { label: t("warnings.age"), value: (r) => num(r.age), class: "num" },
        { label: t("warnings.longest_call"), value: (r) => duration(r.longest_call_s), class: "num" },
        { label: t("warnings.contacts"), value: (r) => num(r.contacts), class: "num" },
        { label: t("col.reasons"), value: (r) => r.reasons || t("app.none"), class: "wrap" },
        { label: t("warnings.outcome"), value: (r) => contactCell(r, redraw) },
      ],
      data.items,
      { empty: t("app.empty") },
    ),
    pager(data, (p) => ctx.navigate("antifraud/warnings", { ...q, page: p })),
  );
}
