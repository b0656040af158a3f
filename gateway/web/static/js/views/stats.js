// Stats: sessions, chats, 30-day message totals and a per-day in/out bar chart drawn as SVG.
import { api } from "../api.js";
import { h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";

const SVG = "http://www.w3.org/2000/svg";

function svg(tag, attrs, ...children) {
  const el = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  for (const c of children) el.append(c);
  return el;
}

/** Grouped bars (in, out) per day; the tallest bar fills the height. */
export function chart(perDay) {
  const width = 720,
    height = 200,
    pad = 24;
  const max = Math.max(1, ...perDay.map((d) => Math.max(d.in, d.out)));
  const slot = (width - pad) / Math.max(1, perDay.length);
  const bar = Math.max(1, slot / 2 - 1);
  const root = svg("svg", {
    viewBox: `0 0 ${width} ${height + 20}`,
    class: "chart",
    "data-testid": "stats-chart",
    role: "img",
    "aria-label": t("stats.chart"),
  });
  root.append(svg("line", { x1: pad, y1: height, x2: width, y2: height, class: "axis" }));
  root.append(svg("text", { x: 0, y: 12, class: "label" }, String(max)));
  perDay.forEach((d, i) => {
    const x = pad + i * slot;
    for (const [key, dx] of [
      ["in", 0],
      ["out", bar],
    ]) {
      const hgt = (d[key] / max) * (height - 10);
      const rect = svg("rect", {
        x: x + dx,
        y: height - hgt,
        width: bar,
        height: hgt,
        class: `bar-${key}`,
        "data-date": d.date,
      });
      rect.append(svg("title", {}, `${d.date}: ${t(`stats.${key}`)} ${d[key]}`));
      root.append(rect);
    }
    if (i % 5 === 0) root.append(svg("text", { x, y: height + 14, class: "label" }, d.date.slice(5)));
  });
  return root;
}

export default function stats(root) {
  const box = h("div", {}, t("common.loading"));
  mount(root, h("section", { class: "card" }, h("h1", {}, t("stats.title")), box));
  api("GET", "/whatsapp/stats")
    .then((s) => {
      const card = (key, value, testid) =>
        h("div", { class: "stat", "data-testid": testid }, h("strong", {}, value), h("span", {}, t(key)));
      mount(
        box,
        h(
          "div",
          { class: "stats" },
          card("stats.active", `${s.activeSessions} / ${s.totalSessions}`, "stat-sessions"),
          card("stats.chats", s.chats, "stat-chats"),
          card("stats.in", s.messages.in, "stat-in"),
          card("stats.out", s.messages.out, "stat-out"),
        ),
        h("h2", {}, t("stats.chart")),
        chart(s.messages.perDay),
        h(
          "p",
          { class: "legend" },
          h("span", { class: "key-in" }, t("stats.in")),
          " ",
          h("span", { class: "key-out" }, t("stats.out")),
        ),
      );
    })
    .catch((e) => toast(e.message, "error"));
}
