// Message rows of the open chat, raw (Python parses ids, times and ticks).
// arguments[0]: the selector table; arguments[2]: data-ids to read, or null for every row in
// #main; when null and arguments[3] is set, drain the observer's dirty set instead.
const S = arguments[0];
const wanted = arguments[2];
const drain = arguments[3];
let ids = wanted;
if (!ids && drain) {
  ids = window.__waDirty ? Array.from(window.__waDirty) : [];
  if (window.__waDirty) window.__waDirty.clear();
}
const main = document.querySelector(S.main);
const rows = !main ? [] : ids
  ? ids.map((id) => main.querySelector(S.rowById.replace("{id}", CSS.escape(id)))).filter(Boolean)
  : Array.from(document.querySelectorAll(S.messageRow));
const has = (row, sel) => row.matches(sel) || row.querySelector(sel) || row.closest(sel);
const header = document.querySelector(S.mainTitle);
// a row's file: its kind (from its frame or player), blob: URL, name, duration, thumbnail
const mediaOf = (row) => {
  const kinds = [["image", S.mediaImage], ["sticker", S.mediaSticker], ["video", S.mediaVideo],
    ["voice", S.mediaVoice], ["audio", S.mediaAudio], ["document", S.mediaDocument]];
  const found = kinds.find(([, sel]) => row.querySelector(sel));
  if (!found) return null;
  const blob = row.querySelector(S.mediaBlob);
  const doc = row.querySelector(S.mediaDocument);
  const name = doc ? doc.querySelector(S.mediaDocName) : null;
  const duration = row.querySelector(S.mediaDuration);
  const thumb = row.querySelector(S.mediaThumb);
  return {
    kind: found[0],
    blob: blob ? (blob.getAttribute("src") || blob.getAttribute("href")) : null,
    name: name ? name.getAttribute("title") : null,
    duration: duration ? duration.textContent : null,
    thumb: thumb ? (thumb.getAttribute("poster") || thumb.getAttribute("src")) : null,
  };
};
const out = [];
for (const row of rows) {
  const pre = row.querySelector(S.prePlain);
  const text = row.querySelector(S.text);
  const icon = row.querySelector(S.tick);
  out.push({
    id: row.getAttribute("data-id"),
    direction: has(row, S.outgoing) ? "out" : has(row, S.incoming) ? "in" : null,
    pre: pre ? pre.getAttribute("data-pre-plain-text") : null,
    body: text ? text.innerText : null,
    icon: icon ? icon.getAttribute("data-icon") : null,
    iconLabel: icon ? (icon.getAttribute("aria-label") || "").trim() : null,
    media: mediaOf(row),
  });
}
return {
  chat: header ? header.getAttribute("title") : null,
  rows: out,
  tzOffset: new Date().getTimezoneOffset(),
};
