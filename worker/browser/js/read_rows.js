// Parse message rows of the open chat. arguments[0]: list of data-ids to read, or null for all
// rows currently in #main; when null and arguments[1] is set, drain the observer's dirty set.
const wanted = arguments[0];
const drain = arguments[1];
let ids = wanted;
if (!ids && drain) {
  ids = window.__waDirty ? Array.from(window.__waDirty) : [];
  if (window.__waDirty) window.__waDirty.clear();
}
const rows = ids
  ? ids.map((id) => document.querySelector('#main div[data-id="' + CSS.escape(id) + '"]')).filter(Boolean)
  : Array.from(document.querySelectorAll('#main [role="row"] div[data-id]'));
const header = document.querySelector("#main header span[title]");
const out = [];
for (const row of rows) {
  const pre = row.querySelector("[data-pre-plain-text]");
  const body = row.querySelector("span.selectable-text");
  const icon = row.querySelector('span[data-icon^="msg-"]');
  out.push({
    id: row.getAttribute("data-id"),
    direction: row.classList.contains("message-out") || row.querySelector(".message-out")
      || row.closest(".message-out") ? "out" : "in",
    pre: pre ? pre.getAttribute("data-pre-plain-text") : "",
    body: body ? body.innerText : "",
    icon: icon ? icon.getAttribute("data-icon") : null,
    iconLabel: icon ? (icon.getAttribute("aria-label") || "").trim() : null,
  });
}
return { chat: header ? header.getAttribute("title") : null, rows: out };
