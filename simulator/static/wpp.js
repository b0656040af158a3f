// @ts-check
// The WPP stand-in: exactly the part of @wppconnect/wa-js 4.6.0 a worker uses, with wa-js's shapes
// and timing, over the page's own live channel. app.js installs it when the server says so (config
// "bridge"); it replaces any window.WPP injected before the page (the real wa-js finds no WhatsApp
// modules here and stays isReady === false). Every function is typed with the declaration it
// stands in for: tsc checks this file against the installed wa-js (tsconfig.json).

import { upload } from './upload.js';
import { Core } from './wpp-core.js';
import { WPPError, message, parseKey, wid, widString } from './wpp-model.js';

/** @typedef {typeof import('@wppconnect/wa-js')} WA */
/** @typedef {import('@wppconnect/wa-js').conn.AuthCode} AuthCode */
/** @typedef {import('./wpp-model.js').MsgJson} MsgJson */
/** @typedef {import('./wpp-core.js').PageChannel} PageChannel */
/** @typedef {import('./wpp-core.js').Listener} Listener */

/**
 * What the stand-in implements, function by function as wa-js declares it.
 * @typedef {Pick<WA, 'version' | 'isInjected' | 'isReady' | 'isFullReady' | 'on' | 'off'> & {
 *   conn: Pick<WA['conn'], 'isAuthenticated' | 'isMainReady' | 'getAuthCode' | 'getMyUserId'
 *     | 'getMyUserLid' | 'logout' | 'refreshQR' | 'genLinkDeviceCodeForPhoneNumber'
 *     | 'startLinkDeviceCodeForPhoneNumber'>,
 *   chat: Pick<WA['chat'], 'list' | 'get' | 'getMessages' | 'sendTextMessage' | 'sendFileMessage'
 *     | 'downloadMedia' | 'markIsRead'>,
 *   contact: Pick<WA['contact'], 'getPnLidEntry'>,
 *   profile: Pick<WA['profile'], 'getMyProfileName'>,
 * }} StandIn
 */

const WA_VERSION = '4.6.0';
const HISTORY_OPTIONS = new Set(['count', 'direction', 'id']);
const LIST_OPTIONS = new Set(['count', 'direction', 'id', 'onlyUsers', 'onlyGroups', 'onlyWithUnreadMessage']);

/**
 * Install the stand-in as window.WPP; app.js feeds it every frame and the socket's state.
 * @param {PageChannel} channel
 */
export function installWpp(channel) {
  const core = new Core(channel);
  const { state, chats, messages } = core;

  /** @param {string} event @param {Listener} listener @returns {any} */
  function on(event, listener) {
    core.listen(event, listener);
    return standIn;
  }

  /** @param {string} event @param {Listener} listener @returns {any} */
  function off(event, listener) {
    core.unlisten(event, listener);
    return standIn;
  }

  // -- WPP.conn, WPP.profile, WPP.contact --------------------------------------------------------

  /** @type {WA['conn']['genLinkDeviceCodeForPhoneNumber']} */
  async function genLinkDeviceCodeForPhoneNumber(phone, sendPushNotification = true) {
    void sendPushNotification;
    if (!phone || typeof phone !== 'string') {
      throw new WPPError('send_the_phone_number_to_connect', "Can't get code for without phone number param");
    }
    if (state.authenticated) {
      throw new WPPError('cannot_get_code_for_already_authenticated', "Can't get code for already authenticated user");
    }
    const result = await core.request('wpp_link_code', { phone });
    return result.code;
  }

  /** wa-js's managed flow: the same code, announced (conn.link_code_change), its end too.
   * @type {WA['conn']['startLinkDeviceCodeForPhoneNumber']} */
  async function startLinkDeviceCodeForPhoneNumber(phone, sendPushNotification = true) {
    const code = await genLinkDeviceCodeForPhoneNumber(phone, sendPushNotification);
    state.managedLinkCode = true;
    core.emit('conn.link_code_change', code);
    return code;
  }

  /** @type {StandIn['conn']} */
  const conn = {
    isAuthenticated: () => state.authenticated,
    isMainReady: () => state.mainReady,
    getAuthCode: async () => core.authCode(),
    getMyUserId: () => (state.me ? wid(`${state.me.phone}@c.us`) : undefined),
    getMyUserLid: () => wid(core.requireMe().lid),
    async logout() {
      if (!state.authenticated) return true;
      const done = new Promise((resolve) => { core.logoutWaiters.push(() => resolve(true)); });
      channel.send({ type: 'logout' });
      await done;
      return true;
    },
    async refreshQR() {
      if (state.authenticated) return null;
      const next = new Promise((resolve) => { core.authCodeWaiters.push(resolve); });
      await core.request('wpp_refresh_qr', {});
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
      return core.request('wpp_pn_lid', { id });
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
    const result = await core.request('wpp_messages', { chatId: chat.id._serialized, count, direction, anchor });
    return result.messages.map((/** @type {MsgJson} */ json) => {
      const known = messages.get(json.id.id);
      if (known) return known;
      const loaded = message(json, false);
      core.remember(json.id.id, loaded); // WhatsApp's MsgStore holds what was loaded
      return loaded;
    });
  }

  /** After a send request: the message, its first ack (unless `waitForAck: false`), the result.
   * @param {string} id @param {Promise<any>} request @param {boolean} waitForAck */
  async function sent(id, request, waitForAck) {
    const acked = new Promise((resolve) => { core.ackWaiters.set(id, () => resolve(true)); });
    let result;
    try {
      result = await request;
      if (!messages.has(id)) core.onMessage(result.msg); // no push: the network is cut (or a reload)
      if (waitForAck) await acked; // the server's ack (at once, or once the network is back)
    } finally {
      core.ackWaiters.delete(id);
    }
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

  /** @type {WA['chat']['sendTextMessage']} */
  async function sendTextMessage(chatId, content, options = {}) {
    core.requireMe();
    const to = widString(chatId);
    const text = String(content ?? '');
    const id = channel.newMsgId();
    core.sentHere.add(id);
    if (text.trim()) channel.showSent(to, id, text); // the row, as if typed (the server checks the text)
    const request = core.request('wpp_send', { chatId: to, id, text, markRead: options.markIsRead !== false });
    return sent(id, request, options.waitForAck !== false);
  }

  /** wa-js's kinds: `type` (auto-detect from the MIME type), audio + isPtt = a voice note.
   * @param {string | undefined} type @param {boolean} ptt @param {string} mime */
  function fileKind(type, ptt, mime) {
    if (type === 'audio') return ptt ? 'ptt' : 'audio';
    if (type === 'image' || type === 'video' || type === 'document' || type === 'sticker') return type;
    if (type && type !== 'auto-detect') throw new WPPError('unsupported_type', `unsupported file type ${type}`);
    const base = mime.split('/')[0];
    return base === 'image' || base === 'video' || base === 'audio' ? base : 'document';
  }

  /** @type {WA['chat']['sendFileMessage']} */
  async function sendFileMessage(chatId, content, options) {
    core.requireMe();
    const to = widString(chatId);
    const blob = typeof content === 'string' ? await (await fetch(content)).blob() : content;
    const opts = /** @type {{type?: string, isPtt?: boolean, caption?: string, filename?: string, mimetype?: string, waitForAck?: boolean}} */ (options || {});
    const mime = opts.mimetype || blob.type || 'application/octet-stream';
    const kind = fileKind(opts.type, Boolean(opts.isPtt), mime);
    const fileName = opts.filename || (blob instanceof File ? blob.name : null);
    const mediaId = await upload(blob); // WhatsApp uploads to its media servers first
    const id = channel.newMsgId();
    core.sentHere.add(id);
    const request = core.request('wpp_send_media', {
      chatId: to, id, caption: opts.caption || '', media: { mediaId, kind, mime, fileName },
    });
    return sent(id, request, opts.waitForAck !== false);
  }

  /** @type {WA['chat']['downloadMedia']} */
  async function downloadMedia(id) {
    const key = parseKey(id);
    const msg = messages.get(key.id);
    if (!msg) throw new WPPError('msg_not_found', `Message ${id} not found`);
    if (!msg.isMedia || !msg.directPath) {
      throw new WPPError('message_not_contains_media', `Message ${id} not contains media`);
    }
    const resp = await fetch(msg.directPath);
    if (!resp.ok) throw new WPPError('media_download_failed', `Download of ${id} failed (${resp.status})`);
    return resp.blob();
  }

  /** @type {WA['chat']['markIsRead']} */
  async function markIsRead(chatId) {
    const chat = assertGetChat(chatId);
    const result = await core.request('wpp_read', { chatId: chat.id._serialized });
    return { wid: chat.id, unreadCount: result.unreadCount };
  }

  /** @type {StandIn['chat']} */
  const chat = {
    list,
    get: (chatId) => chats.get(widString(chatId)),
    getMessages,
    sendTextMessage,
    sendFileMessage,
    downloadMedia,
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
    /** @param {import('./wpp-core.js').Frame} frame */
    onFrame(frame) { core.onFrame(frame); },
    /** @param {boolean} up */
    socket(up) { core.socket(up); },
    /** @param {string} msgId an own message typed in the page is leaving */
    sending(msgId) { core.sentHere.add(msgId); },
  };
}
