// Numbers and times for display. The API's timestamps are UTC; people read Beijing time.

import { lang, t } from "./i18n.js";

const TZ = "Asia/Shanghai";
const parts = new Intl.DateTimeFormat("en-CA", {
  timeZone: TZ,
  year: "numeric",
  month: "2-digit",
  day: "2-digit",
  hour: "2-digit",
  minute: "2-digit",
  second: "2-digit",
  hourCycle: "h23",
});

/**
 * "2026-11-04 15:09" in China Standard Time. A timestamp with Z or an offset is
 * converted; a naive one (the case files' call times) is already local and shown as is.
 */
export function dateTime(value, { seconds = false } = {}) {
  if (!value) return t("app.none");
  const s = String(value);
  if (!/(Z|[+-]\d\d:?\d\d)$/.test(s)) {
    const local = s.replace("T", " ");
    return seconds ? local.slice(0, 19) : local.slice(0, 16);
  }
  const d = new Date(s);
  if (Number.isNaN(d.getTime())) return s;
  const p = Object.fromEntries(parts.formatToParts(d).map((x) => [x.type, x.value]));
  const text = `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}`;
  return seconds ? `${text}:${p.second}` : text;
}

export function day(value) {
  return value ? String(value).slice(0, 10) : t("app.none");
}

export function num(value, digits = 0) {
  if (value === null || value === undefined || value === "") return t("app.none");
  if (typeof value !== "number") return String(value);
  return value.toLocaleString(lang() === "zh" ? "zh-CN" : "en-GB", {
    minimumFractionDigits: digits,
    maximumFractionDigits: digits,
  });
}

export function share(value) {
  return typeof value === "number" ? `${(value * 100).toFixed(1)}%` : t("app.none");
}

export function duration(seconds) {
  if (seconds === null || seconds === undefined) return t("app.none");
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}
