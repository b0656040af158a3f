// #side: its header (own profile, the "⋮" menu), the offline banner, and the Profile drawer.

import { dialog } from './dialogs.js';
import { drawer, is2026, legacyTestId } from './page.js';
import { h } from './util.js';

export function sideColumn(me, pane, send) {
  const menu = h('div', { role: 'button', tabindex: '0', title: 'Menu', 'aria-label': 'Menu', class: 'icon-button menu-button' },
    h('span', { 'data-icon': 'menu' }));
  const side = h('div', { id: 'side', class: 'side' });
  menu.addEventListener('click', (event) => toggleMenu(event, side, send));
  // Legacy: the name in the header. 2026: only an avatar button that opens the Profile drawer.
  const own = is2026()
    ? h('div', { role: 'button', tabindex: '0', 'aria-label': 'Profile', class: 'chat-avatar profile-button' },
      h('span', { 'data-icon': 'default-user' }))
    : h('span', { 'data-testid': 'profile-name', dir: 'auto', title: me.name, text: me.name });
  if (is2026()) own.addEventListener('click', () => openProfile(side, me));
  const header = is2026()
    ? h('header', { class: 'side-header' }, own, h('div', { class: 'side-title', text: 'Chats' }), menu)
    : h('header', { class: 'side-header' },
      h('div', { class: 'chat-avatar' }, h('span', { 'data-icon': 'default-user' })), own, menu);
  side.append(header, pane);
  return side;
}

function openProfile(side, me) {
  if (side.querySelector('.drawer')) return;
  side.append(drawer('Profile', 'Back', null,
    h('div', { class: 'drawer-avatar' }),
    h('div', { class: 'drawer-label', text: 'Name' }),
    h('span', { dir: 'auto', title: me.name, class: 'drawer-name', text: me.name })));
}

// The "⋮" menu of the side header; its only working item is "Log out" (this computer).
function toggleMenu(event, side, send) {
  event.stopPropagation();
  const open = document.querySelector('.side-menu');
  if (open) {
    open.remove();
    return;
  }
  const item = h('div', { role: 'button', 'aria-label': 'Log out', class: 'menu-item', text: 'Log out' });
  item.addEventListener('click', () => {
    menu.remove();
    dialog('logout', 'Log out?', [['Cancel', () => {}], ['Log out', () => send({ type: 'logout' })]]);
  });
  const menu = h('div', { role: 'application', class: 'side-menu' }, h('ul', {}, h('li', {}, item)));
  side.querySelector('header').append(menu);
}

document.addEventListener('click', (e) => {
  const menu = document.querySelector('.side-menu');
  if (menu && !menu.contains(e.target)) menu.remove();
});

// "Computer not connected": the network was cut (phone API) or the live channel dropped.
export function updateBanner(side, show) {
  if (!side) return;
  const existing = side.querySelector('.offline-banner');
  if (show && !existing) {
    side.querySelector('header').after(h('div', { class: 'offline-banner', 'data-testid': legacyTestId('offline-banner') },
      h('span', { 'data-icon': 'alert-computer' }),
      h('div', { class: 'banner-text' },
        h('div', { class: 'banner-title', text: 'Computer not connected' }),
        h('div', { class: 'banner-sub', text: 'Make sure your computer has an active Internet connection.' }))));
  } else if (!show && existing) {
    existing.remove();
  }
}
