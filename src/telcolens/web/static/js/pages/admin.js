// Administration: who can log in, and what everyone did (read-only here).

import { api } from "../api.js";
import { h, table } from "../dom.js";
import { dateTime } from "../format.js";
import { t } from "../i18n.js";
import { pageHead } from "./shared.js";

export async function render(main, ctx) {
  const [users, audit] = await Promise.all([api("/api/admin/users"), api("/api/admin/audit?page_size=50")]);
  if (ctx.stale()) return;
  main.append(
    pageHead(t("admin.title"), h("a", { class: "btn", href: "/docs" }, t("app.api_docs"))),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, t("admin.users")),
      table(
        [
          { label: t("admin.name"), value: (r) => r.name },
          { label: t("app.role"), value: (r) => t(`role.${r.role}`) },
          { label: t("admin.active"), value: (r) => t(r.active ? "app.yes" : "app.no") },
          { label: t("admin.created"), value: (r) => dateTime(r.created_at) },
        ],
        users,
        { empty: t("app.empty") },
      ),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, t("admin.audit")),
      table(
        [
          { label: t("col.at"), value: (r) => dateTime(r.at, { seconds: true }) },
          { label: t("col.actor"), value: (r) => r.actor },
          { label: t("col.action"), value: (r) => h("code", {}, r.action) },
          { label: t("admin.object"), value: (r) => `${r.object_type} ${r.object_id ?? ""}` },
          {
            label: t("col.detail"),
            value: (r) =>
              Object.entries(r.detail || {})
                .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
                .join("; "),
            class: "wrap",
          },
        ],
        audit.items,
        { empty: t("app.empty") },
      ),
    ),
  );
}
