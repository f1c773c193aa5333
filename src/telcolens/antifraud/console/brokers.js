// Card brokers (断卡): ID cards, devices and outlets behind many SIMs on the fraud list.

import { api, query } from "/static/js/api.js";
import { h, select, table } from "/static/js/dom.js";
import { day, num } from "/static/js/format.js";
import { t } from "/static/js/i18n.js";
import { field, pageHead } from "/static/js/ui.js";

const KINDS = ["id_card", "device", "outlet"];

export async function render(main, ctx) {
  const kind = KINDS.includes(ctx.query.kind) ? ctx.query.kind : "";
  const data = await api(`/api/antifraud/brokers${query({ kind })}`);
  if (ctx.stale()) return;
  main.append(
    pageHead(t("brokers.title"), h("span", { class: "muted" }, data.day ? t("brokers.day", { day: day(data.day) }) : "")),
    h(
      "div",
      { class: "filters" },
      field(
        t("brokers.kind"),
        select([["", t("app.all")], ...KINDS.map((k) => [k, t(`kind.${k}`)])], kind, {
          id: "filter-kind",
          onchange: (e) => ctx.navigate("antifraud/brokers", { kind: e.target.value }),
        }),
      ),
    ),
    table(
      [
        { label: t("brokers.kind"), value: (r) => h("span", { class: `badge kind-${r.kind}` }, t(`kind.${r.kind}`)) },
        { label: t("brokers.entity"), value: (r) => h("code", {}, r.entity) },
        { label: t("col.score"), value: (r) => num(r.score, 2), class: "num" },
        { label: t("brokers.sims"), value: (r) => num(r.sims), class: "num" },
        { label: t("brokers.flagged_sims"), value: (r) => num(r.flagged_sims), class: "num" },
        { label: t("col.reasons"), value: (r) => r.reasons || t("app.none"), class: "wrap" },
      ],
      data.items,
      { empty: t("app.empty") },
    ),
  );
}
