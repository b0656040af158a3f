// @ts-check
// The WPP stand-in: exactly the part of @wppconnect/wa-js 4.6.0 a worker uses, with wa-js's shapes
// and timing, over the page's own live channel. app.js installs it when the server says so (config
// "bridge"); it replaces any window.WPP injected before the page (the real wa-js finds no WhatsApp
// modules here and stays isReady === false). Every function is typed with the declaration it
// stands in for: tsc checks this file against the installed wa-js (tsconfig.json).

import { ChatStore, WPPError, message, msgKey, parseKey, wid, widString } from './wpp-model.js';

/** @typedef {typeof import('@wppconnect/wa-js')} WA */
/** @typedef {import('@wppconnect/wa-js').whatsapp.MsgModel} MsgModel */
/** @typedef {import('@wppconnect/wa-js').conn.AuthCode} AuthCode */
/** @typedef {import('./wpp-model.js').MsgJson} MsgJson */
/** @typedef {import('./wpp-model.js').ChatJson} ChatJson */
/** @typedef {import('./wpp-model.js').KeyJson} KeyJson */
/** @typedef {Record<string, any>} Frame  a JSON frame of /ws/chat */

/**
 * What the stand-in implements, function by function as wa-js declares it.
 * @typedef {Pick<WA, 'version' | 'isInjected' | 'isReady' | 'isFullReady' | 'on' | 'off'> & {
 *   conn: Pick<WA['conn'], 'isAuthenticated' | 'isMainReady' | 'getAuthCode' | 'getMyUserId'
 *     | 'getMyUserLid' | 'logout' | 'refreshQR' | 'genLinkDeviceCodeForPhoneNumber'
 *     | 'startLinkDeviceCodeForPhoneNumber'>,
 *   chat: Pick<WA['chat'], 'list' | 'get' | 'getMessages' | 'sendTextMessage' | 'markIsRead'>,
 *   contact: Pick<WA['contact'], 'getPnLidEntry'>,
 *   profile: Pick<WA['profile'], 'getMyProfileName'>,
 * }} StandIn
 */

/**
 * What app.js lends the stand-in.
 * @typedef {object} PageChannel
 * @property {(frame: Frame) => void} send  a frame to the server (only while the socket is up)
 * @property {(chatId: string, msgId: string, text: string) => void} showSent  the row of an own message, as typing shows it
 * @property {() => string} newMsgId  a new own message id, as the page makes them
 * @property {() => boolean} hasSession  the browser profile holds a linked device
 */

const WA_VERSION = '4.6.0';
const QR_PREFIX = 'https://wa.me/settings/linked_devices#';
const HISTORY_OPTIONS = new Set(['count', 'direction', 'id']);
const LIST_OPTIONS = new Set(['count', 'direction', 'id', 'onlyUsers', 'onlyGroups', 'onlyWithUnreadMessage']);

/**
 * Install the stand-in as window.WPP; app.js feeds it every frame and the socket's state.
 * @param {PageChannel} channel
 */
export function installWpp(channel) {
  const state = {
    authenticated: channel.hasSession(),
    mainReady: false,
    /** @type {{phone: string, name: string, lid: string} | null} */
    me: null,
    /** @type {string | null} the data-ref of the QR code on screen */
    ref: null,
    online: true,
    socketUp: true,
    managedLinkCode: false,
  };
  const chats = new ChatStore();
  /** @type {Map<string, MsgModel>} bare id -> the message as handed out */
  const messages = new Map();
  /** @type {Set<string>} own messages that left from this tab (typed, or sent through WPP) */
  const sentHere = new Set();
  /** @type {Map<string, () => void>} bare id -> resolves a send waiting for its first ack */
  const ackWaiters = new Map();
  /** @type {(() => void)[]} */
  const logoutWaiters = [];
  /** @type {((code: AuthCode | null) => void)[]} */
  const authCodeWaiters = [];
  /** @type {Map<string, Set<(...args: any[]) => void>>} */
  const listeners = new Map();
  /** @type {Map<number, {frame: Frame, resolve: (result: any) => void, reject: (err: Error) => void}>} */
  const requests = new Map();
  let nextReq = 1;

  // -- events: wa-js emits after the change, asynchronously (logout at once: the page leaves) --

  /** @param {string} name @param {unknown[]} args */
  function fire(name, args) {
    for (const listener of [...(listeners.get(name) || [])]) {
      try {
        listener(...args);
      } catch (err) {
        console.error('WPP listener failed', name, err);
      }
    }
  }

  const emit = /** @type {WA['emit']} */ (/** @type {(name: string, ...args: unknown[]) => boolean} */ (
    (name, ...args) => {
      setTimeout(() => fire(name, args), 0);
      return true;
    }));

  const emitNow = /** @type {WA['emit']} */ (/** @type {(name: string, ...args: unknown[]) => boolean} */ (
    (name, ...args) => {
      fire(name, args);
      return true;
    }));

  /** @param {string} event @param {(...args: any[]) => void} listener @returns {any} */
  function on(event, listener) {
    if (!listeners.has(event)) listeners.set(event, new Set());
    listeners.get(event)?.add(listener);
    return standIn;
  }

  /** @param {string} event @param {(...args: any[]) => void} listener @returns {any} */
  function off(event, listener) {
    listeners.get(event)?.delete(listener);
    return standIn;
  }

  // -- requests to the simulated servers (wpp_* frames, answered by wpp_reply) -----------------

  /** @param {string} type @param {Frame} body @returns {Promise<any>} */
  function request(type, body) {
    return new Promise((resolve, reject) => {
      const req = nextReq++;
      const frame = { type, req, ...body };
      requests.set(req, { frame, resolve, reject });
      if (state.socketUp) channel.send(frame);
    });
  }

  /** @param {Frame} frame */
  function onReply(frame) {
    const pending = requests.get(frame.req);
    if (!pending) return;
    requests.delete(frame.req);
    if (frame.error) pending.reject(new WPPError(frame.error.code, frame.error.message));
    else pending.resolve(frame.result);
  }

  function failRequests() {
    for (const [req, pending] of requests) {
      requests.delete(req);
      pending.reject(new WPPError('logged_out', 'The device was logged out'));
    }
  }

  // -- what the page learns ---------------------------------------------------------------------

  /** @returns {AuthCode | null} wa-js's getAuthCode: the four fields of the QR's data-ref */
  function authCode() {
    if (!state.ref || state.authenticated) return null;
    const [ref, staticKeyPair, identityKeyPair, secretKey] = state.ref.replace(QR_PREFIX, '').split(',');
    const fullCode = [ref, staticKeyPair, identityKeyPair, secretKey].join(',');
    return { type: 'multidevice', ref, staticKeyPair, identityKeyPair, secretKey, fullCode };
  }

  function mainReady() { // wa-js: once per load, when the stream reaches the QR or the main screen
    if (state.mainReady) return;
    state.mainReady = true;
    emit('conn.main_ready');
  }

  /** @param {boolean} online */
  function setOnline(online) {
    if (state.online === online) return;
    state.online = online;
    emit('conn.online', online);
  }

  /** @param {number} ack @param {KeyJson} key @param {string} chatId @param {MsgModel | undefined} msg */
  function ackChanged(ack, key, chatId, msg) {
    if (ack === 1 && msg) { // change:ack on the model: {ack, chat: msg.to, ids}
      emit('chat.msg_ack_change', { ack, chat: /** @type {*} */ (msg.to), ids: [msg.id] });
    } else if (ack >= 2) { // a receipt from the contact's phone
      emit('chat.msg_ack_change', { ack, chat: wid(chatId), ids: [msgKey(key)] });
    }
    if (ack !== 0) ackWaiters.get(key.id)?.();
  }

  /** @param {MsgJson} json */
  function onMessage(json) {
    const known = messages.get(json.id.id);
    if (known) {
      setAck(known, json.ack, json.id, json.to === json.id.remote ? json.to : json.id.remote);
      return;
    }
    const here = json.id.fromMe && sentHere.has(json.id.id);
    const msg = message(here ? { ...json, ack: 0 } : json, true); // wa-js: added with a clock first
    messages.set(json.id.id, msg);
    emit('chat.new_message', msg);
    if (here) setTimeout(() => setAck(msg, json.ack, json.id, json.id.remote), 0); // after the event
  }

  /** @param {MsgModel} msg @param {number} ack @param {KeyJson} key @param {string} chatId */
  function setAck(msg, ack, key, chatId) {
    const now = msg.ack ?? 0;
    if (ack === now || (ack > 0 && ack < now)) return;
    msg.ack = ack;
    ackChanged(ack, key, chatId, msg);
  }

  /** @param {Frame} frame */
  function onFrame(frame) {
    switch (frame.type) {
      case 'qr':
        state.ref = frame.ref;
        mainReady();
        emit('conn.auth_code_change', authCode());
        for (const waiter of authCodeWaiters.splice(0)) waiter(authCode());
        break;
      case 'qr_expired': state.ref = null; emit('conn.qrcode_idle'); break;
      case 'linked': state.ref = null; state.authenticated = true; emit('conn.authenticated'); break;
      case 'ready':
        state.authenticated = true;
        state.me = { phone: frame.me.phone, name: frame.me.name, lid: frame.me.lid };
        if (frame.wa) chats.setAll(frame.wa.chats);
        setOnline(Boolean(frame.online));
        mainReady();
        for (const pending of requests.values()) channel.send(pending.frame); // left unanswered
        break;
      case 'msg':
        if (!frame.wa) break;
        chats.upsert(frame.wa.chat);
        onMessage(frame.wa.msg);
        break;
      case 'chat': if (frame.wa) chats.upsert(frame.wa.chat); break;
      case 'ack': {
        if (!frame.wa) break;
        const { ack, chat, key } = frame.wa;
        const msg = messages.get(key.id);
        if (msg) setAck(msg, ack, key, chat);
        else if (ack >= 2) ackChanged(ack, key, chat, undefined);
        break;
      }
      case 'network': setOnline(Boolean(frame.online)); break;
      case 'wpp_reply': onReply(frame); break;
      case 'logged_out':
        if (state.authenticated) emitNow('conn.logout');
        state.authenticated = false;
        state.me = null;
        failRequests();
        for (const waiter of logoutWaiters.splice(0)) waiter();
        break;
      default: break;
    }
  }

  /** @param {boolean} up */
  function socket(up) {
    state.socketUp = up;
    if (state.authenticated) setOnline(up);
  }

  // -- WPP.conn, WPP.profile, WPP.contact --------------------------------------------------------

  function requireMe() {
    if (!state.me) throw new WPPError('not_authenticated', 'The device is not logged in');
    return state.me;
  }

  /** @type {WA['conn']['genLinkDeviceCodeForPhoneNumber']} */
  async function genLinkDeviceCodeForPhoneNumber(phone, sendPushNotification = true) {
    void sendPushNotification;
    if (!phone || typeof phone !== 'string') {
      throw new WPPError('send_the_phone_number_to_connect', "Can't get code for without phone number param");
    }
    if (state.authenticated) {
      throw new WPPError('cannot_get_code_for_already_authenticated', "Can't get code for already authenticated user");
    }
    const result = await request('wpp_link_code', { phone });
    return result.code;
  }

  /** @type {WA['conn']['startLinkDeviceCodeForPhoneNumber']} */
  async function startLinkDeviceCodeForPhoneNumber(phone, sendPushNotification = true) {
    const code = await genLinkDeviceCodeForPhoneNumber(phone, sendPushNotification);
    emit('conn.link_code_change', code);
    return code;
  }

  /** @type {StandIn['conn']} */
  const conn = {
    isAuthenticated: () => state.authenticated,
    isMainReady: () => state.mainReady,
    getAuthCode: async () => authCode(),
    getMyUserId: () => (state.me ? wid(`${state.me.phone}@c.us`) : undefined),
    getMyUserLid: () => wid(requireMe().lid),
    async logout() {
      if (!state.authenticated) return true;
      const done = new Promise((resolve) => { logoutWaiters.push(() => resolve(true)); });
      channel.send({ type: 'logout' });
      await done;
      return true;
    },
    async refreshQR() {
      if (state.authenticated) return null;
      const next = new Promise((resolve) => { authCodeWaiters.push(resolve); });
      await request('wpp_refresh_qr', {});
      return /** @type {AuthCode | null} */ (await next);
    },
    genLinkDeviceCodeForPhoneNumber,
    startLinkDeviceCodeForPhoneNumber,
  };

  /** @type {StandIn['profile']} */
  const profile = { getMyProfileName: () => state.me?.name ?? '' };

  /** @type {StandIn['contact']} */
  const contact = {
    async getPnLidEntry(contactId) {
      const id = widString(contactId);
      if (id.endsWith('@g.us')) {
        throw new WPPError('invalid_wid', `Invalid WID value for ${id} - getPnLidEntry only supports @c.us and @lid.`);
      }
      return request('wpp_pn_lid', { id });
    },
  };

  // -- WPP.chat ----------------------------------------------------------------------------------

  /** @param {unknown} chatId */
  function assertGetChat(chatId) {
    const id = widString(chatId);
    const chat = chats.get(id);
    if (!chat) throw new WPPError('chat_not_found', `Chat not found for ${id}`);
    return chat;
  }

  /** @param {object} options @param {Set<string>} known @param {string} fn */
  function onlyKnown(options, known, fn) {
    const extra = Object.entries(options).filter(([k, v]) => v !== undefined && !known.has(k)).map(([k]) => k);
    if (extra.length) throw new WPPError('unsupported_option', `${fn}: the simulator does not model ${extra.join(', ')}`);
  }

  /** @type {WA['chat']['list']} */
  async function list(options = {}) {
    onlyKnown(options, LIST_OPTIONS, 'chat.list');
    let models = chats.ordered();
    if (options.onlyUsers) models = models.filter((c) => c.isUser);
    if (options.onlyGroups) models = models.filter((c) => c.isGroup);
    if (options.onlyWithUnreadMessage) models = models.filter((c) => c.hasUnread);
    const count = options.count == null ? Infinity : options.count;
    const anchor = options.id ? chats.get(widString(options.id)) : undefined;
    const start = anchor ? models.indexOf(anchor) : 0;
    if (options.direction === 'before') return models.slice(Math.max(0, start - count), start);
    return models.slice(start, start + count);
  }

  /** @type {WA['chat']['getMessages']} */
  async function getMessages(chatId, options = {}) {
    onlyKnown(options, HISTORY_OPTIONS, 'chat.getMessages');
    const chat = assertGetChat(chatId);
    const anchor = options.id ? parseKey(options.id).id : null;
    const count = options.count === -1 ? -1 : (options.count || 20);
    const direction = options.direction === 'after' ? 'after' : 'before';
    const result = await request('wpp_messages', { chatId: chat.id._serialized, count, direction, anchor });
    return result.messages.map((/** @type {MsgJson} */ json) => messages.get(json.id.id) || message(json, false));
  }

  /** @type {WA['chat']['sendTextMessage']} */
  async function sendTextMessage(chatId, content, options = {}) {
    requireMe();
    const to = widString(chatId);
    const text = String(content ?? '');
    const id = channel.newMsgId();
    sentHere.add(id);
    const acked = new Promise((resolve) => { ackWaiters.set(id, () => resolve(true)); });
    channel.showSent(to, id, text);
    const result = await request('wpp_send', { chatId: to, id, text, markRead: options.markIsRead !== false });
    if (!messages.has(id)) onMessage(result.msg); // no push: the network is cut (or a reload)
    const waitForAck = options.waitForAck !== false;
    if (waitForAck) await acked; // the server's ack (at once, or once the network is back)
    ackWaiters.delete(id);
    const msg = messages.get(id);
    const ack = msg?.ack ?? result.msg.ack;
    return {
      id: result.msg.id._serialized,
      ack: waitForAck ? ack : Math.min(ack, 0),
      from: result.msg.from,
      to: result.chat.id,
      sendMsgResult: waitForAck ? { messageSendResult: /** @type {*} */ (ack < 0 ? 'ERROR_UNKNOWN' : 'OK') } : null,
    };
  }

  /** @type {WA['chat']['markIsRead']} */
  async function markIsRead(chatId) {
    const chat = assertGetChat(chatId);
    const result = await request('wpp_read', { chatId: chat.id._serialized });
    return { wid: chat.id, unreadCount: result.unreadCount };
  }

  /** @type {StandIn['chat']} */
  const chat = {
    list,
    get: (chatId) => chats.get(widString(chatId)),
    getMessages,
    sendTextMessage,
    markIsRead,
  };

  /** @type {StandIn} */
  const standIn = {
    version: WA_VERSION,
    isInjected: true,
    isReady: true,
    isFullReady: true,
    on: /** @type {WA['on']} */ (on),
    off: /** @type {WA['off']} */ (off),
    conn,
    chat,
    contact,
    profile,
  };

  Object.defineProperty(window, 'WPP', { value: standIn, writable: true, configurable: true, enumerable: true });
  return {
    onFrame,
    socket,
    /** @param {string} msgId an own message typed in the page is leaving */
    sending(msgId) { sentHere.add(msgId); },
  };
}
