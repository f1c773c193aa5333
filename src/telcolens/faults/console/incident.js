// One incident: its facts and clocks, its alarms, its history; acknowledge and resolve it.

import { ApiError, api } from "/static/js/api.js";
import { disposeCharts, makeChart } from "/static/js/charts.js";
import { clear, h, table } from "/static/js/dom.js";
import { dateTime, num } from "/static/js/format.js";
import { t, tOr } from "/static/js/i18n.js";
import { incidentStatusBadge, minutes, severityBadges } from "./faults.js";
import { facts, flash, pageHead } from "/static/js/ui.js";

function since(start, end) {
  return end ? minutes((new Date(end) - new Date(start)) / 60_000) : null;
}

function resolveForm(done) {
  const text = h("textarea", { id: "resolution-text", rows: 3, maxLength: 2000, required: true });
  const box = h(
    "form",
    { class: "action-form", id: "resolve-form" },
    h("h3", {}, t("incident.resolve")),
    h("p", { class: "muted" }, t("incident.resolve_help")),
    h("label", { class: "field field-wide" }, h("span", {}, t("incident.resolution")), text),
    h(
      "div",
      { class: "buttons" },
      h("button", { type: "submit", class: "btn btn-primary", id: "resolve-submit" }, t("action.submit")),
      h("button", { type: "button", class: "btn", onclick: () => box.remove() }, t("app.cancel")),
    ),
  );
  box.addEventListener("submit", (e) => {
    e.preventDefault();
    done("resolve", { resolution: text.value });
  });
  return box;
}

function actions(i, act, formSlot) {
  const bar = h("div", { class: "actions", id: "incident-actions" });
  if (i.status === "open") {
    const acknowledge = () => act("acknowledge");
    bar.append(
      h("button", { type: "button", class: "btn btn-primary", id: "action-acknowledge", onclick: acknowledge }, t("incident.acknowledge")),
    );
  }
  if (i.status !== "resolved") {
    const open = () => {
      clear(formSlot).append(resolveForm(act));
      formSlot.querySelector("textarea").focus();
    };
    bar.append(h("button", { type: "button", class: "btn", id: "action-resolve", onclick: open }, t("incident.resolve")));
  } else {
    bar.append(h("span", { class: "muted" }, t("incident.no_actions")));
  }
  return bar;
}

function incidentFacts(i) {
  return facts([
    [t("fcol.root_ne"), h("code", {}, i.root_ne_id)],
    [t("fcol.root_alarm"), i.root_alarm_type],
    [t("fcol.alarms"), num(i.alarm_count)],
    [t("fcol.devices"), num(i.device_count)],
    [t("fcol.opened"), dateTime(i.opened_at)],
    [t("incident.last_alarm"), dateTime(i.last_alarm_at)],
    [t("incident.cleared"), i.cleared_at ? dateTime(i.cleared_at) : null],
    [t("fcol.owner"), i.owner],
    [t("incident.acknowledged_at"), i.acknowledged_at ? dateTime(i.acknowledged_at) : null],
    [t("incident.tta"), since(i.opened_at, i.acknowledged_at)],
    [t("incident.resolved_at"), i.resolved_at ? dateTime(i.resolved_at) : null],
    [t("incident.ttr"), since(i.opened_at, i.resolved_at)],
    [t("incident.resolution"), i.resolution],
  ]);
}

function alarmsPanel(i) {
  return h(
    "section",
    { class: "panel", id: "incident-alarms" },
    h("h2", {}, t("incident.alarms")),
    i.alarms.length < i.alarm_count
      ? h("p", { class: "muted" }, t("incident.alarms_shown", { shown: num(i.alarms.length), count: num(i.alarm_count) }))
      : null,
    table(
      [
        { label: "#", value: (r) => r.n, class: "num" },
        { label: t("incident.alarm_id"), value: (r) => h("code", {}, r.id) },
      ],
      i.alarms.map((id, n) => ({ id, n: n + 1 })),
      { empty: t("app.empty") },
    ),
  );
}

const NODE_COLOURS = { root: "#c62828", alarmed: "#ef6c00", other: "#9e9e9e" };

function topologyPanel() {
  return h(
    "section",
    { class: "panel", id: "incident-topology" },
    h("h2", {}, t("incident.topology")),
    h("p", { class: "muted" }, t("incident.topology_help")),
    h("div", { id: "topology-chart", style: "height: 380px" }),
  );
}

function drawTopology(el, topology) {
  const nodes = (topology && topology.nodes) || [];
  const links = (topology && topology.links) || [];
  const colour = (n) => (n.root ? NODE_COLOURS.root : n.alarmed ? NODE_COLOURS.alarmed : NODE_COLOURS.other);
  makeChart(el, {
    animation: false,
    // Text, escaped by makeChart: device names come from the alarms (a syslog hostname, say).
    tooltip: { formatter: (p) => (p.dataType === "node" ? p.name : `${p.data.source} → ${p.data.target}`) },
    series: [
      {
        type: "graph",
        layout: "force",
        layoutAnimation: false,
        roam: true,
        zoom: 1.6,
        draggable: true,
        force: { repulsion: 220, edgeLength: 70 },
        edgeSymbol: ["none", "arrow"],
        edgeSymbolSize: 7,
        label: { show: true, fontSize: 10, position: "right" },
        data: nodes.map((n) => ({ name: n.id, symbolSize: n.root ? 26 : 14, itemStyle: { color: colour(n) } })),
        links: links.map((l) => ({
          source: l.source,
          target: l.target,
          lineStyle: { type: l.type === "power" ? "dashed" : "solid", color: "#78909c" },
        })),
      },
    ],
  });
}

function historyPanel(history) {
  return h(
    "section",
    { class: "panel", id: "incident-history" },
    h("h2", {}, t("incident.history")),
    table(
      [
        { label: t("col.at"), value: (r) => dateTime(r.at, { seconds: true }) },
        { label: t("col.actor"), value: (r) => r.actor },
        { label: t("col.action"), value: (r) => tOr(`history.${r.action}`, r.action) },
      ],
      history,
      { empty: t("app.empty") },
    ),
  );
}

function draw(main, i, message) {
  disposeCharts();
  clear(main);
  const formSlot = h("div", {});
  const act = async (name, body) => {
    try {
      const updated = await api(`/api/faults/incidents/${i.id}/${name}`, { method: "POST", body });
      draw(main, updated, flash(t(`incident.done.${name}`)));
    } catch (err) {
      if (err instanceof ApiError && err.status === 401) return;
      formSlot.prepend(flash(err instanceof ApiError ? `${t("app.error")} ${err.status}: ${err.message}` : err.message, "error"));
    }
  };
  main.append(
    h("a", { href: "#/faults", class: "back" }, `← ${t("incident.back")}`),
    pageHead(t("incident.title", { id: i.id }), incidentStatusBadge(i.status), severityBadges(i)),
    ...(message ? [message] : []),
    actions(i, act, formSlot),
    formSlot,
    h(
      "div",
      { class: "grid-2" },
      h("section", { class: "panel", id: "incident-facts" }, h("h2", {}, t("incident.summary")), incidentFacts(i)),
      alarmsPanel(i),
    ),
    topologyPanel(),
    historyPanel(i.history || []),
  );
  drawTopology(main.querySelector("#topology-chart"), i.topology);
}

export async function render(main, ctx) {
  const incident = await api(`/api/faults/incidents/${ctx.params[0]}`);
  if (ctx.stale()) return;
  draw(main, incident);
}
