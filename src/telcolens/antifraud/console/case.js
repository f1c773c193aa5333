// One case: its evidence, reasons, calls and history, and the actions its status allows.

import { ApiError, api } from "/static/js/api.js";
import { clear, h, select, table } from "/static/js/dom.js";
import { dateTime, day, duration, num, share } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { facts, flash, pageHead } from "/static/js/ui.js";
import { ruleChips, statusBadge } from "./case_ui.js";

const CATEGORIES = ["courier", "delivery", "customer_service", "sales", "government", "other_business"];
const SHARES = new Set(["short_call_share", "answered_share", "callback_share", "new_callee_share", "night_share"]);

// What each action needs, and in which states it applies (the server checks again: 409).
const ACTIONS = [
  { name: "review", path: "review", statuses: ["new"] },
  { name: "confirm", path: "confirm", statuses: ["new", "under_review"], input: "note", primary: true },
  { name: "clear", path: "clear", statuses: ["new", "under_review"], input: "reason" },
  { name: "whitelist", path: "whitelist", statuses: ["new", "under_review", "cleared"], input: "category" },
  { name: "hand_over", path: "hand-over", statuses: ["confirmed"], open: (c) => !c.handed_over_at, input: "confirm", primary: true },
  { name: "reinstate", path: "reinstate", statuses: ["confirmed"], input: "reason" },
];

function evidenceValue(key, value) {
  if (SHARES.has(key)) return share(value);
  return typeof value === "number" ? num(value, Number.isInteger(value) ? 0 : 2) : String(value ?? t("app.none"));
}

function actionForm(action, c, done) {
  const box = h("form", { class: "action-form", id: "action-form", dataset: { action: action.name } });
  const fields = [];
  let text = null;
  let category = null;
  if (action.input === "note" || action.input === "reason" || action.input === "category") {
    if (action.input === "category") {
      category = select(CATEGORIES.map((k) => [k, t(`category.${k}`)]), "other_business", { id: "action-category" });
      fields.push(h("label", { class: "field" }, h("span", {}, t("action.category")), category));
    }
    text = h("textarea", {
      id: "action-text",
      rows: 2,
      maxLength: 2000,
      required: action.input === "reason",
    });
    const label = action.input === "reason" ? "action.reason" : "action.note";
    fields.push(h("label", { class: "field field-wide" }, h("span", {}, t(label)), text));
  }
  const help = { hand_over: "action.hand_over_help", reinstate: "action.reinstate_help", whitelist: "action.whitelist_help" }[action.name];
  box.append(
    h("h3", {}, t(`action.${action.name}`)),
    help ? h("p", { class: "muted" }, t(help)) : null,
    ...fields,
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "btn btn-primary", id: "action-submit" }, t("action.submit")),
      h("button", { type: "button", class: "btn", onclick: () => box.remove() }, t("app.cancel")),
    ),
  );
  box.addEventListener("submit", (e) => {
    e.preventDefault();
    const body = {};
    if (action.input === "note") body.note = text.value;
    if (action.input === "reason") body.reason = text.value;
    if (action.input === "category") Object.assign(body, { category: category.value, note: text.value });
    done(action, body);
  });
  return box;
}

function historyTable(history) {
  return table(
    [
      { label: t("col.at"), value: (r) => dateTime(r.at, { seconds: true }) },
      { label: t("col.actor"), value: (r) => r.actor },
      { label: t("col.action"), value: (r) => tOr(`history.${r.action}`, r.action) },
      {
        label: t("col.detail"),
        value: (r) =>
          Object.entries(r.detail || {})
            .map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`)
            .join("; "),
      },
    ],
    history,
    { empty: t("app.empty") },
  );
}

function draw(main, c, ctx, message) {
  clear(main);
  const file = c.evidence || {};
  const actionsBar = h("div", { class: "actions", id: "case-actions" });
  const formSlot = h("div", {});
  const act = async (action, body) => {
    try {
      const updated = await api(`/api/antifraud/cases/${c.id}/${action.path}`, { method: "POST", body });
      draw(main, updated, ctx, flash(t("case.done", { action: t(`action.${action.name}`) })));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      formSlot.prepend(flash(err instanceof ApiError ? `${t("app.error")} ${err.status}: ${err.message}` : err.message, "error"));
    }
  };
  const applicable = ACTIONS.filter((a) => a.statuses.includes(c.status) && (!a.open || a.open(c)));
  for (const a of applicable) {
    actionsBar.append(
      h(
        "button",
        {
          type: "button",
          id: `action-${a.name}`,
          class: `btn${a.primary ? " btn-primary" : ""}`,
          onclick: () => {
            if (!a.input) return act(a, undefined);
            clear(formSlot).append(actionForm(a, c, act));
            formSlot.querySelector("textarea, select, button")?.focus();
          },
        },
        t(`action.${a.name}`),
      ),
    );
  }
  if (!applicable.length) actionsBar.append(h("span", { class: "muted" }, t("case.no_actions")));

  main.append(
    h("a", { href: "#/antifraud/cases", class: "back" }, `← ${t("case.back")}`),
    pageHead(
      t("case.title", { id: c.id }),
      statusBadge(c.status),
      c.handed_over_at ? h("span", { class: "badge badge-police" }, t("history.case.hand_over")) : null,
    ),
    ...(message ? [message] : []),
    actionsBar,
    formSlot,
  );
  const measures = Object.entries(file.evidence || {});
  const account = Object.entries(file.account || {});
  const reach = file.subscribers_reached || {};
  main.append(
    h(
      "div",
      { class: "grid-2" },
      h(
        "section",
        { class: "panel" },
        h("h2", {}, t("case.summary")),
        facts([
          [t("col.number"), h("code", {}, c.subscriber_id)],
          [t("col.score"), num(c.score, 3)],
          [t("col.flagged_by"), tOr(`flagged_by.${c.flagged_by}`, c.flagged_by)],
          [t("col.first_seen"), dateTime(c.first_seen)],
          [t("col.last_seen"), dateTime(c.last_seen)],
          [t("col.first_flagged"), day(c.first_flagged)],
          [t("col.last_flagged"), day(c.last_flagged)],
          [t("col.times_flagged"), num(c.times_flagged)],
          [t("col.analyst"), c.analyst],
          [t("case.decision_note"), c.decision_note || null],
          [t("case.decided_at"), c.decided_at ? dateTime(c.decided_at) : null],
          [t("col.handed_over_at"), c.handed_over_at ? dateTime(c.handed_over_at) : t("case.not_handed_over")],
          [t("case.handed_over_by"), c.handed_over_by],
        ]),
      ),
      h(
        "section",
        { class: "panel" },
        h("h2", {}, t("case.reasons")),
        ruleChips(c.rules),
        h("p", { class: "reasons" }, c.reasons),
        h("h2", {}, t("case.reach")),
        facts(["reached", "answered", "warned"].map((k) => [t(`reach.${k}`), num(reach[k])])),
        h("h2", {}, t("case.account")),
        facts(account.map(([k, v]) => [tOr(`acct.${k}`, k), h("code", {}, String(v))])),
      ),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, t("case.evidence")),
      facts(measures.map(([k, v]) => [tOr(`ev.${k}`, k), evidenceValue(k, v)])),
    ),
    h(
      "section",
      { class: "panel" },
      h("h2", {}, t("case.samples")),
      table(
        [
          { label: t("sample.start_time"), value: (r) => dateTime(r.start_time, { seconds: true }) },
          { label: t("sample.callee"), value: (r) => h("code", {}, String(r.callee)) },
          { label: t("sample.duration_s"), value: (r) => duration(r.duration_s), class: "num" },
          { label: t("sample.cell_id"), value: (r) => String(r.cell_id ?? t("app.none")) },
        ],
        file.sample_calls || [],
        { empty: t("app.empty") },
      ),
    ),
    h("section", { class: "panel", id: "case-history" }, h("h2", {}, t("case.history")), historyTable(c.history || [])),
  );
}

export async function render(main, ctx) {
  const c = await api(`/api/antifraud/cases/${ctx.params[0]}`);
  if (ctx.stale()) return;
  draw(main, c, ctx);
}
