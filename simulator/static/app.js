// Boot, the live channel (/ws/chat) and the screens: splash, linking, sync, app, dialogs.

import { ChatList } from './chatlist.js';
import { Conversation } from './conversation.js';
import { closeDialog, dialog } from './dialogs.js';
import {
  drawQr, landing, pairingCode, passkeyCode, passkeyPrompt, phoneEntry, phoneInvalid, showQrExpired,
} from './landing.js';
import { applyPageFrame, is2026, legacyTestId, page } from './page.js';
import { sideColumn, updateBanner } from './side.js';
import { h, newMsgId } from './util.js';
import { installWpp } from './wpp.js';

const KEY_WID = 'last-wid-md';
const KEY_NOISE = 'WANoiseInfo';
const INVALID_PHONE = 'Phone number shared via url is invalid.';
const CONFLICT = 'WhatsApp is open in another window. Click "Use here" to use WhatsApp in this window.';

const root = document.getElementById('app');
const state = {
  ws: null, screen: 'startup', me: null, netDown: false, wsDown: false, leaving: false,
  retry: 0, outbox: [], deepLink: null, chats: null, conversation: null, side: null, slot: null,
  bridge: null, wpp: null, // bridge: null until the server says whether this load runs the WPP stand-in
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
  if (frame.type === 'send') state.wpp?.sending(frame.id);
  if (state.ws && state.ws.readyState === WebSocket.OPEN) state.ws.send(JSON.stringify(frame));
  else if (frame.type === 'send') state.outbox.push(frame);
}

// The WPP stand-in (config "bridge"), once per page load, before any other frame reaches it.
function startBridge(frame) {
  if (state.bridge !== null) return;
  state.bridge = Boolean(frame.bridge);
  if (!state.bridge) return;
  state.wpp = installWpp({
    send,
    showSent: (chatId, msgId, text) => state.conversation?.showOwn(chatId, msgId, text),
    newMsgId,
    hasSession: () => storedDeviceId() !== null,
  });
}

function connect(resume) {
  const ws = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/ws/chat`);
  state.ws = ws;
  ws.onopen = () => {
    state.retry = 0;
    ws.send(JSON.stringify({ type: 'hello', deviceId: storedDeviceId(), tabId: tabId(), resume, bridge: state.bridge }));
    state.wpp?.socket(true);
  };
  ws.onmessage = (event) => handle(JSON.parse(event.data));
  ws.onclose = () => {
    if (state.ws !== ws || state.leaving) return;
    state.ws = null;
    state.wpp?.socket(false);
    const inApp = state.screen === 'app';
    if (inApp) {
      state.wsDown = true;
      banner();
    } else {
      startup();
    }
    state.retry = Math.min(state.retry + 1, 5);
    setTimeout(() => connect(inApp), 400 * state.retry);
  };
}

function handle(frame) {
  if (frame.type === 'page') startBridge(frame);
  state.wpp?.onFrame(frame);
  switch (frame.type) {
    case 'page': if (state.screen !== 'app') applyPageFrame(frame); break;
    case 'settings': page.rowDelayMs = frame.outgoingRowDelayMs || 0; break;
    case 'pending': break;
    case 'landing': showLanding(); break;
    case 'qr': qr(frame.ref); break;
    case 'qr_expired': if (state.screen === 'landing') showQrExpired(root, send); break;
    case 'link_code': state.screen = 'link-code'; pairingCode(root, frame.code, frame.phone, backToQr); break;
    case 'link_code_invalid': phoneInvalid(root); break;
    case 'passkey': state.screen = 'passkey'; passkeyPrompt(root, frame, send); break;
    case 'passkey_code': state.screen = 'passkey-code'; passkeyCode(root, frame.code); break;
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
    case 'network': state.netDown = !frame.online; banner(); break;
    case 'conflict': dialog('conflict', CONFLICT, [['Use here', () => send({ type: 'takeover' })]]); break;
    case 'dialog':
      dialog(`notice-${frame.id}`, frame.text, [[frame.button, () => send({ type: 'dialog_done', id: frame.id })]], frame.title);
      break;
    case 'phone': phoneChecked(frame); break;
    case 'logged_out': logout(); break;
    case 'wpp_reply': break;
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

function showLanding() {
  landing(root, () => {
    state.screen = 'link-phone';
    phoneEntry(root, (phone) => send({ type: 'link_code_request', phone }), backToQr);
  });
  state.screen = 'landing';
}

function backToQr() {
  showLanding();
  send({ type: 'qr_back' });
}

function qr(ref) {
  if (state.screen === 'link-phone') return; // the person is typing a number: the QR waits
  if (state.screen !== 'landing') showLanding();
  drawQr(root, ref);
}

// Legacy: one testid'd line "Loading your chats [NN%]". 2026: the title and "NN%" apart, no testid.
function syncing(percent) {
  state.screen = 'syncing';
  const bar = root.querySelector('.syncing progress');
  if (bar) {
    bar.value = percent;
    root.querySelector('.sync-progress').textContent = is2026() ? `${percent}%` : `Loading your chats [${percent}%]`;
    return;
  }
  const lines = is2026()
    ? [h('div', { class: 'sync-title', text: 'Loading your chats' }), h('div', { class: 'sync-progress', text: `${percent}%` })]
    : [h('div', { 'data-testid': 'sync-progress', class: 'sync-progress', text: `Loading your chats [${percent}%]` })];
  root.replaceChildren(h('div', { class: 'syncing' },
    h('div', { class: 'startup-logo', 'aria-hidden': 'true' }),
    h('progress', { value: String(percent), max: '100' }),
    ...lines,
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
  banner();
  for (const queued of state.outbox.splice(0)) send(queued);
  if (state.deepLink) {
    send({ type: 'check_phone', phone: state.deepLink.phone });
  }
}

function buildApp() {
  state.screen = 'app';
  const pane = h('div', { id: 'pane-side', class: 'pane-side' });
  state.side = sideColumn(state.me, pane, send);
  state.slot = h('div', { class: 'main-slot' });
  root.replaceChildren(h('div', { class: 'app-wrapper' }, state.side, state.slot));
  state.conversation = new Conversation({
    send, slot: state.slot, me: () => state.me, showIntro,
    onOpened: (chatId) => state.chats.select(chatId),
  });
  state.chats = new ChatList(pane, (chatId) => state.conversation.open(chatId));
  showIntro();
}

function showIntro() {
  state.chats?.select(null);
  state.slot.replaceChildren(h('div', { class: 'intro', 'data-testid': legacyTestId('intro') },
    h('h1', { text: 'WhatsApp Web' }),
    h('div', { text: 'Send and receive messages without keeping your phone online.' })));
}

function banner() {
  updateBanner(state.side, state.netDown || state.wsDown);
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
