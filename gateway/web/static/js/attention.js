// What draws a manager's eye: the number of unread chats in the title and on the app badge, a
// notification (and an optional sound) for a customer's new message in a chat this user may read
// while they are looking elsewhere, never for their own messages.
import { api } from "./api.js";
import { t } from "./i18n.js";
import { messageLine } from "./mediainfo.js";
import { pref } from "./prefs.js";
import { on } from "./socket.js";

const REFRESH_MS = 800; // events come in bursts: count once after them
const EXCERPT = 120;
let unread = 0;
let openChat = null; // "<sessionId>/<chatId>" shown on screen now
let timer = 0;
let audio = null;
let offs = [];

/** The conversation on screen (null when none): no notification for what the user is reading. */
export function setOpenChat(sessionId, chatId) {
  openChat = sessionId && chatId ? `${sessionId}/${chatId}` : null;
}

export function unreadChats() {
  return unread;
}

function show(n) {
  unread = n;
  document.title = n > 0 ? `(${n}) ${t("app.title")}` : t("app.title");
  document.documentElement.dataset.unread = String(n);
  if (navigator.setAppBadge) (n > 0 ? navigator.setAppBadge(n) : navigator.clearAppBadge()).catch(() => {});
}

async function refresh() {
  try {
    const { sessions } = await api("GET", "/whatsapp/sessions");
    show(sessions.reduce((sum, s) => sum + (s.unreadChats || 0), 0));
  } catch {
    // the next event or reconnect counts again
  }
}

function soon() {
  clearTimeout(timer);
  timer = setTimeout(refresh, REFRESH_MS);
}

/** Called from a click (menu switch): browsers only allow sound after a user gesture. */
export function unlockSound() {
  const Ctx = window.AudioContext || window.webkitAudioContext;
  if (!audio && Ctx) audio = new Ctx();
  if (audio && audio.state === "suspended") audio.resume().catch(() => {});
}

function beep() {
  if (!audio || audio.state !== "running") return;
  const now = audio.currentTime;
  for (const [freq, start] of [
    [880, 0],
    [1320, 0.12],
  ]) {
    const osc = audio.createOscillator();
    const gain = audio.createGain();
    osc.frequency.value = freq;
    gain.gain.setValueAtTime(0.12, now + start);
    gain.gain.exponentialRampToValueAtTime(0.001, now + start + 0.18);
    osc.connect(gain).connect(audio.destination);
    osc.start(now + start);
    osc.stop(now + start + 0.2);
  }
}

async function notify(d) {
  if (!pref("notify") || !("Notification" in window) || Notification.permission !== "granted") return;
  const m = d.message;
  const line = messageLine(m); // a photo without a caption still says what came
  const body = line.length > EXCERPT ? `${line.slice(0, EXCERPT)}…` : line;
  const options = {
    body,
    tag: `chat-${d.chatId}`, // one notification per chat, replaced by the newest message
    icon: "/static/icons/icon-192.png",
    badge: "/static/icons/icon-192.png",
    data: { url: `/#/chats/${d.sessionId}/${d.chatId}` },
  };
  const title = m.sender || t("notify.title");
  try {
    const reg = navigator.serviceWorker && (await navigator.serviceWorker.getRegistration());
    if (reg) await reg.showNotification(title, options);
    else new Notification(title, options);
  } catch (err) {
    console.warn("notification", err);
  }
}

function inbound(d) {
  soon();
  if (!d.message || d.message.direction !== "in") return; // never for the user's own messages
  const looking = !document.hidden && openChat === `${d.sessionId}/${d.chatId}`;
  if (looking) return;
  if (pref("sound")) beep();
  notify(d);
}

/** Start counting and notifying for a signed-in user; returns nothing (stopAttention ends it). */
export function startAttention() {
  stopAttention();
  offs = [
    on("whatsapp:message", inbound),
    on("whatsapp:chat_updated", soon),
    on("socket:resync", refresh),
    on("socket:state", (s) => s === "on" && soon()),
  ];
  refresh();
}

export function stopAttention() {
  offs.forEach((off) => off());
  offs = [];
  clearTimeout(timer);
  show(0);
}
