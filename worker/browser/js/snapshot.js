// One look at the page: which screen it shows, plus what the runtime needs from that screen.
// arguments[0]: the selector table, arguments[1]: the texts (worker/browser/selectors.py).
const S = arguments[0];
const T = arguments[1];
const q = (s) => document.querySelector(s);
const body = document.body ? document.body.innerText || "" : "";
const lower = body.toLowerCase();
const out = { state: "unknown", url: location.href, qrRef: null, syncPercent: null, wid: null,
  displayName: null, chats: [], openChat: null, dialog: null, dialogButtons: [], linkCode: null,
  alert: null, excerpt: null, passkeyCode: null };
try { out.wid = window.localStorage.getItem(T.widStorageKey); } catch (e) { out.wid = null; }
// the dialog on top: popups stack, the newest last in the document
const dialogs = document.querySelectorAll(S.dialog);
const dialog = dialogs.length ? dialogs[dialogs.length - 1] : null;
if (dialog) {
  out.dialog = dialog.innerText;
  out.dialogButtons = Array.from(dialog.querySelectorAll(S.dialogButton))
    .map((b) => (b.innerText || "").trim()).filter(Boolean);
}
const alert = q(S.alert);
out.alert = alert ? alert.innerText : null;
const percent = (el) => {
  const m = /(\d+)\s*%/.exec(el.innerText || "");
  if (m) return parseInt(m[1], 10);
  const bar = el.matches(S.progress) ? el : el.querySelector(S.progress);
  return bar && bar.max ? Math.round((bar.value / bar.max) * 100) : null;
};
if (lower.includes(T.unsupported)) {
  out.state = "unsupported";
} else if (Array.from(dialogs).some((d) => d.innerText.toLowerCase().includes(T.conflict))) {
  out.state = "conflict";
} else if (q(S.paneSide)) {
  out.state = q(S.offline) ? "offline" : "ready";
  const me = q(S.ownNameLegacy);
  out.displayName = me ? me.getAttribute("title") : null;
  for (const row of document.querySelectorAll(S.chatRow)) {
    const info = chatRowInfo(S, row);
    if (info && info.badges.length) out.chats.push(info);
  }
  const header = q(S.mainTitle);
  out.openChat = header ? header.getAttribute("title") : null;
} else if (q(S.linkCode)) {
  out.state = "link_code";
  out.linkCode = q(S.linkCode).getAttribute("data-link-code");
} else if (q(S.phoneInput)) {
  out.state = "link_phone";
} else if (q(S.passkeyCode)) {
  out.state = "passkey_code";
  out.passkeyCode = (q(S.passkeyCode).innerText || "").trim() || null;
} else if (lower.includes(T.passkey) && !q(S.qr)) {
  out.state = "passkey";
  out.excerpt = body.slice(0, 200);
} else if (q(S.syncLegacy)) {
  out.state = "syncing";
  out.syncPercent = percent(q(S.syncLegacy));
} else if (q(S.progress) && !q(S.startup) && !q(S.qr)) {
  out.state = "syncing";
  out.syncPercent = percent(document.body);
} else if (q(S.qr)) {
  const ref = q(S.qr).getAttribute("data-ref");
  out.state = q(S.qrReload) ? "qr_expired" : (ref ? "qr" : "loading");
  out.qrRef = ref || null;
} else if (q(S.startup) || q(S.progress)) {
  out.state = "loading";
} else {
  out.excerpt = body.slice(0, 200);
}
return out;
