// Building elements without innerHTML, so data from the API is never parsed as markup.
// The one place text must become HTML (ECharts tooltips) goes through escapeHtml below.

/**
 * h("a", {href: "#/x", class: "btn", onclick: fn, dataset: {id: 1}}, "text", child, [more])
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === undefined || v === null || v === false) continue;
    // Markup and inline handlers from a string would be parsed: only functions and text here.
    if (k === "innerHTML" || k === "outerHTML" || (k.startsWith("on") && typeof v !== "function")) {
      throw new Error(`h(): "${k}" takes no markup or code`);
    }
    if (k === "class") el.className = v;
    else if (k === "dataset") Object.assign(el.dataset, v);
    else if (k === "style" && typeof v === "object") Object.assign(el.style, v);
    else if (k.startsWith("on") && typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (k in el && typeof v !== "string") el[k] = v;
    else el.setAttribute(k, v === true ? "" : v);
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === undefined || c === null || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** A table: columns [{label, value: row => text|Node, class}], rows. */
export function table(columns, rows, { empty = "", rowAttrs } = {}) {
  if (!rows.length) return h("p", { class: "empty" }, empty);
  return h(
    "div",
    { class: "table-wrap" },
    h(
      "table",
      {},
      h("thead", {}, h("tr", {}, columns.map((c) => h("th", { class: c.class }, c.label)))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            rowAttrs ? rowAttrs(r) : {},
            columns.map((c) => h("td", { class: c.class }, c.value(r))),
          ),
        ),
      ),
    ),
  );
}

/** A <select> of [value, label] pairs. */
export function select(options, value, attrs = {}) {
  return h(
    "select",
    attrs,
    options.map(([v, label]) => h("option", { value: v, selected: String(v) === String(value ?? "") }, label)),
  );
}

export function clear(el) {
  while (el.firstChild) el.firstChild.remove();
  return el;
}

const ENTITIES = { "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" };

/** `value` as HTML text: every character that markup could start with, escaped. */
export function escapeHtml(value) {
  return String(value ?? "").replace(/[&<>"']/g, (c) => ENTITIES[c]);
}

/** Lines of text (a string or a list) as HTML: each line escaped, joined by <br/>. */
export function htmlLines(lines) {
  return (Array.isArray(lines) ? lines : [lines]).map(escapeHtml).join("<br/>");
}
