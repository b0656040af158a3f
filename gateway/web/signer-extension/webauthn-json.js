// WebAuthn's JSON forms, for every browser (the native parseRequestOptionsFromJSON / toJSON are
// recent): request options from JSON (base64url -> bytes), a credential to JSON (bytes ->
// base64url). The dashboard's console snippet starts with this same file.
// eslint-disable-next-line no-unused-vars
var wagwWebAuthn = (() => {
  const bytes = (text) => {
    const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
    return Uint8Array.from(atob(b64 + "===".slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
  };
  const text = (buffer) => {
    let binary = "";
    for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  };
  // members that are null are left out: the browser refuses e.g. hints: null
  const options = (json) => ({
    ...Object.fromEntries(Object.entries(json).filter(([, v]) => v !== null && v !== undefined)),
    challenge: bytes(json.challenge),
    allowCredentials: (json.allowCredentials || []).map((c) => ({ ...c, id: bytes(c.id) })),
  });
  const credential = (c) => ({
    id: c.id,
    rawId: text(c.rawId),
    type: c.type,
    authenticatorAttachment: c.authenticatorAttachment || null,
    clientExtensionResults: c.getClientExtensionResults ? c.getClientExtensionResults() : {},
    response: {
      clientDataJSON: text(c.response.clientDataJSON),
      authenticatorData: text(c.response.authenticatorData),
      signature: text(c.response.signature),
      userHandle: c.response.userHandle ? text(c.response.userHandle) : null,
    },
  });
  return { options, credential };
})();
