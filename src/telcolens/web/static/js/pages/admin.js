// Administration: who can log in (disable, enable, a new password, end their logins),
// and what everyone did. The server checks every action again and says why it refuses.

import { ApiError, api } from "../api.js";
import { clear, h, table } from "../dom.js";
import { dateTime, num } from "../format.js";
import { t } from "../i18n.js";
import { flash, pageHead } from "../ui.js";

// Each account action: its request, and whether it asks first (what it undoes is named there).
const ACTIONS = {
  disable: { method: "POST", path: "disable", label: "admin.disable", ask: true },
  enable: { method: "POST", path: "enable", label: "admin.enable" },
  password: { method: "POST", path: "password", label: "admin.password", ask: true },
  sessions: { method: "DELETE", path: "sessions", label: "admin.end_sessions", ask: true },
};

function errorText(err) {
  return err instanceof ApiError ? `${t("app.error")} ${err.status}: ${err.message}` : String(err.message || err);
}

async function perform(name, action, body) {
  const path = `/api/admin/users/${encodeURIComponent(name)}/${ACTIONS[action].path}`;
  return api(path, { method: ACTIONS[action].method, body });
}

function doneText(action, name, answer) {
  return t(`admin.done.${action}`, { name, n: num(answer?.ended ?? 0) });
}

/** The form that asks before an action: what it does, then the action's button or Cancel. */
function askForm(user, action, run) {
  const box = h("form", { class: "action-form", id: "account-form", dataset: { action } });
  const vars = { name: user.name, n: num(user.sessions ?? 0) };
  const fields = [];
  let first = null;
  let second = null;
  if (action === "password") {
    first = h("input", { type: "password", id: "new-password", autocomplete: "new-password", required: true });
    second = h("input", { type: "password", id: "repeat-password", autocomplete: "new-password", required: true });
    fields.push(
      h("label", { class: "field" }, h("span", {}, t("admin.new_password")), first),
      h("label", { class: "field" }, h("span", {}, t("admin.repeat_password")), second),
    );
  }
  const title = { disable: "admin.disable_title", password: "admin.password_title", sessions: "admin.end_sessions_title" };
  const help = { disable: "admin.disable_help", password: "admin.password_help", sessions: "admin.end_sessions_help" };
  const problem = h("div", {});
  box.append(
    h("h3", {}, t(title[action], vars)),
    h("p", { class: "muted" }, t(help[action], vars)),
    ...fields,
    problem,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "btn btn-danger", id: "account-submit" }, t(ACTIONS[action].label)),
      h("button", { type: "button", class: "btn", id: "account-cancel", onclick: () => box.remove() }, t("app.cancel")),
    ),
  );
  box.addEventListener("submit", (e) => {
    e.preventDefault();
    clear(problem);
    if (first && first.value !== second.value) {
      problem.append(flash(t("admin.mismatch"), "error"));
      second.focus();
      return;
    }
    run(first ? { password: first.value } : undefined, problem);
  });
  return box;
}

function usersTable(users, me, open) {
  const button = (u, action, extra = {}) =>
    h(
      "button",
      {
        type: "button",
        class: "btn btn-small",
        dataset: { action, user: u.name },
        onclick: () => open(u, action),
        ...extra,
      },
      t(ACTIONS[action].label),
    );
  return table(
    [
      {
        label: t("admin.name"),
        value: (r) => [r.name, r.name === me ? h("span", { class: "muted small" }, ` (${t("admin.you")})`) : null],
      },
      { label: t("app.role"), value: (r) => t(`role.${r.role}`) },
      {
        label: t("admin.active"),
        value: (r) =>
          h(
            "span",
            { class: `badge account-${r.active ? "active" : "disabled"}` },
            t(r.active ? "admin.state.active" : "admin.state.disabled"),
          ),
      },
      { label: t("admin.sessions"), value: (r) => num(r.sessions), class: "num" },
      { label: t("admin.created"), value: (r) => dateTime(r.created_at) },
      {
        label: t("admin.actions"),
        value: (r) =>
          h(
            "span",
            { class: "buttons" },
            // The server refuses an admin disabling themself: the button is not offered.
            r.active ? (r.name === me ? null : button(r, "disable")) : button(r, "enable"),
            button(r, "password"),
            button(r, "sessions", { disabled: r.sessions === 0 }),
          ),
      },
    ],
    users,
    { empty: t("app.empty"), rowAttrs: (r) => ({ dataset: { user: r.name } }) },
  );
}

function auditTable(items) {
  return table(
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
    items,
    { empty: t("app.empty") },
  );
}

export async function render(main, ctx, message) {
  const [users, audit] = await Promise.all([api("/api/admin/users"), api("/api/admin/audit?page_size=50")]);
  if (ctx.stale()) return;
  clear(main); // a redraw after an action keeps the old page until the new one is here
  const formSlot = h("div", { id: "account-slot" });
  const redraw = (msg) =>
    render(main, ctx, msg).catch((err) => {
      if (!(err instanceof ApiError && err.status === 401)) main.append(flash(errorText(err), "error"));
    });
  const run = async (u, action, body, problem) => {
    try {
      const answer = await perform(u.name, action, body);
      redraw(flash(doneText(action, u.name, answer)));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return; // gone to the login page
      clear(problem).append(flash(errorText(err), "error"));
    }
  };
  const open = (u, action) => {
    const problem = h("div", {});
    if (!ACTIONS[action].ask) {
      clear(formSlot).append(problem);
      run(u, action, undefined, problem);
      return;
    }
    clear(formSlot).append(askForm(u, action, (body, where) => run(u, action, body, where)));
    formSlot.querySelector("input, button[type=submit]")?.focus();
  };
  main.append(
    pageHead(t("admin.title"), h("a", { class: "btn", href: "/docs" }, t("app.api_docs"))),
    ...(message ? [message] : []),
    h(
      "section",
      { class: "panel", id: "users" },
      h("h2", {}, t("admin.users")),
      formSlot,
      usersTable(users, ctx.user.name, open),
    ),
    h("section", { class: "panel", id: "audit" }, h("h2", {}, t("admin.audit")), auditTable(audit.items)),
  );
}
