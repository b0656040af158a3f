// Page drift: what the worker could not read on WhatsApp Web, by kind (session and operator pages).
import { fmtTime, h } from "./dom.js";
import { t } from "./i18n.js";

/** A readable name for a drift kind; a kind this dashboard does not know shows as it is. */
export function driftLabel(kind) {
  const key = `drift.${kind}`;
  const text = t(key);
  return text === key ? kind : text;
}

function entries(pageDrift) {
  return Object.entries(pageDrift || {}).sort(([a], [b]) => a.localeCompare(b));
}

/** Session page: each kind with its count and when it last happened ("none" when empty). */
export function driftList(pageDrift) {
  const kinds = entries(pageDrift);
  if (!kinds.length) return h("span", { "data-testid": "drift-none" }, t("drift.none"));
  return h(
    "ul",
    { class: "drift", "data-testid": "drift-list" },
    kinds.map(([kind, v]) =>
      h(
        "li",
        { "data-testid": "drift-item", "data-kind": kind, "data-count": v.count, title: kind },
        `${driftLabel(kind)}: ${v.count}`,
        v.lastAt && h("span", { class: "muted" }, ` · ${fmtTime(v.lastAt)}`),
      ),
    ),
  );
}

/** Operator page: kinds and counts only ({kind: count}). */
export function driftSummary(counts) {
  const kinds = entries(counts);
  return kinds.length ? kinds.map(([kind, n]) => `${driftLabel(kind)}: ${n}`).join(", ") : "—";
}
