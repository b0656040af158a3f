// WhatsApp's passkey check in the connect dialog: the request the session's page waits on (from
// whatsapp:passkey_required, its replay, or GET .../passkey) and its deadline; signed by the signer
// extension, or by the console snippet on web.whatsapp.com, and sent back once; then the number to
// confirm on the phone (whatsapp:passkey_confirmation), and how an attempt ended.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { abortSigning, onSignerReady, signerVersion, signWithExtension } from "./signer.js";
import { on } from "./socket.js";

const STAGES = { sign: "sign", answered: "answered", confirm: "confirm" };
const ENDINGS = ["passkey_timeout", "passkey_cancelled", "passkey_rejected"];
const requests = new Map(); // session id -> {requestId, options, origin, expiresAt, stage, code, codeExpiresAt}
const ended = new Map(); // session id -> the reason its last attempt ended
const rejected = new Set(); // sessions whose last answer WhatsApp refused (a new request follows)
let current = null; // the session the dialog shows
let timer = 0;
let helpers = null; // the snippet's WebAuthn JSON helpers, fetched once
let shown = null; // the request whose snippet and answer box are on screen

const el = (id) => document.getElementById(id);

function secondsLeft(iso) {
  return iso ? Math.max(0, Math.round((Date.parse(iso) - Date.now()) / 1000)) : null;
}

function clock(seconds) {
  return `${Math.floor(seconds / 60)}:${String(seconds % 60).padStart(2, "0")}`;
}

function showError(message) {
  const error = el("pk-error");
  error.textContent = message || "";
  error.hidden = !message;
}

function tick() {
  const req = requests.get(current);
  const deadline = el("pk-deadline");
  const left = req ? secondsLeft(req.stage === "confirm" ? req.codeExpiresAt : req.expiresAt) : null;
  deadline.dataset.expired = String(left === 0);
  if (left === null) deadline.textContent = "";
  else deadline.textContent = left > 0 ? t("pk.left", { time: clock(left) }) : t("pk.late");
}

function stageText(req, end) {
  if (end) return t(`pk.end.${end}`);
  const note = req.stage === "sign" && rejected.has(current) ? `${t("pk.rejected")} ` : "";
  return note + t(`pk.stage.${req.stage}`);
}

function render() {
  clearInterval(timer);
  const req = current ? requests.get(current) : null;
  const end = !req && current ? ended.get(current) : null;
  el("qr-modal").dataset.passkey = String(Boolean(req || end));
  el("pk").hidden = !(req || end);
  if (!req && !end) return;
  const signing = Boolean(req && req.stage === "sign");
  el("pk-stage").textContent = stageText(req, end);
  el("pk-sign-box").hidden = !signing;
  el("pk-console").hidden = !signing;
  el("pk-cancel").hidden = !req;
  el("pk-code").hidden = !(req && req.stage === "confirm");
  el("pk-code").textContent = req && req.stage === "confirm" ? req.code : "";
  el("pk-code-hint").hidden = el("pk-code").hidden;
  if (signing) {
    const version = signerVersion();
    el("pk-sign").disabled = !version;
    el("pk-ext-hint").textContent = version ? t("pk.extReady", { version }) : t("pk.extMissing");
    if (shown !== req.requestId) {
      shown = req.requestId;
      el("pk-answer").value = "";
      el("pk-snippet").value = "";
      snippet(req).then((text) => {
        if (shown === req.requestId) el("pk-snippet").value = text;
      });
    }
  }
  tick();
  if (req) timer = setInterval(tick, 1000);
}

/** The console snippet for `req`: paste it in DevTools on https://web.whatsapp.com. */
async function snippet(req) {
  if (helpers === null) {
    const resp = await fetch("/signer-extension/webauthn-json.js");
    helpers = resp.ok ? await resp.text() : "";
  }
  return [
    "(async () => {",
    helpers.trim(),
    `const c = await navigator.credentials.get({ publicKey: wagwWebAuthn.options(${JSON.stringify(req.options)}) });`,
    "const out = JSON.stringify(wagwWebAuthn.credential(c));",
    'if (typeof copy === "function") copy(out);',
    "console.log(out);",
    "return out;",
    "})()",
  ].join("\n");
}

async function send(sessionId, req, credential) {
  showError("");
  await api("POST", `/whatsapp/sessions/${sessionId}/passkey`, { requestId: req.requestId, credential });
  rejected.delete(sessionId);
  if (requests.get(sessionId) === req) requests.set(sessionId, { ...req, stage: "answered" });
  if (current === sessionId) render();
}

async function signHere() {
  const sessionId = current;
  const req = requests.get(sessionId);
  if (!req) return;
  el("pk-sign").disabled = true;
  el("pk-stage").textContent = t("pk.signing");
  try {
    await send(sessionId, req, await signWithExtension(req));
  } catch (err) {
    if (current === sessionId) {
      showError(t("pk.failed", { why: err.message }));
      render();
    }
  }
}

async function sendPasted() {
  const sessionId = current;
  const req = requests.get(sessionId);
  if (!req) return;
  let credential;
  try {
    credential = JSON.parse(el("pk-answer").value.trim());
  } catch {
    showError(t("pk.notJson"));
    return;
  }
  try {
    await send(sessionId, req, credential);
  } catch (err) {
    showError(t("pk.failed", { why: err.message }));
  }
}

async function cancel() {
  const sessionId = current;
  const req = requests.get(sessionId);
  if (!req) return;
  abortSigning(req.requestId);
  try {
    await api("POST", `/whatsapp/sessions/${sessionId}/passkey/cancel`, { requestId: req.requestId });
  } catch (err) {
    showError(t("pk.failed", { why: err.message }));
  }
}

async function copySnippet() {
  const box = el("pk-snippet");
  try {
    await navigator.clipboard.writeText(box.value);
  } catch {
    box.select(); // the clipboard is not ours to write: the admin copies the selection
  }
}

async function refresh(sessionId) {
  try {
    const state = await api("GET", `/whatsapp/sessions/${sessionId}/passkey`);
    if (state.pending) {
      requests.set(sessionId, {
        requestId: state.requestId,
        options: state.options,
        origin: state.origin,
        expiresAt: state.expiresAt,
        stage: STAGES[state.stage],
        code: state.confirmationCode,
        codeExpiresAt: state.confirmationExpiresAt,
      });
    }
  } catch {
    return; // the events bring it, or nothing is asked
  }
  if (current === sessionId) render();
}

/** The dialog now shows `sessionId` (null: closed). */
export function showPasskey(sessionId) {
  current = sessionId;
  showError("");
  render();
  if (sessionId) refresh(sessionId);
}

function onState(d) {
  if (d.state === "passkey_required" || d.state === "passkey_confirmation") {
    if (d.reason === "passkey_rejected") rejected.add(d.sessionId);
  } else {
    const req = requests.get(d.sessionId);
    if (req) abortSigning(req.requestId);
    requests.delete(d.sessionId);
    rejected.delete(d.sessionId);
    if (d.state === "stopped" && ENDINGS.includes(d.reason)) ended.set(d.sessionId, d.reason);
    else ended.delete(d.sessionId);
  }
  if (d.sessionId === current) render();
}

export function initPasskey() {
  el("pk-sign").addEventListener("click", signHere);
  el("pk-send").addEventListener("click", sendPasted);
  el("pk-cancel").addEventListener("click", cancel);
  el("pk-copy").addEventListener("click", copySnippet);
  onSignerReady(() => render());
  on("whatsapp:passkey_required", (d) => {
    requests.set(d.sessionId, {
      requestId: d.requestId,
      options: d.options,
      origin: d.origin,
      expiresAt: d.expiresAt,
      stage: "sign",
    });
    ended.delete(d.sessionId);
    if (d.sessionId === current) render();
  });
  on("whatsapp:passkey_confirmation", (d) => {
    const req = requests.get(d.sessionId) || { requestId: d.requestId };
    requests.set(d.sessionId, { ...req, stage: "confirm", code: d.code, codeExpiresAt: d.expiresAt });
    if (d.sessionId === current) render();
  });
  on("whatsapp:state", onState);
}
