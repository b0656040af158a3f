// The QR landing page: div[data-ref] with the canvas, rotation, and the reload button.

import { h } from './util.js';

const QR_LABEL = 'Scan this QR code to link a device!';

export function landing(root) {
  root.replaceChildren(h('div', { class: 'landing' },
    h('div', { class: 'landing-header' }, h('span', { 'data-icon': 'wa-wordmark', text: 'WhatsApp Web' })),
    h('div', { class: 'landing-main' },
      h('div', { class: 'landing-text' },
        h('h1', { text: 'Steps to log in' }),
        h('ol', {},
          h('li', { text: 'Open WhatsApp on your phone' }),
          h('li', { text: 'On Android tap Menu, on iPhone tap Settings' }),
          h('li', { text: 'Tap Linked devices, then Link device' }),
          h('li', { text: 'Scan the QR code to confirm' }))),
      h('div', { class: 'landing-qr' },
        h('div', { class: 'qr-box' },
          h('div', { class: 'qr-spinner', 'aria-label': 'Loading QR code', role: 'progressbar' }))))));
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
