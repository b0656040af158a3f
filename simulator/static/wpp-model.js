// @ts-check
// wa-js's objects rebuilt from the simulator's JSON (simulator/wa.py): Wid, MsgKey, messages (a
// MsgModel's attributes), chats (a ChatModel's) and the chat store WPP.chat reads. Every shape is
// checked against the @wppconnect/wa-js 4.6.0 declarations (tsc, see tsconfig.json).

/** @typedef {import('@wppconnect/wa-js').whatsapp.Wid} Wid */
/** @typedef {import('@wppconnect/wa-js').whatsapp.MsgKey} MsgKey */
/** @typedef {import('@wppconnect/wa-js').whatsapp.MsgModel} MsgModel */
/** @typedef {import('@wppconnect/wa-js').whatsapp.ChatModel} ChatModel */

/** The fields a message carries here, typed as wa-js types them. */
/** @typedef {Pick<MsgModel, 'id' | 'from' | 'to' | 'author' | 't' | 'ack' | 'type' | 'body' | 'notifyName' | 'self' | 'isNewMsg' | 'isGroupMsg'
 *   | 'caption' | 'mimetype' | 'size' | 'filename' | 'duration' | 'width' | 'height' | 'isMedia' | 'directPath'>} MsgShape */
/** The fields a chat carries here. */
/** @typedef {Pick<ChatModel, 'id' | 'name' | 'formattedTitle' | 't' | 'unreadCount' | 'hasUnread' | 'isGroup' | 'isUser' | 'archive' | 'lastReceivedKey'>} ChatShape */

/** @typedef {{fromMe: boolean, remote: string, id: string, participant: string | null, _serialized: string}} KeyJson */
/** @typedef {{caption?: string | null, mimetype?: string, size?: number, filename?: string | null, duration?: number | null,
 *   width?: number | null, height?: number | null, isMedia?: boolean, directPath?: string}} MediaJson  a media message's own attributes */
/** @typedef {{id: KeyJson, from: string, to: string, author: string | null, t: number, ack: number, type: string, body: string, notifyName: string, self: string, isGroupMsg: boolean} & MediaJson} MsgJson */
/** @typedef {{id: string, name: string, t: number | null, unreadCount: number, isGroup: boolean, activity: number, lastKey: KeyJson | null}} ChatJson */

const WID = /^(\d{5,20}(-\d{5,20})?)@(c\.us|lid|g\.us)$/;

/** A WPPError: wa-js rejects with these (`code` names the reason). */
export class WPPError extends Error {
  /** @param {string} code @param {string} message */
  constructor(code, message) {
    super(message);
    this.name = 'WPPError';
    this.code = code;
  }
}

/** The id of a user, a lid or a group: `<user>@<server>`. */
class SimWid {
  /** @param {string} serialized */
  constructor(serialized) {
    const at = serialized.indexOf('@');
    this.user = serialized.slice(0, at);
    this.server = serialized.slice(at + 1);
    this._serialized = serialized;
  }

  toString() { return this._serialized; }

  toJSON() { return this._serialized; }

  /** @param {unknown} other */
  equals(other) { return String(other) === this._serialized; }

  isGroup() { return this.server === 'g.us'; }

  isLid() { return this.server === 'lid'; }

  isUser() { return this.server === 'c.us' || this.server === 'lid'; }
}

/** @param {string} serialized @returns {Wid} */
export function wid(serialized) {
  return /** @type {Wid} */ (/** @type {unknown} */ (new SimWid(serialized)));
}

/**
 * What wa-js's assertWid accepts: a Wid, `<id>@c.us|@lid|@g.us`, or a bare number (`+` allowed).
 * @param {unknown} value
 * @returns {string}
 */
export function widString(value) {
  const text = typeof value === 'object' && value !== null && '_serialized' in value
    ? String(value._serialized) : String(value ?? '').trim();
  const digits = text.replace(/^\+/, '');
  if (/^\d{7,15}$/.test(digits)) return `${digits}@c.us`;
  if (WID.test(text)) return text;
  throw new WPPError('invalid_wid', `Invalid WID value for ${text}`);
}

class SimMsgKey {
  /** @param {KeyJson} json */
  constructor(json) {
    this.fromMe = json.fromMe;
    this.remote = wid(json.remote);
    this.id = json.id;
    this.participant = json.participant ? wid(json.participant) : undefined;
    this._serialized = json._serialized;
  }

  toString() { return this._serialized; }
}

/** @param {KeyJson} json @returns {MsgKey} */
export function msgKey(json) {
  return /** @type {MsgKey} */ (/** @type {unknown} */ (new SimMsgKey(json)));
}

/**
 * MsgKey.fromString: `<true|false>_<remote>_<id>[_<participant>]` -> its parts.
 * @param {string} serialized
 * @returns {{fromMe: boolean, remote: string, id: string}}
 */
export function parseKey(serialized) {
  const match = /^(true|false)_([^_]+@[a-z.]+)_([^_]+)(?:_.+)?$/.exec(String(serialized));
  if (!match) throw new WPPError('invalid_msg_key', `Invalid message key ${serialized}`);
  return { fromMe: match[1] === 'true', remote: match[2], id: match[3] };
}

/**
 * A message as wa-js hands it out (events and getMessages).
 * @param {MsgJson} json
 * @param {boolean} isNew
 * @returns {MsgModel}
 */
export function message(json, isNew) {
  /** @type {MsgShape} */
  const shape = {
    id: msgKey(json.id),
    from: wid(json.from),
    to: wid(json.to),
    author: json.author ? wid(json.author) : undefined,
    t: json.t,
    ack: json.ack,
    type: json.type,
    body: json.body,
    notifyName: json.notifyName,
    self: json.self,
    isNewMsg: isNew,
    isGroupMsg: json.isGroupMsg,
    isMedia: Boolean(json.isMedia),
  };
  if (json.isMedia) { // wa-js: type = the kind, body = the base64 JPEG thumbnail (image, video)
    shape.caption = json.caption ?? undefined;
    shape.mimetype = json.mimetype;
    shape.size = json.size;
    shape.filename = json.filename ?? undefined;
    shape.duration = json.duration ?? undefined;
    shape.width = json.width ?? undefined;
    shape.height = json.height ?? undefined;
    shape.directPath = json.directPath;
  }
  return /** @type {MsgModel} */ (/** @type {unknown} */ (shape));
}

class SimChat {
  /** @param {ChatJson} json */
  constructor(json) {
    this.id = wid(json.id);
    this.isGroup = json.isGroup;
    this.isUser = !json.isGroup;
    this.archive = false;
    /** @type {string | undefined} */
    this.name = undefined;
    /** @type {string | undefined} */
    this.formattedTitle = undefined;
    /** @type {number | undefined} */
    this.t = undefined;
    this.unreadCount = 0;
    /** @type {MsgKey | undefined} */
    this.lastReceivedKey = undefined;
    this.update(json);
  }

  /** @param {ChatJson} json */
  update(json) {
    this.name = json.name;
    this.formattedTitle = json.name;
    this.t = json.t ?? undefined;
    this.unreadCount = json.unreadCount;
    this.lastReceivedKey = json.lastKey ? msgKey(json.lastKey) : undefined;
  }

  get hasUnread() { return this.unreadCount > 0; }
}

/** The chats the page knows (WhatsApp's ChatStore): newest activity first. */
export class ChatStore {
  constructor() {
    /** @type {Map<string, SimChat>} */
    this.byId = new Map();
    /** @type {Map<string, number>} */
    this.activity = new Map();
  }

  /** @param {ChatJson[]} chats */
  setAll(chats) {
    this.byId.clear();
    this.activity.clear();
    for (const json of chats) this.upsert(json);
  }

  /** @param {ChatJson} json */
  upsert(json) {
    const known = this.byId.get(json.id);
    if (known) known.update(json);
    else this.byId.set(json.id, new SimChat(json));
    this.activity.set(json.id, json.activity);
  }

  /** @param {string} chatId @returns {ChatModel | undefined} */
  get(chatId) {
    const chat = this.byId.get(chatId);
    /** @type {ChatShape | undefined} */
    const shape = chat;
    return /** @type {ChatModel | undefined} */ (/** @type {unknown} */ (shape));
  }

  /** @returns {ChatModel[]} */
  ordered() {
    const ids = [...this.byId.keys()];
    ids.sort((a, b) => (this.activity.get(b) ?? 0) - (this.activity.get(a) ?? 0));
    return ids.map((id) => /** @type {ChatModel} */ (this.get(id)));
  }
}
