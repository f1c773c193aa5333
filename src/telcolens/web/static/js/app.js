// The console shell: who is logged in, the left nav for their role, and a hash router.

import { ApiError, api, toLogin } from "./api.js";
import { disposeCharts } from "./charts.js";
import { clear, h } from "./dom.js";
import { applyLabels, lang, setLang, t } from "./i18n.js";
import * as admin from "./pages/admin.js";
import * as brokers from "./pages/brokers.js";
import * as casePage from "./pages/case.js";
import * as cases from "./pages/cases.js";
import * as faults from "./pages/faults.js";
import * as incident from "./pages/incident.js";
import * as overview from "./pages/overview.js";
import * as police from "./pages/police.js";
import * as soon from "./pages/soon.js";
import * as warnings from "./pages/warnings.js";

const ANALYSTS = ["fraud_analyst"];
const ENGINEERS = ["network_engineer"];

// The nav: a section per capability, each page with the roles that may open it
// (admin may open all). `soon` pages say honestly that nothing is there yet.
const NAV = [
  {
    label: "nav.antifraud",
    pages: [
      { path: "antifraud", label: "nav.overview", roles: ANALYSTS, page: overview },
      { path: "antifraud/cases", label: "nav.cases", roles: ANALYSTS, page: cases },
      { path: "antifraud/warnings", label: "nav.warnings", roles: [...ANALYSTS, "service_agent"], page: warnings },
      { path: "antifraud/brokers", label: "nav.brokers", roles: ANALYSTS, page: brokers },
      { path: "police", label: "nav.police", roles: ["police_liaison"], page: police },
    ],
  },
  {
    label: "nav.network",
    pages: [{ path: "faults", label: "nav.faults", roles: ENGINEERS, page: faults }],
  },
  {
    label: "nav.broadband",
    pages: [
      { path: "broadband", label: "nav.broadband_quality", roles: ["broadband_engineer"], page: soon, soon: true },
    ],
  },
  { label: "nav.admin", pages: [{ path: "admin", label: "nav.users", roles: [], page: admin }] },
];

// Routes that are not nav entries: a case opens from the queue, an incident from the fault list.
const EXTRA = [
  { pattern: /^antifraud\/cases\/(\d+)$/, roles: ANALYSTS, page: casePage, nav: "antifraud/cases" },
  { pattern: /^faults\/incidents\/(\d+)$/, roles: ENGINEERS, page: incident, nav: "faults" },
];

let user = null;

function allowed(roles) {
  return user.role === "admin" || roles.includes(user.role);
}

function visiblePages() {
  return NAV.flatMap((s) => s.pages.filter((p) => allowed(p.roles)));
}

function route() {
  const raw = location.hash.replace(/^#\/?/, "");
  const [path, qs = ""] = raw.split("?");
  return { path: path.replace(/\/$/, ""), query: Object.fromEntries(new URLSearchParams(qs)) };
}

/** Go to a page of the console, e.g. navigate("antifraud/cases", {status: "new"}). */
export function navigate(path, query = {}) {
  const qs = new URLSearchParams(Object.entries(query).filter(([, v]) => v !== "" && v != null));
  const hash = `#/${path}${qs.toString() ? `?${qs}` : ""}`;
  if (location.hash === hash) render();
  else location.hash = hash;
}

function renderNav(current) {
  const nav = clear(document.getElementById("nav"));
  for (const section of NAV) {
    const pages = section.pages.filter((p) => allowed(p.roles));
    if (!pages.length) continue;
    nav.append(
      h(
        "div",
        { class: "nav-section" },
        h("div", { class: "nav-title" }, t(section.label)),
        pages.map((p) =>
          h(
            "a",
            {
              href: `#/${p.path}`,
              class: `nav-link${p.path === current ? " active" : ""}${p.soon ? " soon" : ""}`,
              dataset: { path: p.path },
            },
            t(p.label),
            p.soon ? h("span", { class: "badge badge-muted" }, t("app.soon")) : null,
          ),
        ),
      ),
    );
  }
}

let renderCount = 0;

export async function render() {
  const mine = ++renderCount;
  const { path, query } = route();
  const pages = visiblePages();
  if (!path) {
    if (pages.length) location.replace(`#/${pages[0].path}`);
    else showMessage(t("app.forbidden"));
    return;
  }
  let target = pages.find((p) => p.path === path);
  let params = [];
  let navPath = path;
  if (!target) {
    const extra = EXTRA.find((r) => r.pattern.test(path));
    if (extra && allowed(extra.roles)) {
      target = extra;
      params = path.match(extra.pattern).slice(1);
      navPath = extra.nav;
    }
  }
  renderNav(navPath);
  disposeCharts();
  const main = clear(document.getElementById("main"));
  main.dataset.page = target ? navPath : "none";
  if (!target) {
    const known = NAV.some((s) => s.pages.some((p) => p.path === path)) || EXTRA.some((r) => r.pattern.test(path));
    main.append(h("div", { class: "alert alert-error" }, t(known ? "app.forbidden" : "app.not_found")));
    return;
  }
  try {
    await target.page.render(main, { user, params, query, navigate, page: target, stale: () => mine !== renderCount });
  } catch (err) {
    if (mine !== renderCount) return;
    main.append(errorBox(err));
  }
}

export function errorBox(err) {
  const text = err instanceof ApiError ? `${t("app.error")} ${err.status}: ${err.message}` : String(err.message || err);
  return h("div", { class: "alert alert-error", role: "alert" }, text);
}

function showMessage(text) {
  const main = clear(document.getElementById("main"));
  main.append(h("div", { class: "alert" }, text));
}

function renderWho() {
  const who = clear(document.getElementById("who"));
  who.append(h("strong", {}, user.name), " · ", t(`role.${user.role}`));
}

async function start() {
  applyLabels();
  try {
    user = await api("/api/auth/me");
  } catch (err) {
    if (!(err instanceof ApiError && err.status === 401)) showMessage(err.message);
    return;
  }
  document.body.dataset.role = user.role;
  renderWho();
  document.getElementById("lang").addEventListener("click", () => {
    setLang(lang() === "zh" ? "en" : "zh");
    applyLabels();
    renderWho();
    render();
  });
  document.getElementById("logout").addEventListener("click", async () => {
    try {
      await api("/api/auth/logout", { method: "POST" });
    } finally {
      toLogin();
    }
  });
  window.addEventListener("hashchange", render);
  await render();
}

start();
