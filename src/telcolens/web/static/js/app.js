// The console shell: who is logged in, the left nav for their role, and a hash router.

import { ApiError, api, toLogin } from "./api.js";
import { disposeCharts } from "./charts.js";
import { clear, h } from "./dom.js";
import { applyLabels, lang, setLang, t, tOr } from "./i18n.js";

// The navigation and the routes come from the server (GET /api/auth/me): the pages each
// registered capability declares that this user's role may open, in sections. A page is
// an ES module with `render(main, ctx)`, loaded when first opened.

let user = null;

/** The page's own words in the console's language. */
function title(words) {
  return words[lang()] || words.en;
}

function navPages() {
  return user.sections.flatMap((s) => s.pages.filter((p) => p.nav));
}

/** A route pattern: "faults/incidents/{id}" matches "faults/incidents/7" with ["7"]. */
function matcher(path) {
  const escaped = path.split("/").map((part) => (/^\{\w+\}$/.test(part) ? "([^/]+)" : part.replace(/[.*+?^$()|[\]\\]/g, "\\$&")));
  return new RegExp(`^${escaped.join("/")}$`);
}

const modules = new Map();

function pageModule(page) {
  if (!modules.has(page.module)) modules.set(page.module, import(page.module));
  return modules.get(page.module);
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
  for (const section of user.sections) {
    const pages = section.pages.filter((p) => p.nav);
    if (!pages.length) continue;
    nav.append(
      h(
        "div",
        { class: "nav-section" },
        h("div", { class: "nav-title" }, title(section.title)),
        pages.map((p) =>
          h(
            "a",
            {
              href: `#/${p.path}`,
              class: `nav-link${p.path === current ? " active" : ""}`,
              dataset: { path: p.path },
            },
            title(p.title),
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
  const pages = navPages();
  if (!path) {
    if (pages.length) location.replace(`#/${pages[0].path}`);
    else showMessage(t("app.forbidden"));
    return;
  }
  let target = null;
  let params = [];
  for (const page of user.sections.flatMap((s) => s.pages)) {
    const m = path.match(matcher(page.path));
    if (m) {
      target = page;
      params = m.slice(1);
      break;
    }
  }
  const navPath = target ? target.parent || target.path : path;
  renderNav(navPath);
  disposeCharts();
  const main = clear(document.getElementById("main"));
  main.dataset.page = target ? navPath : "none";
  if (!target) {
    // A page the user's role may not open is not sent at all: the server knows the rest.
    const known = user.known_paths.some((p) => matcher(p).test(path));
    main.append(h("div", { class: "alert alert-error" }, t(known ? "app.forbidden" : "app.not_found")));
    return;
  }
  try {
    const module = await pageModule(target);
    if (mine !== renderCount) return;
    await module.render(main, { user, params, query, navigate, page: target, stale: () => mine !== renderCount });
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
  who.append(h("strong", {}, user.name), " · ", tOr(`role.${user.role}`, user.role));
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
