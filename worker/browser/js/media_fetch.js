// The bytes of a message's file, fetched from its blob: URL inside the page (as base64).
// arguments[0]: the selector table; [2]: the bare message id; [3]: a blob: URL read before, or
// null; [4]: timeout ms; last: the callback. Without a URL, the row of that id in #main gives it
// (its failed download is tried again with the row's retry button, then awaited).
const S = arguments[0];
const bare = arguments[2];
let known = arguments[3];
const timeoutMs = arguments[4];
const done = arguments[arguments.length - 1];
const deadline = Date.now() + timeoutMs;
const rowOf = () => {
  for (const row of document.querySelectorAll(S.messageRow)) {
    const id = row.getAttribute("data-id") || "";
    if (id === bare || id.endsWith("_" + bare) || id.includes("_" + bare + "_")) return row;
  }
  return null;
};
const urlOf = () => {
  const row = rowOf();
  const el = row ? row.querySelector(S.mediaBlob) : null;
  return el ? (el.getAttribute("src") || el.getAttribute("href")) : null;
};
const read = (url) => fetch(url)
  .then((resp) => (resp.ok ? resp.blob() : Promise.reject(new Error("status " + resp.status))))
  .then((blob) => new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve({ data: String(reader.result).split(",")[1] || "", mime: blob.type });
    reader.onerror = () => reject(reader.error || new Error("unreadable"));
    reader.readAsDataURL(blob);
  }));
let retried = false;
const attempt = () => {
  if (known) { // read before: it may be gone since (a reload revokes blob: URLs)
    const url = known;
    known = null;
    read(url).then(done, attempt);
    return;
  }
  const url = urlOf();
  if (url) {
    read(url).then(done, (e) => done({ error: String(e.message || e), code: "download_failed" }));
    return;
  }
  const row = rowOf();
  if (!row) { done({ error: "no row " + bare + " in the open chat", code: "row_not_found" }); return; }
  const retry = row.querySelector(S.mediaRetry);
  if (retry && retried) { done({ error: "the page's download failed again", code: "download_failed" }); return; }
  if (retry) { retried = true; retry.click(); }
  if (Date.now() > deadline) { done({ error: "the file did not download in time", code: "download_failed" }); return; }
  setTimeout(attempt, 50);
};
attempt();
