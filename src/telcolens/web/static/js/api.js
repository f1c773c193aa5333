// Calls to the telcolens API: JSON in and out, the session cookie, errors as ApiError.

export class ApiError extends Error {
  constructor(status, detail) {
    super(detail);
    this.status = status;
  }
}

// Pseudonyms are 64-bit integers. The API sends most as strings, but case files carry
// some as JSON numbers, which a plain JSON.parse would round; keep their digits instead.
function keepBigIntegers(_key, value, context) {
  if (typeof value === "number" && !Number.isSafeInteger(value) && context?.source) {
    if (/^-?\d+$/.test(context.source)) return context.source;
  }
  return value;
}

export function parseJson(text) {
  return JSON.parse(text, keepBigIntegers);
}

function detailOf(data, fallback) {
  const detail = data && data.detail;
  if (typeof detail === "string") return detail;
  // FastAPI's validation errors: a list of {loc, msg}.
  if (Array.isArray(detail)) {
    return detail.map((d) => `${(d.loc || []).slice(1).join(".")}: ${d.msg}`).join("; ");
  }
  return fallback;
}

/** Call the API; on 401 go to the login page (and come back to this page after). */
export async function api(path, { method = "GET", body } = {}) {
  const init = { method, credentials: "same-origin", headers: { Accept: "application/json" } };
  if (body !== undefined) {
    init.headers["Content-Type"] = "application/json";
    init.body = JSON.stringify(body);
  }
  const res = await fetch(path, init);
  const text = await res.text();
  let data = null;
  try {
    data = text ? parseJson(text) : null;
  } catch {
    data = null;
  }
  if (res.status === 401 && !path.startsWith("/api/auth/login")) {
    toLogin();
  }
  if (!res.ok) throw new ApiError(res.status, detailOf(data, `${res.status} ${res.statusText}`));
  return data;
}

export function toLogin() {
  const next = location.hash ? `?next=${encodeURIComponent(location.hash)}` : "";
  location.assign(`/login${next}`);
}

/** A query string from an object, leaving out empty values. */
export function query(params) {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== "") q.set(k, v);
  }
  const s = q.toString();
  return s ? `?${s}` : "";
}
