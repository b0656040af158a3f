// On the dashboard: carries the signer's relay messages between the page and the extension, and
// nothing else (it reads no page content). Page -> extension: "ping", "sign", "abort"; extension
// -> page: "ready", "signed", "failed". Messages are marked and must come from this very window.
(() => {
  const api = globalThis.browser ?? globalThis.chrome;
  const MARK = "wagwPasskeySigner";
  const VERSION = api.runtime.getManifest().version;
  const MAX_OPTIONS_CHARS = 8192;
  const post = (msg) => window.postMessage({ [MARK]: "extension", ...msg }, location.origin);

  const signRequest = (msg) => {
    const ok =
      typeof msg.requestId === "string" &&
      msg.requestId.length <= 64 &&
      msg.publicKey &&
      typeof msg.publicKey === "object" &&
      typeof msg.publicKey.challenge === "string" &&
      typeof msg.deadline === "number" &&
      JSON.stringify(msg.publicKey).length <= MAX_OPTIONS_CHARS;
    if (!ok) return null;
    const origin = location.origin;
    return { kind: "sign", requestId: msg.requestId, publicKey: msg.publicKey, deadline: msg.deadline, origin };
  };

  window.addEventListener("message", (event) => {
    const msg = event.data;
    if (event.source !== window || event.origin !== location.origin) return;
    if (!msg || typeof msg !== "object" || msg[MARK] !== "page") return;
    if (msg.kind === "ping") post({ kind: "ready", version: VERSION });
    else if (msg.kind === "abort" && typeof msg.requestId === "string") {
      api.runtime.sendMessage({ kind: "abort", requestId: msg.requestId }).catch(() => {});
    } else if (msg.kind === "sign") {
      const request = signRequest(msg);
      if (!request) post({ kind: "failed", requestId: String(msg.requestId), error: "bad request" });
      else
        api.runtime
          .sendMessage(request)
          .catch((e) => post({ kind: "failed", requestId: request.requestId, error: String(e) }));
    }
  });

  api.runtime.onMessage.addListener((msg) => {
    if (msg && (msg.kind === "signed" || msg.kind === "failed")) post(msg);
  });
  post({ kind: "ready", version: VERSION });
})();
