// @ts-check
// The WPP stand-in's inside: what the page learns from /ws/chat (QR codes, identity, chats,
// messages, acks) turned into wa-js's events, and the wpp_* requests to the simulated servers.

import { ChatStore, WPPError, message, msgKey, wid } from './wpp-model.js';

/** @typedef {typeof import('@wppconnect/wa-js')} WA */
/** @typedef {import('@wppconnect/wa-js').whatsapp.MsgModel} MsgModel */
/** @typedef {import('@wppconnect/wa-js').conn.AuthCode} AuthCode */
/** @typedef {import('./wpp-model.js').MsgJson} MsgJson */
/** @typedef {import('./wpp-model.js').KeyJson} KeyJson */
/** @typedef {Record<string, any>} Frame  a JSON frame of /ws/chat */
/** @typedef {(...args: any[]) => void} Listener */

/**
 * What app.js lends the stand-in.
 * @typedef {object} PageChannel
 * @property {(frame: Frame) => void} send  a frame to the server (only while the socket is up)
 * @property {(chatId: string, msgId: string, text: string) => void} showSent  the row of an own message, as typing shows it
 * @property {() => string} newMsgId  a new own message id, as the page makes them
 * @property {() => boolean} hasSession  the browser profile holds a linked device
 */

const QR_PREFIX = 'https://wa.me/settings/linked_devices#';
const KEEP_MESSAGES = 5000; // messages remembered for their acks (WhatsApp's MsgStore evicts too)

export class Core {
  /** @param {PageChannel} channel */
  constructor(channel) {
    this.channel = channel;
    this.state = {
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
    this.chats = new ChatStore();
    /** @type {Map<string, MsgModel>} bare id -> the message as handed out */
    this.messages = new Map();
    /** @type {Set<string>} own messages that left from this tab (typed, or sent through WPP) */
    this.sentHere = new Set();
    /** @type {Map<string, () => void>} bare id -> resolves a send waiting for its first ack */
    this.ackWaiters = new Map();
    /** @type {(() => void)[]} */
    this.logoutWaiters = [];
    /** @type {((code: AuthCode | null) => void)[]} */
    this.authCodeWaiters = [];
    /** @type {Map<string, Set<Listener>>} */
    this.listeners = new Map();
    /** @type {Map<number, {frame: Frame, resolve: (result: any) => void, reject: (err: Error) => void}>} */
    this.requests = new Map();
    this.nextReq = 1;
    // wa-js's emitter, typed with its event map: listeners run after the change, asynchronously.
    this.emit = /** @type {WA['emit']} */ (/** @type {(name: string, ...args: unknown[]) => boolean} */ (
      (name, ...args) => {
        setTimeout(() => this.fire(name, args), 0);
        return true;
      }));
    // The same, at once: for conn.logout, before the page navigates away.
    this.emitNow = /** @type {WA['emit']} */ (/** @type {(name: string, ...args: unknown[]) => boolean} */ (
      (name, ...args) => {
        this.fire(name, args);
        return true;
      }));
  }

  /** @param {string} name @param {unknown[]} args */
  fire(name, args) {
    for (const listener of [...(this.listeners.get(name) || [])]) {
      try {
        listener(...args);
      } catch (err) {
        console.error('WPP listener failed', name, err);
      }
    }
  }

  /** @param {string} event @param {Listener} listener */
  listen(event, listener) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event)?.add(listener);
  }

  /** @param {string} event @param {Listener} listener */
  unlisten(event, listener) {
    this.listeners.get(event)?.delete(listener);
  }

  // -- requests (wpp_* frames, answered by wpp_reply; kept until answered, sent again on ready) --

  /** @param {string} type @param {Frame} body @returns {Promise<any>} */
  request(type, body) {
    return new Promise((resolve, reject) => {
      const req = this.nextReq++;
      const frame = { type, req, ...body };
      this.requests.set(req, { frame, resolve, reject });
      if (this.state.socketUp) this.channel.send(frame);
    });
  }

  /** @param {Frame} frame */
  onReply(frame) {
    const pending = this.requests.get(frame.req);
    if (!pending) return;
    this.requests.delete(frame.req);
    if (frame.error) pending.reject(new WPPError(frame.error.code, frame.error.message));
    else pending.resolve(frame.result);
  }

  requireMe() {
    if (!this.state.me) throw new WPPError('not_authenticated', 'The device is not logged in');
    return this.state.me;
  }

  /** @returns {AuthCode | null} wa-js's getAuthCode: the four fields of the QR's data-ref */
  authCode() {
    if (!this.state.ref || this.state.authenticated) return null;
    const [ref, staticKeyPair, identityKeyPair, secretKey] = this.state.ref.replace(QR_PREFIX, '').split(',');
    const fullCode = [ref, staticKeyPair, identityKeyPair, secretKey].join(',');
    return { type: 'multidevice', ref, staticKeyPair, identityKeyPair, secretKey, fullCode };
  }

  // -- what the page learns -----------------------------------------------------------------------

  mainReady() { // wa-js: once per load, when the stream reaches the QR or the main screen
    if (this.state.mainReady) return;
    this.state.mainReady = true;
    this.emit('conn.main_ready');
  }

  /** @param {boolean} online */
  setOnline(online) {
    if (this.state.online === online) return;
    this.state.online = online;
    this.emit('conn.online', online);
  }

  /** @param {boolean} up the page's websocket */
  socket(up) {
    this.state.socketUp = up;
    if (this.state.authenticated) this.setOnline(up);
  }

  /** @param {number} ack @param {KeyJson} key @param {string} chatId @param {MsgModel | undefined} msg */
  ackChanged(ack, key, chatId, msg) {
    if (ack === 1 && msg) { // change:ack on the model: {ack, chat: msg.to, ids}
      this.emit('chat.msg_ack_change', { ack, chat: /** @type {*} */ (msg.to), ids: [msg.id] });
    } else if (ack >= 2) { // a receipt from the contact's phone
      this.emit('chat.msg_ack_change', { ack, chat: wid(chatId), ids: [msgKey(key)] });
    }
    if (ack !== 0) this.ackWaiters.get(key.id)?.();
  }

  /** @param {MsgModel} msg @param {number} ack @param {KeyJson} key @param {string} chatId */
  setAck(msg, ack, key, chatId) {
    const now = msg.ack ?? 0;
    if (ack === now || (ack > 0 && ack < now)) return;
    msg.ack = ack;
    this.ackChanged(ack, key, chatId, msg);
  }

  /** @param {MsgJson} json */
  onMessage(json) {
    const known = this.messages.get(json.id.id);
    if (known) {
      this.setAck(known, json.ack, json.id, json.id.remote);
      return;
    }
    const here = json.id.fromMe && this.sentHere.has(json.id.id);
    const msg = message(here ? { ...json, ack: 0 } : json, true); // wa-js: added with a clock first
    this.remember(json.id.id, msg);
    this.emit('chat.new_message', msg);
    if (here) setTimeout(() => this.setAck(msg, json.ack, json.id, json.id.remote), 0); // after the event
  }

  /** @param {string} id @param {MsgModel} msg */
  remember(id, msg) {
    this.messages.set(id, msg);
    for (const old of this.messages.keys()) {
      if (this.messages.size <= KEEP_MESSAGES) break;
      this.messages.delete(old);
      this.sentHere.delete(old);
    }
    for (const old of this.sentHere) { // ids whose message never came back (a refused send)
      if (this.sentHere.size <= KEEP_MESSAGES) break;
      this.sentHere.delete(old);
    }
  }

  /** @param {Frame} frame */
  onFrame(frame) {
    const { state } = this;
    switch (frame.type) {
      case 'qr':
        state.ref = frame.ref;
        if (state.managedLinkCode) { // the code's life ended: the page is back to QR codes
          state.managedLinkCode = false;
          this.emit('conn.link_code_expired');
        }
        this.mainReady();
        this.emit('conn.auth_code_change', this.authCode());
        for (const waiter of this.authCodeWaiters.splice(0)) waiter(this.authCode());
        break;
      case 'qr_expired': state.ref = null; this.emit('conn.qrcode_idle'); break;
      case 'link_code': state.ref = null; break; // the code replaces the QR until it expires
      case 'linked':
        state.ref = null;
        state.authenticated = true;
        state.managedLinkCode = false;
        this.emit('conn.authenticated');
        break;
      case 'ready':
        state.authenticated = true;
        state.me = { phone: frame.me.phone, name: frame.me.name, lid: frame.me.lid };
        if (frame.wa) this.chats.setAll(frame.wa.chats);
        this.setOnline(Boolean(frame.online));
        this.mainReady();
        for (const pending of this.requests.values()) this.channel.send(pending.frame); // unanswered
        break;
      case 'msg':
        if (!frame.wa) break;
        this.chats.upsert(frame.wa.chat);
        this.onMessage(frame.wa.msg);
        break;
      case 'chat': if (frame.wa) this.chats.upsert(frame.wa.chat); break;
      case 'ack': this.onAck(frame); break;
      case 'network': this.setOnline(Boolean(frame.online)); break;
      case 'wpp_reply': this.onReply(frame); break;
      case 'logged_out': this.onLogout(); break;
      default: break;
    }
  }

  /** @param {Frame} frame */
  onAck(frame) {
    if (!frame.wa) return;
    const { ack, chat, key } = frame.wa;
    const msg = this.messages.get(key.id);
    if (msg) this.setAck(msg, ack, key, chat);
    else if (ack >= 2) this.ackChanged(ack, key, chat, undefined); // receipts need no model
  }

  onLogout() {
    if (this.state.authenticated) this.emitNow('conn.logout');
    this.state.authenticated = false;
    this.state.me = null;
    for (const [req, pending] of this.requests) {
      this.requests.delete(req);
      pending.reject(new WPPError('logged_out', 'The device was logged out'));
    }
    for (const waiter of this.logoutWaiters.splice(0)) waiter();
  }
}
