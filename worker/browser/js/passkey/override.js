// Fallback of the passkey relay, only when the relay extension cannot load: injected before the
// page's own scripts, it holds WhatsApp's navigator.credentials.get({publicKey}) until the worker
// completes it (window.__wagwPasskey, reached with WebDriver) with an admin's assertion. Unlike
// the extension's answer, the credential it returns is a look-alike of PublicKeyCredential.
(() => {
  if (!navigator.credentials || window.__wagwPasskey) return;
  const original = navigator.credentials.get.bind(navigator.credentials);
  const pending = new Map(); // id -> {requestDetailsJson, origin, at, resolve, reject}
  let next = 0;

  const text = (buffer) => {
    const view = buffer instanceof ArrayBuffer ? new Uint8Array(buffer) : new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    let binary = "";
    for (const byte of view) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  const bytes = (b64url) => {
    const b64 = b64url.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0)).buffer;
  };
  const optionsJson = (pk) => ({
    ...pk,
    challenge: text(pk.challenge),
    allowCredentials: (pk.allowCredentials || []).map((c) => ({ ...c, id: text(c.id) })),
  });
  const credential = (json) => {
    const r = json.response;
    const value = (v) => ({ value: v, enumerable: true });
    const response = Object.create(AuthenticatorAssertionResponse.prototype, {
      clientDataJSON: value(bytes(r.clientDataJSON)),
      authenticatorData: value(bytes(r.authenticatorData)),
      signature: value(bytes(r.signature)),
      userHandle: value(r.userHandle ? bytes(r.userHandle) : null),
    });
    return Object.create(PublicKeyCredential.prototype, {
      id: value(json.id),
      rawId: value(bytes(json.rawId)),
      type: value("public-key"),
      authenticatorAttachment: value(json.authenticatorAttachment || null),
      response: value(response),
      getClientExtensionResults: { value: () => json.clientExtensionResults || {} },
      toJSON: { value: () => json },
    });
  };

  navigator.credentials.get = function get(options) {
    if (!options || !options.publicKey) return original(options);
    return new Promise((resolve, reject) => {
      const id = String((next += 1));
      const details = JSON.stringify(optionsJson(options.publicKey));
      pending.set(id, { requestDetailsJson: details, origin: location.origin, at: Date.now(), resolve, reject });
      if (options.signal) {
        options.signal.addEventListener("abort", () => {
          if (pending.delete(id)) reject(new DOMException("The operation was aborted.", "AbortError"));
        });
      }
    });
  };

  const finish = (id, settle) => {
    const request = pending.get(id);
    if (!request) return false;
    pending.delete(id);
    settle(request);
    return true;
  };
  Object.defineProperty(window, "__wagwPasskey", {
    value: Object.freeze({
      pending: () => {
        let newest = null;
        for (const [requestId, r] of pending) {
          if (!newest || r.at >= newest.at) newest = { requestId, requestDetailsJson: r.requestDetailsJson, origin: r.origin };
        }
        return newest;
      },
      complete: (id, responseJson) => finish(id, (r) => r.resolve(credential(JSON.parse(responseJson)))),
      cancel: (id, name, message) => finish(id, (r) => r.reject(new DOMException(message, name))),
    }),
  });
})();
