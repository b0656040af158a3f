// The passkey signer extension (gateway/web/signer-extension), seen from the dashboard: its content
// script answers window messages marked "wagwPasskeySigner". Page -> extension: ping, sign, abort;
// extension -> page: ready, signed, failed. Nothing else crosses.
const MARK = "wagwPasskeySigner";
const waiting = new Map(); // requestId -> {resolve, reject}
const readyListeners = new Set();
let version = null; // the extension's version once it said "ready"

function post(msg) {
  window.postMessage({ [MARK]: "page", ...msg }, location.origin);
}

window.addEventListener("message", (event) => {
  const msg = event.data;
  if (event.source !== window || event.origin !== location.origin) return;
  if (!msg || typeof msg !== "object" || msg[MARK] !== "extension") return;
  if (msg.kind === "ready") {
    version = String(msg.version || "?");
    for (const fn of readyListeners) fn(version);
    return;
  }
  const pending = waiting.get(msg.requestId);
  if (!pending) return;
  waiting.delete(msg.requestId);
  if (msg.kind === "signed") pending.resolve(msg.credential);
  else pending.reject(new Error(String(msg.error || "failed")));
});

/** The extension's version, or null while it has not answered. */
export function signerVersion() {
  return version;
}

/** Call `fn(version)` whenever the extension says it is there; asks it now. */
export function onSignerReady(fn) {
  readyListeners.add(fn);
  post({ kind: "ping" });
  return () => readyListeners.delete(fn);
}

/** Ask the extension to sign: it opens web.whatsapp.com, the admin confirms there. */
export function signWithExtension(request) {
  return new Promise((resolve, reject) => {
    waiting.get(request.requestId)?.reject(new Error("replaced"));
    waiting.set(request.requestId, { resolve, reject });
    post({
      kind: "sign",
      requestId: request.requestId,
      publicKey: request.options,
      deadline: Date.parse(request.expiresAt),
    });
  });
}

/** Close the extension's signing tab of this request, if one is open. */
export function abortSigning(requestId) {
  const pending = waiting.get(requestId);
  if (!pending) return;
  waiting.delete(requestId);
  post({ kind: "abort", requestId });
  pending.reject(new Error("aborted"));
}
