// The connect dialog: the session's current QR (following every whatsapp:qr), or a pairing code
// (pairing.js); WhatsApp's passkey check (passkey.js); guidance when WhatsApp needs a person;
// closes on whatsapp:ready.
import { api } from "./api.js";
import { mount, toast } from "./dom.js";
import { guidance } from "./guidance.js";
import { t } from "./i18n.js";
import { initPairing, showingCode, showPairing } from "./pairing.js";
import { initPasskey, showPasskey } from "./passkey.js";
import { on } from "./socket.js";

let current = null; // session id the modal is showing

function els() {
  return {
    modal: document.getElementById("qr-modal"),
    img: document.getElementById("qr-image"),
    status: document.getElementById("qr-status"),
    guide: document.getElementById("qr-guidance"),
  };
}

function showQr(qrCode) {
  const { img, status } = els();
  img.src = qrCode;
  img.hidden = false;
  img.dataset.updated = String(Date.now());
  if (!showingCode()) status.textContent = t("qr.scan");
}

function showGuidance(state, reason, detail) {
  const { guide } = els();
  const block = guidance(state, reason, detail);
  mount(guide, block);
  guide.hidden = !block;
}

export function closeQrModal() {
  current = null;
  showPairing(null);
  showPasskey(null);
  els().modal.hidden = true;
}

/** Start the session (idempotent) and show its QR as it arrives. */
export async function openQrModal(sessionId, name) {
  const { modal, img, status } = els();
  current = sessionId;
  modal.dataset.sessionId = sessionId;
  document.getElementById("qr-title").textContent = t("qr.title", { name });
  img.hidden = true;
  img.removeAttribute("src");
  status.textContent = t("qr.waiting");
  showGuidance(null);
  showPairing(sessionId);
  showPasskey(sessionId);
  modal.hidden = false;
  try {
    await api("POST", `/whatsapp/sessions/${sessionId}/start`);
    const qr = await api("GET", `/whatsapp/sessions/${sessionId}/qr`);
    if (current !== sessionId) return;
    if (qr.isConnected) {
      closeQrModal();
      toast(t("qr.connected"));
    } else if (qr.qrCode) showQr(qr.qrCode);
  } catch (err) {
    status.textContent = err.message;
  }
}

export function initQrModal() {
  document.getElementById("qr-close").addEventListener("click", closeQrModal);
  initPairing();
  initPasskey();
  on("whatsapp:qr", (data) => {
    if (data.sessionId === current) showQr(data.qrCode);
  });
  on("whatsapp:ready", (data) => {
    if (data.sessionId !== current) return;
    closeQrModal();
    toast(t("qr.connected"));
  });
  on("whatsapp:state", (data) => {
    if (data.sessionId !== current) return;
    showGuidance(data.state, data.reason, data.detail);
    if (["stopped", "blocked"].includes(data.state)) {
      els().status.textContent = t("qr.failed", { state: t(`state.${data.state}`), reason: data.reason || "" });
    }
  });
}
