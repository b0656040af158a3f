// What this page load was served: the profile ("2026" or "legacy"), the locale, live settings.
// The server sends them first on the live channel; every module reads them from here.

import { h } from './util.js';

export const page = { profile: '2026', locale: 'en-US', rowDelayMs: 0 };

export const is2026 = () => page.profile === '2026';

// "auto" follows the browser: en-US (and plain "en") → en-US, ru* → ru-RU, anything else → en-GB.
export function applyPageFrame(frame) {
  page.profile = frame.profile === 'legacy' ? 'legacy' : '2026';
  page.locale = frame.locale === 'auto' ? browserLocale() : frame.locale;
  page.rowDelayMs = frame.outgoingRowDelayMs || 0;
}

function browserLocale() {
  const lang = (navigator.language || 'en-US').toLowerCase();
  if (lang === 'en-us' || lang === 'en') return 'en-US';
  if (lang.startsWith('ru')) return 'ru-RU';
  return 'en-GB';
}

const pad = (n) => String(n).padStart(2, '0');

// Legacy page: "HH:MM" and "D/M/YYYY" whatever the locale.
function legacyTime(d) {
  return `${pad(d.getHours())}:${pad(d.getMinutes())}`;
}

function legacyDate(d) {
  return `${d.getDate()}/${d.getMonth() + 1}/${d.getFullYear()}`;
}

// 2026 page, by locale (as the browser formats short dates): en-US "8:19 PM" / "6/13/2026";
// en-GB "13:52" / "22/03/2026"; ru-RU "13:52" / "22.03.2026".
function localTime(d) {
  if (page.locale !== 'en-US') return legacyTime(d);
  const hours = d.getHours() % 12 || 12;
  return `${hours}:${pad(d.getMinutes())} ${d.getHours() < 12 ? 'AM' : 'PM'}`;
}

function localDate(d) {
  if (page.locale === 'en-US') return `${d.getMonth() + 1}/${d.getDate()}/${d.getFullYear()}`;
  const sep = page.locale === 'ru-RU' ? '.' : '/';
  return `${pad(d.getDate())}${sep}${pad(d.getMonth() + 1)}${sep}${d.getFullYear()}`;
}

export function timeOf(ts) {
  const d = new Date(ts * 1000);
  return is2026() ? localTime(d) : legacyTime(d);
}

export function dateOf(ts) {
  const d = new Date(ts * 1000);
  return is2026() ? localDate(d) : legacyDate(d);
}

// The data-pre-plain-text of a message row: "[<time>, <date>] <author>: ".
export function prePlainText(ts, author) {
  return `[${timeOf(ts)}, ${dateOf(ts)}] ${author}: `;
}

// Chat-list time: the time today, "Yesterday", else the date.
export function listTime(ts) {
  if (!ts) return '';
  const d = new Date(ts * 1000);
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return timeOf(ts);
  const yesterday = new Date(today.getFullYear(), today.getMonth(), today.getDate() - 1);
  if (d.toDateString() === yesterday.toDateString()) {
    return is2026() && page.locale === 'ru-RU' ? 'Вчера' : 'Yesterday';
  }
  return dateOf(ts);
}

// The unread badge's aria-label (the 2026 page speaks the page's language).
export function unreadLabel(n) {
  if (is2026() && page.locale === 'ru-RU') {
    const tens = n % 100;
    const ones = n % 10;
    if (ones === 1 && tens !== 11) return `${n} непрочитанное сообщение`;
    if (ones >= 2 && ones <= 4 && (tens < 12 || tens > 14)) return `${n} непрочитанных сообщения`;
    return `${n} непрочитанных сообщений`;
  }
  return `${n} unread message${n === 1 ? '' : 's'}`;
}

// data-testid only where the profile has it (the 2026 page dropped most of them).
export function legacyTestId(id) {
  return is2026() ? null : id;
}

// A drawer over a column: div[role="region"][aria-label] with a header button and content.
export function drawer(label, button, onClose, ...content) {
  const close = h('div', { role: 'button', tabindex: '0', 'aria-label': button, class: 'icon-button drawer-close' },
    h('span', { 'data-icon': button === 'Back' ? 'back' : 'x' }));
  const node = h('div', { role: 'region', 'aria-label': label, class: 'drawer' },
    h('header', { class: 'drawer-header' }, close, h('h1', { text: label })),
    h('div', { class: 'drawer-body' }, ...content));
  close.addEventListener('click', () => {
    node.remove();
    onClose?.();
  });
  return node;
}
