// Boot, the live channel (/ws/chat) and the screens: splash, QR landing, sync, app, dialogs.

import { ChatList } from './chatlist.js';
import { Conversation } from './conversation.js';
import { h } from './util.js';
import { drawQr, landing, showQrExpired } from './landing.js';

const KEY_WID = 'last-wid-md';
const KEY_NOISE = 'WANoiseInfo';
const INVALID_PHONE = 'Phone number shared via url is invalid.';
const CONFLICT = 'WhatsApp is open in another window. Click "Use here" to use WhatsApp in this window.';

const root = document.getElementById('app');
const state = {
  ws: null, screen: 'startup', me: null, netDown: false, wsDown: false, leaving: false,
  retry: 0, outbox: [], deepLink: null, chats: null, conversation: null, side: null, slot: null,
};

function tabId() {
  let id = sessionStorage.getItem('sim-tab-id');
  if (!id) {
    id = Math.random().toString(36).slice(2) + Date.now().toString(36);
    sessionStorage.setItem('sim-tab-id', id);
  }
  return id;
}

function storedDeviceId() {
  try {
    return JSON.parse(localStorage.getItem(KEY_NOISE) || 'null')?.deviceId || null;
  } catch {
    return null;
  }
}

function send(frame) {
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  else if (frame.type === 'send') state.outbox.push(frame);
}

function connect(resume) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/chat`);
  state.ws = ws;
  ws.onopen = () => {
    state.retry = 0;
    ws.send(JSON.stringify({ type: 'hello', deviceId: storedDeviceId(), tabId: tabId(), resume }));
  };
  ws.onmessage = (event) => handle(JSON.parse(event.data));
  ws.onclose = () => {
    if (state.ws !== ws || state.leaving) return;
    state.ws = null;
    const inApp = state.screen === 'app';
    if (inApp) {
      state.wsDown = true;
      updateBanner();
    } else {
      startup();
    }
    state.retry = Math.min(state.retry + 1, 5);
    setTimeout(() => connect(inApp), 400 * state.retry);
  };
}

function handle(frame) {
  switch (frame.type) {
    case 'pending': break;
    case 'landing': landing(root); state.screen = 'landing'; break;
    case 'qr': qr(frame.ref); break;
    case 'qr_expired': showQrExpired(root, send); break;
    case 'linked':
      localStorage.setItem(KEY_NOISE, JSON.stringify(frame.noiseInfo));
      localStorage.setItem(KEY_WID, JSON.stringify(frame.wid));
      syncing(0);
      break;
    case 'sync': syncing(frame.percent); break;
    case 'ready': ready(frame); break;
    case 'chat': state.chats?.upsert(frame.chat); break;
    case 'msg':
      state.chats?.upsert(frame.chat);
      state.conversation?.reconcile([frame.message]);
      break;
    case 'ack': state.conversation?.setAck(frame.id, frame.ack); break;
    case 'messages': state.conversation?.onMessages(frame); break;
    case 'network': state.netDown = !frame.online; updateBanner(); break;
    case 'conflict': dialog('conflict', CONFLICT, [['Use here', () => send({ type: 'takeover' })]]); break;
    case 'phone': phoneChecked(frame); break;
    case 'logged_out': logout(); break;
    default: console.warn('simulator frame', frame);
  }
}

function startup() {
  state.screen = 'startup';
  root.replaceChildren(h('div', { id: 'startup', class: 'startup' },
    h('div', { class: 'startup-logo', 'aria-hidden': 'true' }),
    h('progress', { value: '0', max: '100' }),
    h('div', { class: 'startup-title', text: 'WhatsApp' })));
}

function qr(ref) {
  if (state.screen !== 'landing') {
    landing(root);
    state.screen = 'landing';
  }
  drawQr(root, ref);
}

function syncing(percent) {
  state.screen = 'syncing';
  const label = `Loading your chats [${percent}%]`;
  const existing = root.querySelector('[data-testid="sync-progress"]');
  if (existing) {
    existing.textContent = label;
    root.querySelector('.syncing progress').value = percent;
    return;
  }
  root.replaceChildren(h('div', { class: 'syncing' },
    h('div', { class: 'startup-logo', 'aria-hidden': 'true' }),
    h('progress', { value: String(percent), max: '100' }),
    h('div', { 'data-testid': 'sync-progress', class: 'sync-progress', text: label }),
    h('div', { class: 'sync-note', text: "Don't close this window. Your messages are downloading." })));
}

function ready(frame) {
  state.me = frame.me;
  state.netDown = !frame.online;
  state.wsDown = false;
  localStorage.setItem(KEY_WID, JSON.stringify(frame.me.wid));
  if (state.screen !== 'app') buildApp();
  closeDialog('conflict');
  state.chats.setAll(frame.chats);
  if (frame.open) {
    const name = state.chats.get(frame.open.chatId)?.name || frame.open.chatId;
    state.conversation.onMessages({ ...frame.open, name });
  }
  updateBanner();
  for (const queued of state.outbox.splice(0)) send(queued);
  if (state.deepLink) {
    send({ type: 'check_phone', phone: state.deepLink.phone });
  }
}

function buildApp() {
  state.screen = 'app';
  const pane = h('div', { id: 'pane-side', class: 'pane-side' });
  state.side = h('div', { id: 'side', class: 'side' },
    h('header', { class: 'side-header' },
      h('div', { class: 'chat-avatar' }, h('span', { 'data-icon': 'default-user' })),
      h('span', { 'data-testid': 'profile-name', dir: 'auto', title: state.me.name, text: state.me.name }),
      h('div', { role: 'button', tabindex: '0', title: 'Menu', 'aria-label': 'Menu', class: 'icon-button menu-button', onclick: toggleMenu },
        h('span', { 'data-icon': 'menu' }))),
    pane);
  state.slot = h('div', { class: 'main-slot' });
  root.replaceChildren(h('div', { class: 'app-wrapper' }, state.side, state.slot));
  state.conversation = new Conversation({
    send, slot: state.slot, me: () => state.me, showIntro,
    onOpened: (chatId) => state.chats.select(chatId),
  });
  state.chats = new ChatList(pane, (chatId) => state.conversation.open(chatId));
  showIntro();
}

// The "⋮" menu of the side header; its only working item is "Log out" (this computer).
function toggleMenu(event) {
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
  state.side.querySelector('header').append(menu);
}

document.addEventListener('click', (e) => {
  const menu = document.querySelector('.side-menu');
  if (menu && !menu.contains(e.target)) menu.remove();
});

function showIntro() {
  state.chats?.select(null);
  state.slot.replaceChildren(h('div', { class: 'intro', 'data-testid': 'intro' },
    h('h1', { text: 'WhatsApp Web' }),
    h('div', { text: 'Send and receive messages without keeping your phone online.' })));
}

// "Computer not connected": the network was cut (phone API) or the live channel dropped.
function updateBanner() {
  if (!state.side) return;
  const existing = state.side.querySelector('[data-testid="offline-banner"]');
  const show = state.netDown || state.wsDown;
  if (show && !existing) {
    state.side.querySelector('header').after(h('div', { class: 'offline-banner', 'data-testid': 'offline-banner' },
      h('span', { 'data-icon': 'alert-computer' }),
      h('div', { class: 'banner-text' },
        h('div', { class: 'banner-title', text: 'Computer not connected' }),
        h('div', { class: 'banner-sub', text: 'Make sure your computer has an active Internet connection.' }))));
  } else if (!show && existing) {
    existing.remove();
  }
}

function phoneChecked(frame) {
  const link = state.deepLink;
  state.deepLink = null;
  if (!link) return;
  if (!frame.valid) {
    dialog('invalid-phone', INVALID_PHONE, [['OK', () => {}]]);
    return;
  }
  state.conversation.open(frame.chatId, link.text || null);
}

// A modal: buttons = [[label, onClick], ...]; any button closes it.
function dialog(name, text, buttons) {
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
    h('div', { class: 'popup-text', text }),
    h('div', { class: 'popup-actions' }, ...actions)));
  document.body.append(overlay);
}

function closeDialog(name) {
  document.querySelectorAll(`.overlay[data-dialog="${name}"]`).forEach((node) => node.remove());
}

function logout() {
  state.leaving = true;
  localStorage.clear();
  state.ws?.close();
  location.replace('/?post_logout=1');
}

document.addEventListener('keydown', (e) => {
  if (e.key === 'Escape' && state.conversation?.main && !document.querySelector('.overlay')) {
    state.conversation.close();
  }
});

function boot() {
  const params = new URLSearchParams(location.search);
  if (params.has('post_logout')) localStorage.clear();
  if (location.pathname === '/send') {
    state.deepLink = { phone: params.get('phone') || '', text: params.get('text') || '' };
    history.replaceState(null, '', '/');
  }
  const progress = root.querySelector('#startup progress');
  const timer = setInterval(() => {
    if (!progress.isConnected) clearInterval(timer);
    else progress.value = Math.min(95, progress.value + 5);
  }, 100);
  connect(false);
}

boot();
