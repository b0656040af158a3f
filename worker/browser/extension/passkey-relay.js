// The worker's passkey relay (loaded into the worker's Chromium): it becomes the browser's
// WebAuthn proxy, so WhatsApp's own navigator.credentials.get() call waits here, untouched, until
// the worker completes it with an admin's assertion (or cancels it). The worker reaches this
// service worker over Chromium's DevTools socket and calls globalThis.wagwRelay.
const proxy = chrome.webAuthenticationProxy;
const pending = new Map(); // requestId -> {requestDetailsJson, at}
let attached = null; // null: not yet, "": attached, else the error

proxy.attach().then(
  (error) => {
    attached = error || "";
  },
  (error) => {
    attached = String(error);
  },
);

proxy.onGetRequest.addListener(({ requestId, requestDetailsJson }) => {
  pending.set(requestId, { requestDetailsJson, at: Date.now() });
});
// a platform authenticator "is available" (the page may ask before it offers the passkey)
proxy.onIsUvpaaRequest.addListener(({ requestId }) => {
  proxy.completeIsUvpaaRequest({ requestId, isUvpaa: true }).catch(() => {});
});
// never create credentials in the gateway's browser
proxy.onCreateRequest.addListener(({ requestId }) => {
  const error = { name: "NotAllowedError", message: "this browser cannot create passkeys" };
  proxy.completeCreateRequest({ requestId, error }).catch(() => {});
});
proxy.onRequestCanceled.addListener((requestId) => pending.delete(requestId));

// an idle extension service worker is stopped after 30 s: an API call now and then keeps it
// alive while a request waits for the admin (minutes)
setInterval(() => {
  if (pending.size) chrome.runtime.getPlatformInfo();
}, 20_000);

async function finish(requestId, answer) {
  const id = Number(requestId);
  if (!pending.has(id)) return false;
  pending.delete(id);
  try {
    await proxy.completeGetRequest({ requestId: id, ...answer });
    return true;
  } catch {
    return false;
  }
}

globalThis.wagwRelay = {
  status: () => ({ attached }),
  // the newest request still waiting: {requestId, requestDetailsJson}, or null
  pending: () => {
    let newest = null;
    for (const [requestId, r] of pending) {
      if (!newest || r.at >= newest.at) newest = { requestId: String(requestId), ...r };
    }
    return newest;
  },
  complete: (requestId, responseJson) => finish(requestId, { responseJson }),
  cancel: (requestId, name, message) => finish(requestId, { error: { name, message } }),
};
