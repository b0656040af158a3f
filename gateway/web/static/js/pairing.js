// "Link with phone number" in the connect dialog: asks for a pairing code and shows it big with its
// expiry; follows whatsapp:pairing_code (also the replay on connect) for the session it shows.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { on } from "./socket.js";

const codes = new Map(); // session id -> the latest {code, phone, expiresAt} (admins only get them)
let current = null; // the session the dialog shows
let timer = 0;

const el = (id) => document.getElementById(id);

function secondsLeft(c) {
  return c.expiresAt ? Math.round((Date.parse(c.expiresAt) - Date.now()) / 1000) : Infinity;
}

/** WhatsApp shows the 8 characters as two groups of four. */
function grouped(code) {
  return code.length === 8 ? `${code.slice(0, 4)}-${code.slice(4)}` : code;
}

function setMode(mode) {
  el("qr-modal").dataset.mode = mode; // "code" hides the QR (app.css)
}

function tick() {
  const c = codes.get(current);
  if (!c) return;
  const expiry = el("pair-expiry");
  const left = secondsLeft(c);
  expiry.dataset.expired = String(left <= 0);
  if (left === Infinity) expiry.textContent = "";
  else if (left > 0)
    expiry.textContent = t("pair.expiresIn", {
      time: `${Math.floor(left / 60)}:${String(left % 60).padStart(2, "0")}`,
    });
  else {
    expiry.textContent = t("pair.expired");
    clearInterval(timer);
    setMode("qr"); // the page is back on the QR: scan it, or ask for a new code
    el("pair-form").hidden = false;
  }
}

function show(c) {
  const code = el("pair-code");
  code.textContent = grouped(c.code);
  code.dataset.code = c.code;
  el("pair-hint").textContent = c.phone ? t("pair.hintPhone", { phone: `+${c.phone}` }) : t("pair.hint");
  el("pair-result").hidden = false;
  el("pair-form").hidden = true;
  el("pair-error").hidden = true;
  el("qr-status").textContent = t("pair.enter");
  setMode("code");
  clearInterval(timer);
  tick();
  timer = setInterval(tick, 1000);
}

async function ask(event) {
  event.preventDefault();
  const sessionId = current;
  const error = el("pair-error");
  error.hidden = true;
  el("pair-submit").disabled = true;
  el("qr-status").textContent = t("pair.asking");
  try {
    const out = await api("POST", `/whatsapp/sessions/${sessionId}/pairing-code`, {
      phone: el("pair-phone").value.trim(),
    });
    codes.set(sessionId, out);
    if (current === sessionId) show(out);
  } catch (err) {
    if (current !== sessionId) return;
    error.textContent = err.message;
    error.hidden = false;
    el("qr-status").textContent = "";
  } finally {
    el("pair-submit").disabled = false;
  }
}

/** The dialog now shows `sessionId` (null: closed). A code still valid for it is shown at once. */
export function showPairing(sessionId) {
  current = sessionId;
  clearInterval(timer);
  setMode("qr");
  for (const id of ["pair-form", "pair-result", "pair-error"]) el(id).hidden = true;
  el("pair-phone").placeholder = t("pair.placeholder");
  const known = sessionId && codes.get(sessionId);
  if (known && secondsLeft(known) > 0) show(known);
}

/** True while a valid code is on screen (the QR is hidden then). */
export function showingCode() {
  return el("qr-modal").dataset.mode === "code";
}

export function initPairing() {
  el("pair-toggle").addEventListener("click", () => {
    const form = el("pair-form");
    form.hidden = !form.hidden;
    if (!form.hidden) el("pair-phone").focus();
  });
  el("pair-form").addEventListener("submit", ask);
  on("whatsapp:pairing_code", (d) => {
    codes.set(d.sessionId, d);
    if (d.sessionId === current) show(d);
  });
}
