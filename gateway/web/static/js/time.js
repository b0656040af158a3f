// Short, locale-aware times: "15:38" in a bubble; "15:38" / "Yesterday" / weekday / date in the
// chat list; "Today" / "Yesterday" / weekday / full date on the separators between days.
import { locale, t } from "./i18n.js";

const DAY_MS = 86400000;

function parse(iso) {
  if (!iso) return null;
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : d;
}

/** Local calendar day as a sortable key ("2026-11-30"): the unit of date separators. */
export function dayKey(iso) {
  const d = parse(iso);
  if (!d) return "";
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

/** Whole local days between `d` and now (0 today, 1 yesterday; negative for the future). */
function daysAgo(d, now = new Date()) {
  const start = (x) => new Date(x.getFullYear(), x.getMonth(), x.getDate()).getTime();
  return Math.round((start(now) - start(d)) / DAY_MS);
}

/** "15:38" */
export function shortTime(iso) {
  const d = parse(iso);
  return d ? d.toLocaleTimeString(locale(), { hour: "2-digit", minute: "2-digit" }) : "";
}

/** The chat list's time: today "15:38", "Yesterday", a weekday within a week, else a date. */
export function listTime(iso, now = new Date()) {
  const d = parse(iso);
  if (!d) return "";
  const ago = daysAgo(d, now);
  if (ago <= 0) return shortTime(iso);
  if (ago === 1) return t("time.yesterday");
  if (ago < 7) return d.toLocaleDateString(locale(), { weekday: "short" });
  return d.toLocaleDateString(locale(), { day: "2-digit", month: "2-digit", year: "2-digit" });
}

/** A separator's label: "Today", "Yesterday", a weekday within a week, else the full date. */
export function dayLabel(iso, now = new Date()) {
  const d = parse(iso);
  if (!d) return "";
  const ago = daysAgo(d, now);
  if (ago === 0) return t("time.today");
  if (ago === 1) return t("time.yesterday");
  if (ago > 1 && ago < 7) return d.toLocaleDateString(locale(), { weekday: "long" });
  const sameYear = d.getFullYear() === now.getFullYear();
  return d.toLocaleDateString(locale(), { day: "numeric", month: "long", year: sameYear ? undefined : "numeric" });
}

/** A full date and time for tooltips and admin tables ("30 Nov 2026, 15:38"). */
export function fullTime(iso) {
  const d = parse(iso);
  return d ? d.toLocaleString(locale(), { dateStyle: "medium", timeStyle: "short" }) : "";
}
