// Modal popups: div[role="dialog"] inside a full-page div[data-animate-modal-popup="true"] that
// catches every click meant for the app below it (conflict, log out, invalid number, notices).

import { h } from './util.js';

// buttons = [[label, onClick], ...]; any button closes the popup. title is optional.
export function dialog(name, text, buttons, title = null) {
  closeDialog(name);
  const overlay = h('div', { class: 'overlay', 'data-animate-modal-popup': 'true', 'data-dialog': name });
  const actions = buttons.map(([label, onClick]) => h('button', {
    type: 'button', class: 'popup-button', text: label,
    onclick: () => {
      overlay.remove();
      onClick();
    },
  }));
  overlay.append(h('div', { role: 'dialog', 'aria-modal': 'true', class: 'popup' },
    title ? h('h1', { class: 'popup-title', text: title }) : null,
    h('div', { class: 'popup-text', text }),
    h('div', { class: 'popup-actions' }, ...actions)));
  document.body.append(overlay);
}

export function closeDialog(name) {
  document.querySelectorAll(`.overlay[data-dialog="${name}"]`).forEach((node) => node.remove());
}
