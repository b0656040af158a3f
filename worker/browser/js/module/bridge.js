// @ts-check
// The module bridge inside the page (injected at document start, right after wa-js): queues what
// wa-js reports (new messages, acks) in `window.__wagwQueue` for the worker's long-poll, and runs
// the worker's operations through `WPP.*`. Type-checked against wa-js's own declarations (tsc).
//
// The subset of wa-js used, all here: WPP.isReady, WPP.on(chat.new_message | chat.msg_ack_change |
// conn.auth_code_change | conn.link_code_change | conn.link_code_expired | conn.authenticated |
// conn.main_ready | conn.logout | conn.qrcode_idle | conn.online), WPP.conn.{getAuthCode,
// isAuthenticated, isMainReady, getMyUserId, getMyUserLid, logout, refreshQR,
// genLinkDeviceCodeForPhoneNumber}, WPP.profile.getMyProfileName, WPP.chat.{sendTextMessage,
// sendFileMessage, downloadMedia, getMessages, list, get, markIsRead}, WPP.contact.getPnLidEntry.
(() => {
  /** @typedef {typeof import('@wppconnect/wa-js')} Wpp */
  /** @typedef {import('@wppconnect/wa-js').ev.ChatEventTypes['chat.new_message']} Msg */
  /** @typedef {import('@wppconnect/wa-js').chat.RawMessage} RawMsg */
  /** @typedef {import('@wppconnect/wa-js').ev.ChatEventTypes['chat.msg_ack_change']} AckEvent */
  /** @typedef {import('@wppconnect/wa-js').whatsapp.MsgKey} MsgKey */
  /** @typedef {{id: string, phone: string | null, lid: string | null, name: string,
   *   group: boolean}} ChatRef */
  /** @typedef {{mimetype: string | null, size: number | null, filename: string | null,
   *   duration: number | string | null, width: number | null, height: number | null,
   *   thumb: string | null}} MediaItem */
  /** @typedef {{kind: 'msg', seq: number, id: string, bare: string, fromMe: boolean,
   *   remote: string | null, from: string | null, to: string | null, author: string | null,
   *   t: number | null, ack: number | null, type: string | null, body: string | null,
   *   notifyName: string | null, chat: ChatRef | null, media: MediaItem | null}} MsgItem */
  /** @typedef {{kind: 'ack', seq: number, ack: number, ids: string[], chat: string | null}} AckItem */
  /** @typedef {{t: number, id: string}} Cursor */

  const page = /** @type {any} */ (window);
  if (page.__wagw) return; // injected twice into one document: the first one stays
  const MAX_QUEUE = 10000;
  const MAX_SERIALS = 5000; // message keys remembered for downloads (bare id -> serialized)
  // wa-js's message types that carry a file; image and video carry a JPEG thumbnail as body
  const MEDIA_TYPES = new Set(['image', 'video', 'gif', 'audio', 'ptt', 'document', 'sticker']);
  const THUMBED = new Set(['image', 'video', 'gif']);
  const REF_RETRY_MS = 30000; // a chat whose phone or lid was not known yet is asked again

  /** Thrown when wa-js is missing or not ready: the worker falls back to the page bridge. */
  class Broken extends Error {}

  /** @type {(MsgItem | AckItem)[]} */
  const queue = [];
  page.__wagwQueue = queue;
  const state = {
    boot: Math.random().toString(36).slice(2) + Date.now().toString(36),
    seq: 0,
    dropped: 0,
    /** @type {Wpp | null} */ attached: null,
    /** @type {string | null} */ authCode: null,
    /** @type {string | null} */ linkCode: null,
    online: true, // until wa-js says otherwise (conn.online)
    idle: false, // the QR expired unscanned (conn.qrcode_idle), until a new one comes
    /** @type {null | (() => void)} */ wake: null,
    poked: false, // a poke with no long-poll waiting: the next one answers at once
  };
  /** @type {Map<string, {at: number, ref: Promise<ChatRef>}>} */
  const refs = new Map();
  /** @type {Map<string, string>} bare id -> serialized key, of messages with a file */
  const serials = new Map();

  /** @returns {Wpp | null} */
  const ready = () => {
    const wpp = page.WPP;
    return wpp && wpp.isReady === true ? /** @type {Wpp} */ (wpp) : null;
  };
  /** @returns {Wpp} */
  const need = () => {
    const wpp = ready();
    if (!wpp) throw new Broken(page.WPP ? 'WPP is not ready' : 'WPP is missing');
    attach();
    return wpp;
  };

  /** A wa-js id (Wid, MsgKey, or already a string) as its serialized string.
   * @param {unknown} x @returns {string | null} */
  const jid = (x) => {
    if (x === null || x === undefined) return null;
    if (typeof x === 'string') return x;
    const serialized = /** @type {{_serialized?: unknown}} */ (x)._serialized;
    return typeof serialized === 'string' ? serialized : String(x);
  };

  const wakeUp = () => {
    const wake = state.wake;
    state.wake = null;
    if (wake) wake();
  };
  /** @param {MsgItem | AckItem} item */
  const push = (item) => {
    if (queue.length >= MAX_QUEUE) state.dropped += 1;
    else queue.push(item);
    wakeUp();
  };

  /** What wa-js tells of a message's file (null for other messages).
   * @param {Msg | RawMsg} msg @param {MsgKey} key @returns {MediaItem | null} */
  const mediaOf = (msg, key) => {
    if (!msg.type || !MEDIA_TYPES.has(msg.type)) return null;
    const serialized = jid(key);
    if (serialized) {
      serials.set(key.id, serialized);
      if (serials.size > MAX_SERIALS) serials.delete(serials.keys().next().value || '');
    }
    return {
      mimetype: typeof msg.mimetype === 'string' ? msg.mimetype : null,
      size: typeof msg.size === 'number' ? msg.size : null,
      filename: typeof msg.filename === 'string' ? msg.filename : null,
      duration: typeof msg.duration === 'number' || typeof msg.duration === 'string' ? msg.duration : null,
      width: typeof msg.width === 'number' ? msg.width : null,
      height: typeof msg.height === 'number' ? msg.height : null,
      thumb: THUMBED.has(msg.type) && typeof msg.body === 'string' ? msg.body : null,
    };
  };

  /** What the worker stores of a message (the text of a media message is its caption).
   * @param {Msg | RawMsg} msg @param {MsgKey} key @param {number} seq
   * @param {ChatRef | null} chat @returns {MsgItem} */
  const item = (msg, key, seq, chat) => ({
    media: mediaOf(msg, key),
    kind: 'msg',
    seq,
    id: jid(key) || '',
    bare: key.id,
    fromMe: key.fromMe,
    remote: jid(key.remote),
    from: jid(msg.from),
    to: jid(msg.to),
    author: jid(msg.author),
    t: typeof msg.t === 'number' ? msg.t : null,
    ack: typeof msg.ack === 'number' ? msg.ack : null,
    type: msg.type || null,
    body: msg.type === 'chat' || !msg.type ? msg.body || '' : msg.caption || '',
    notifyName: typeof msg.notifyName === 'string' ? msg.notifyName : null,
    chat,
  });

  /** A chat's ids and name; a person's phone id and lid both, through getPnLidEntry.
   * @param {Wpp} wpp @param {string} id @returns {Promise<ChatRef>} */
  const resolveRef = async (wpp, id) => {
    const chat = wpp.chat.get(id);
    const name = chat ? chat.name || chat.formattedTitle || '' : '';
    if (id.endsWith('@g.us')) return { id, phone: null, lid: null, name, group: true };
    let entry = null;
    try {
      entry = await wpp.contact.getPnLidEntry(id);
    } catch (e) {
      entry = null; // unknown to WhatsApp's lid map: the id alone
    }
    const contact = (entry && entry.contact) || {};
    return {
      id,
      phone: (entry && entry.phoneNumber && entry.phoneNumber._serialized) || null,
      lid: (entry && entry.lid && entry.lid._serialized) || null,
      name: name || contact.name || contact.pushname || '',
      group: false,
    };
  };
  /** One lookup per chat at a time, so the messages of a chat keep their order.
   * @param {Wpp} wpp @param {string} id @returns {Promise<ChatRef>} */
  const chatRef = (wpp, id) => {
    const known = refs.get(id);
    if (known && Date.now() - known.at < REF_RETRY_MS) return known.ref;
    const ref = resolveRef(wpp, id);
    const entry = { at: Date.now(), ref };
    refs.set(id, entry);
    ref.then(
      (got) => {
        if (got.group || (got.phone && got.lid)) entry.at = Infinity; // complete: keep it
      },
      () => refs.delete(id),
    );
    return ref;
  };

  /** @param {Wpp} wpp @param {Msg} msg */
  const onMessage = (wpp, msg) => {
    const chatId = jid(msg.id.remote);
    if (!chatId || chatId.endsWith('@broadcast') || chatId.endsWith('@newsletter')) return;
    const seq = ++state.seq;
    chatRef(wpp, chatId).then(
      (ref) => push(item(msg, msg.id, seq, ref)),
      () => push(item(msg, msg.id, seq, null)),
    );
  };
  /** @param {AckEvent} e */
  const onAck = (e) =>
    push({ kind: 'ack', seq: ++state.seq, ack: e.ack, ids: e.ids.map((k) => k.id), chat: jid(e.chat) });

  /** Listen to the WPP on the page (again when the page replaced it). */
  const attach = () => {
    const wpp = ready();
    if (!wpp || state.attached === wpp) return;
    state.attached = wpp;
    wpp.on('chat.new_message', (msg) => onMessage(wpp, msg));
    wpp.on('chat.msg_ack_change', onAck);
    wpp.on('conn.auth_code_change', (code) => {
      state.authCode = code ? code.fullCode : null;
      state.idle = false;
      wakeUp();
    });
    wpp.on('conn.link_code_change', (code) => {
      state.linkCode = code;
      wakeUp();
    });
    wpp.on('conn.link_code_expired', () => {
      state.linkCode = null;
      wakeUp();
    });
    wpp.on('conn.authenticated', () => {
      state.linkCode = null;
      wakeUp();
    });
    wpp.on('conn.logout', () => {
      state.authCode = state.linkCode = null;
      state.online = true;
      wakeUp();
    });
    wpp.on('conn.main_ready', wakeUp);
    wpp.on('conn.qrcode_idle', () => {
      state.idle = true;
      wakeUp();
    });
    wpp.on('conn.online', (online) => {
      state.online = online;
      wakeUp();
    });
    wpp.conn.getAuthCode().then(
      (code) => {
        if (code && !state.authCode) state.authCode = code.fullCode;
        wakeUp();
      },
      () => undefined,
    );
  };
  setInterval(attach, 100);

  /** Who is linked, and how the connection stands (pulled on every drain). */
  const conn = () => {
    const wpp = ready();
    if (!wpp) return { ready: false, present: Boolean(page.WPP) };
    attach();
    const authenticated = wpp.conn.isAuthenticated();
    /** @type {{ready: boolean, present: boolean, authenticated: boolean, mainReady: boolean,
     *   online: boolean, idle: boolean, authCode: string | null, linkCode: string | null,
     *   me: string | null, lid: string | null, name: string | null}} */
    const out = {
      ready: true,
      present: true,
      authenticated,
      mainReady: authenticated && wpp.conn.isMainReady(),
      online: state.online,
      idle: !authenticated && state.idle,
      authCode: authenticated ? null : state.authCode,
      linkCode: authenticated ? null : state.linkCode,
      me: null,
      lid: null,
      name: null,
    };
    if (out.mainReady) {
      out.me = jid(wpp.conn.getMyUserId());
      try {
        out.lid = jid(wpp.conn.getMyUserLid());
      } catch (e) {
        out.lid = null; // an account without a lid yet
      }
      out.name = wpp.profile.getMyProfileName() || null;
    }
    return out;
  };

  const drain = () => {
    const items = queue.splice(0, queue.length);
    const dropped = state.dropped;
    state.dropped = 0;
    return { boot: state.boot, items, dropped, conn: conn() };
  };

  /** @typedef {{msg: RawMsg, key: MsgKey}} Keyed */
  /** Raw messages with their key (a raw message without one is no message).
   * @param {RawMsg[]} msgs @returns {Keyed[]} */
  const keyed = (msgs) => {
    /** @type {Keyed[]} */
    const out = [];
    for (const msg of msgs) if (msg.id) out.push({ msg, key: msg.id });
    return out;
  };

  /** Messages of a chat after the cursor (the last one stored): read back from the newest,
   * page by page, until the cursor (or an older message) shows up.
   * @param {Wpp} wpp @param {string} chatId @param {Cursor | null} cursor
   * @param {number} pageSize @param {number} maxPages @returns {Promise<Keyed[]>} */
  const since = async (wpp, chatId, cursor, pageSize, maxPages) => {
    let got = keyed(await wpp.chat.getMessages(chatId, { count: pageSize }));
    if (!cursor) return got;
    for (let pages = 1; ; pages++) {
      const at = got.findIndex((m) => m.key.id === cursor.id);
      if (at >= 0) return got.slice(at + 1);
      const oldest = got[0];
      if (!oldest || (oldest.msg.t || 0) < cursor.t || pages >= maxPages) {
        return got.filter((m) => (m.msg.t || 0) >= cursor.t);
      }
      const before = await wpp.chat.getMessages(chatId, {
        count: pageSize,
        direction: 'before',
        id: jid(oldest.key) || '',
      });
      if (!before.length) return got.filter((m) => (m.msg.t || 0) >= cursor.t);
      got = keyed(before).concat(got);
    }
  };

  /** A Blob as base64 (FileReader: no string building byte by byte).
   * @param {Blob} blob @returns {Promise<string>} */
  const base64Of = (blob) =>
    new Promise((resolve, reject) => {
      const reader = new FileReader();
      reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
      reader.onerror = () => reject(reader.error || new Error('the file could not be read'));
      reader.readAsDataURL(blob);
    });

  /** The serialized key of a message with a file: remembered, else found in its chat.
   * @param {Wpp} wpp @param {string} chatId @param {string} bare @param {boolean} fromMe */
  const serialOf = async (wpp, chatId, bare, fromMe) => {
    const known = serials.get(bare);
    if (known) return known;
    for (const m of keyed(await wpp.chat.getMessages(chatId, { count: 200 }))) {
      if (m.key.id === bare) return jid(m.key) || '';
    }
    return `${fromMe}_${chatId}_${bare}`;
  };

  /** Our kinds as wa-js's sendFileMessage options (a voice note: audio, isPtt).
   * @param {string} kind */
  const fileType = (kind) => {
    if (kind === 'voice') return { type: /** @type {'audio'} */ ('audio'), isPtt: true };
    if (kind === 'audio') return { type: /** @type {'audio'} */ ('audio'), isPtt: false };
    if (kind === 'image' || kind === 'video' || kind === 'document' || kind === 'sticker') {
      return { type: /** @type {'image' | 'video' | 'document' | 'sticker'} */ (kind) };
    }
    throw new Error(`no such kind ${kind}`);
  };

  const ops = {
    /** A message's file, as base64 (WPP.chat.downloadMedia -> Blob).
     * @param {string} chatId @param {string} bare @param {boolean} fromMe */
    download: async (chatId, bare, fromMe) => {
      const wpp = need();
      const blob = await wpp.chat.downloadMedia(await serialOf(wpp, chatId, bare, fromMe));
      return { mime: blob.type, size: blob.size, data: await base64Of(blob) };
    },
    /** Send a file (a data: URL) as `kind` with a caption.
     * @param {string} chatId @param {string} dataUrl @param {string} kind
     * @param {string} caption @param {string | null} filename @param {string} mimetype */
    sendFile: async (chatId, dataUrl, kind, caption, filename, mimetype) => {
      const wpp = need();
      const sent = await wpp.chat.sendFileMessage(chatId, dataUrl, {
        ...fileType(kind),
        caption: caption || undefined,
        filename: filename || undefined,
        mimetype,
        createChat: true,
      });
      const ref = await chatRef(wpp, chatId).catch(() => null);
      return { id: jid(sent.id), ack: sent.ack, chat: ref };
    },
    /** @param {string} chatId @param {string} body */
    send: async (chatId, body) => {
      const wpp = need();
      const sent = await wpp.chat.sendTextMessage(chatId, body, {
        createChat: true,
        linkPreview: false, // no third-party preview server sees the links
        detectMentioned: false, // the text goes as written
      });
      const ref = await chatRef(wpp, chatId).catch(() => null);
      return { id: jid(sent.id), ack: sent.ack, chat: ref };
    },
    /** What arrived while the worker was away, in the chats with the latest activity.
     * @param {Record<string, Cursor>} cursors by every id of each stored chat
     * @param {number} chatLimit @param {number} pageSize @param {number} maxPages */
    history: async (cursors, chatLimit, pageSize, maxPages) => {
      const wpp = need();
      /** @type {MsgItem[]} */
      const out = [];
      for (const chat of await wpp.chat.list({ count: chatLimit })) {
        const chatId = jid(chat.id);
        if (!chatId || chatId.endsWith('@broadcast') || chatId.endsWith('@newsletter')) continue;
        const cursor = cursors[chatId] || null;
        if (cursor && typeof chat.t === 'number' && chat.t < cursor.t) continue; // nothing since
        const msgs = await since(wpp, chatId, cursor, pageSize, maxPages);
        if (!msgs.length) continue;
        const ref = await chatRef(wpp, chatId);
        for (const m of msgs) out.push(item(m.msg, m.key, ++state.seq, ref));
      }
      return out;
    },
    /** Own messages of a chat sent since `sinceT` (the worker compares the text).
     * @param {string} chatId @param {number} sinceT @param {number} count */
    sentSince: async (chatId, sinceT, count) => {
      const wpp = need();
      const msgs = keyed(await wpp.chat.getMessages(chatId, { count }));
      const ref = await chatRef(wpp, chatId).catch(() => null);
      return msgs
        .filter((m) => m.key.fromMe && (m.msg.t || 0) >= sinceT)
        .map((m) => item(m.msg, m.key, ++state.seq, ref));
    },
    /** @param {string} chatId */
    markRead: async (chatId) => {
      const read = await need().chat.markIsRead(chatId);
      return read.unreadCount;
    },
    /** @param {string} phone digits */
    linkCode: async (phone) => {
      const code = await need().conn.genLinkDeviceCodeForPhoneNumber(phone);
      state.linkCode = code;
      return code;
    },
    refreshQr: async () => {
      const code = await need().conn.refreshQR();
      if (code) state.authCode = code.fullCode;
      state.idle = false;
      return Boolean(code);
    },
    logout: async () => need().conn.logout(),
  };

  /** A failure as the worker reads it: `broken` (wa-js itself is gone or changed: fall back)
   * or `error` (WhatsApp refused this one operation, with wa-js's error code).
   * @param {unknown} e */
  const failure = (e) => {
    const err = /** @type {{code?: unknown, message?: unknown}} */ (e || {});
    const message = String(err.message || e);
    if (e instanceof Broken || e instanceof TypeError || e instanceof ReferenceError) {
      return { broken: message };
    }
    return { error: { code: typeof err.code === 'string' ? err.code : 'error', message } };
  };

  page.__wagw = {
    boot: state.boot,
    ready: () => Boolean(ready()),
    /** A command waits for the page (from the worker's DevTools socket): answer the long-poll. */
    poke: () => {
      if (state.wake) wakeUp();
      else state.poked = true;
    },
    /** The long-poll: answers at once when something is queued, else when something arrives
     * or `timeoutMs` passes. @param {number} timeoutMs @param {(r: object) => void} done */
    wait: (timeoutMs, done) => {
      try {
        attach();
        if (queue.length || state.dropped || state.poked) {
          state.poked = false;
          done(drain());
          return;
        }
        const finish = () => {
          clearTimeout(timer);
          state.wake = null;
          try {
            done(drain());
          } catch (e) {
            done(failure(e));
          }
        };
        const timer = setTimeout(finish, timeoutMs);
        state.wake = finish;
      } catch (e) {
        done(failure(e));
      }
    },
    /** One operation; `{timeout: true}` when it has not finished after `deadlineMs` (it may
     * still finish: a send that times out is never sent again by the worker).
     * @param {string} name @param {unknown[]} args @param {number} deadlineMs
     * @param {(r: object) => void} done */
    run: (name, args, deadlineMs, done) => {
      const op = /** @type {Record<string, (...a: any[]) => Promise<unknown>>} */ (ops)[name];
      if (!op) {
        done({ broken: `the in-page bridge has no operation ${name}` });
        return;
      }
      let answered = false;
      /** @param {object} r */
      const answer = (r) => {
        if (!answered) done(r);
        answered = true;
      };
      setTimeout(() => answer({ timeout: true }), deadlineMs);
      Promise.resolve()
        .then(() => op(...args))
        .then(
          (value) => answer({ ok: value === undefined ? null : value }),
          (e) => answer(failure(e)),
        );
    },
  };
})();
