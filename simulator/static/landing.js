// The screens before linking: the QR landing (div[data-ref], rotation, reload), "log in with phone
// number" (number entry, then the pairing code), and the passkey check some accounts get after it.

import { h } from './util.js';

const QR_LABEL = 'Scan this QR code to link a device!';
const CODE_STEPS = 'link-device-phone-number-code-screen-instructions';

function frame(root, ...content) {
  root.replaceChildren(h('div', { class: 'landing' },
    h('div', { class: 'landing-header' }, h('span', { 'data-icon': 'wa-wordmark', text: 'WhatsApp Web' })),
    h('div', { class: 'landing-main' }, ...content)));
}

function linkButton(text, onClick) {
  const button = h('span', { role: 'button', tabindex: '0', class: 'landing-link', text });
  button.addEventListener('click', onClick);
  return button;
}

export function landing(root, onPhone) {
  frame(root,
    h('div', { class: 'landing-text' },
      h('h1', { text: 'Steps to log in' }),
      h('ol', {},
        h('li', { text: 'Open WhatsApp on your phone' }),
        h('li', { text: 'On Android tap Menu, on iPhone tap Settings' }),
        h('li', { text: 'Tap Linked devices, then Link device' }),
        h('li', { text: 'Scan the QR code to confirm' })),
      linkButton('Log in with phone number', onPhone)),
    h('div', { class: 'landing-qr' },
      h('div', { class: 'qr-box' },
        h('div', { class: 'qr-spinner', 'aria-label': 'Loading QR code', role: 'progressbar' }))));
}

// Show a new code: draw the server-rendered PNG, then publish the ref in data-ref.
export function drawQr(root, ref) {
  const box = root.querySelector('.qr-box');
  box.pending = ref;
  const image = new Image();
  image.onload = () => {
    if (box.pending !== ref) return;
    let canvas = box.querySelector('canvas');
    if (!canvas) {
      canvas = h('canvas', { 'aria-label': QR_LABEL, role: 'img', width: '264', height: '264' });
      box.replaceChildren(canvas);
    }
    box.querySelector(':scope > span')?.remove();
    const ctx = canvas.getContext('2d');
    ctx.imageSmoothingEnabled = false;
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(image, 0, 0, canvas.width, canvas.height);
    canvas.classList.remove('expired');
    box.setAttribute('data-ref', ref);
  };
  image.src = `/_sim/qr.png?data=${encodeURIComponent(ref)}`;
}

// After the last code: the stale ref stays, the canvas dims, div[data-ref] > span > button reloads.
export function showQrExpired(root, send) {
  const box = root.querySelector('.qr-box');
  if (!box || box.querySelector(':scope > span')) return;
  box.pending = null;
  box.querySelector('canvas')?.classList.add('expired');
  const button = h('button', { type: 'button', class: 'qr-reload', 'aria-label': 'Click to reload QR code' },
    h('div', { class: 'qr-reload-icon' }, h('span', { 'data-icon': 'refresh-large' })),
    h('div', { text: 'Click to reload QR code' }));
  button.addEventListener('click', () => {
    button.parentElement.remove();
    send({ type: 'qr_reload' });
  });
  box.append(h('span', {}, button));
}

// "Log in with phone number": the number, then Next (the server answers with a code or "invalid").
export function phoneEntry(root, onNext, onBack) {
  const input = h('input', {
    type: 'text', inputmode: 'tel', autocomplete: 'tel', class: 'phone-input',
    'aria-label': 'Type your phone number.', value: '+',
  });
  const error = h('div', { class: 'phone-error' });
  const next = h('button', { type: 'button', class: 'popup-button', text: 'Next' });
  next.addEventListener('click', () => {
    error.replaceChildren();
    onNext(input.value);
  });
  input.addEventListener('keydown', (e) => {
    if (e.key === 'Enter') next.click();
  });
  frame(root, h('div', { class: 'landing-text link-phone' },
    h('h1', { text: 'Enter phone number' }),
    h('p', { text: 'Enter the phone number of your WhatsApp account.' }),
    input, error,
    h('div', { class: 'popup-actions' }, next),
    linkButton('Log in with QR code', onBack)));
  input.focus();
}

export function phoneInvalid(root) {
  root.querySelector('.phone-error')?.replaceChildren(
    h('div', { role: 'alert', class: 'alert', text: 'Invalid phone number' }));
}

// The 8-character code: data-link-code="A,B,C,D,E,F,G,H", shown as two groups of four.
export function pairingCode(root, code, phone, onBack) {
  const chars = code.split('');
  const group = (part) => h('div', { class: 'code-group' }, ...part.map((c) => h('span', { class: 'code-cell', text: c })));
  frame(root, h('div', { class: 'landing-text link-code-screen' },
    h('h1', { text: 'Enter code on phone' }),
    h('p', { text: `Linking WhatsApp account +${phone}` }),
    h('div', { 'aria-details': CODE_STEPS, 'data-link-code': chars.join(','), class: 'link-code' },
      group(chars.slice(0, 4)), h('span', { class: 'code-sep', 'aria-hidden': 'true', text: '-' }), group(chars.slice(4))),
    h('ol', { id: CODE_STEPS },
      h('li', { text: 'Open WhatsApp on your phone' }),
      h('li', { text: 'Tap Linked devices, then Link device' }),
      h('li', { text: 'Tap Link with phone number instead and enter this code on your phone' })),
    linkButton('Log in with QR code', onBack)));
}

// The passkey check (check: challenge, rpId, timeoutMs, error): Continue asks the browser for the
// account's passkey; the assertion goes to the server as JSON, which verifies it. A refused one
// comes back as a new check with the error shown.
export function passkeyPrompt(root, check, send) {
  const status = h('div', { class: 'phone-error' });
  const failed = () => status.replaceChildren(
    h('div', { role: 'alert', class: 'alert', text: "Couldn't verify it's you. Try again." }));
  if (check.error) failed();
  const go = h('button', { type: 'button', class: 'popup-button', text: 'Continue' });
  go.addEventListener('click', async () => {
    status.replaceChildren();
    try {
      const credential = await navigator.credentials.get({
        publicKey: {
          rpId: check.rpId, userVerification: 'required', allowCredentials: [],
          challenge: fromB64url(check.challenge), timeout: check.timeoutMs,
        },
      });
      status.replaceChildren(h('div', { class: 'passkey-wait', text: 'Verifying…' }));
      send({ type: 'passkey_assertion', credential: credentialJson(credential) });
    } catch {
      failed();
    }
  });
  frame(root, h('div', { class: 'landing-text passkey' },
    h('h1', { text: 'Quick security check with Passkey' }),
    h('p', { text: 'Use the passkey for your WhatsApp account to finish logging in on this device.' }),
    status,
    h('div', { class: 'popup-actions' }, go)));
}

// After a good passkey: a number to confirm on the phone (the phone offers it among others).
export function passkeyCode(root, code) {
  frame(root, h('div', { class: 'landing-text passkey-code' },
    h('h1', { text: 'Confirm on your phone' }),
    h('p', { text: 'On your phone, tap the number you see here to finish logging in.' }),
    h('div', { class: 'link-code', 'data-testid': 'passkey-confirmation-code', text: code })));
}

function fromB64url(text) {
  const b64 = text.replace(/-/g, '+').replace(/_/g, '/');
  return Uint8Array.from(atob(b64 + '==='.slice((b64.length + 3) % 4)), (c) => c.charCodeAt(0));
}

function b64url(buffer) {
  let binary = '';
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The fields WhatsApp's client reads from the credential, as base64url (toJSON's shape).
function credentialJson(c) {
  const r = c.response;
  return {
    id: c.id, rawId: b64url(c.rawId), type: c.type,
    response: {
      clientDataJSON: b64url(r.clientDataJSON), authenticatorData: b64url(r.authenticatorData),
      signature: b64url(r.signature), userHandle: r.userHandle ? b64url(r.userHandle) : null,
    },
  };
}
