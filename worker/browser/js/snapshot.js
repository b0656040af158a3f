// One look at the page: which screen it shows, plus what the runtime needs from that screen.
const q = (s) => document.querySelector(s);
const text = document.body ? document.body.innerText || "" : "";
const out = { state: "unknown", url: location.href, qrRef: null, syncPercent: null,
  wid: null, displayName: null, unread: [], openChat: null, dialog: null };
try { out.wid = window.localStorage.getItem("last-wid-md"); } catch (e) { out.wid = null; }
const dialog = q('div[role="dialog"]');
if (dialog) out.dialog = dialog.innerText;
const qr = q("div[data-ref]");
const sync = q('[data-testid="sync-progress"]');
if (text.includes("WhatsApp works with Google Chrome")) {
  out.state = "unsupported";
} else if (dialog && dialog.innerText.includes("open in another window")) {
  out.state = "conflict";
} else if (q("#pane-side")) {
  out.state = q('#side span[data-icon="alert-computer"]') ? "offline" : "ready";
  const me = q('#side header span[data-testid="profile-name"]');
  out.displayName = me ? me.getAttribute("title") : null;
  for (const row of document.querySelectorAll('#pane-side [role="listitem"]')) {
    const badge = row.querySelector('span[aria-label$="unread message"], span[aria-label$="unread messages"]');
    const title = row.querySelector("span[title]");
    if (badge && title) {
      out.unread.push({ name: title.getAttribute("title"), count: parseInt(badge.innerText, 10) || 1 });
    }
  }
  const header = q("#main header span[title]");
  out.openChat = header ? header.getAttribute("title") : null;
} else if (sync) {
  out.state = "syncing";
  const m = /(\d+)%/.exec(sync.innerText);
  out.syncPercent = m ? parseInt(m[1], 10) : null;
} else if (qr) {
  const ref = qr.getAttribute("data-ref");
  out.state = q("div[data-ref] > span > button") ? "qr_expired" : (ref ? "qr" : "loading");
  out.qrRef = ref || null;
} else if (q("#startup") || q("progress")) {
  out.state = "loading";
}
return out;
