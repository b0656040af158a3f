// One conversation: header (back on phones, name, assignment), the keyed message list with older
// history on scroll, live messages and ticks, the reply box, retry of failed or unconfirmed sends;
// opening it marks the chat read where the user may.
import { api, clientMessageId } from "../api.js";
import { setOpenChat } from "../attention.js";
import { composer } from "../composer.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";
import { t } from "../i18n.js";
import { messageList } from "../messagelist.js";
import { on } from "../socket.js";
import { assignment } from "./assign.js";

const PAGE = 30;
const READ_DELAY_MS = 1500;

/**
 * @param {Element} pane
 * @param {{sessionId: string, chatId: string, session: Promise<object>, user: object}} ctx
 * @returns {() => void} cleanup
 */
export function conversation(pane, { sessionId, chatId, session, user }) {
  const base = `/whatsapp/sessions/${sessionId}/chats/${encodeURIComponent(chatId)}`;
  let chat = null;
  let rights = null;
  let nextBefore = null;
  let loadingOlder = false;
  let readTimer = 0;
  let alive = true;

  const title = h("h2", { id: "chat-title", "data-testid": "chat-title", tabindex: -1 });
  const subtitle = h("p", { class: "chat-sub muted", "data-testid": "chat-sub" });
  const assignBox = h("div", { class: "assign-box" });
  const back = h(
    "a",
    {
      href: `#/chats/${sessionId}`,
      class: "back icon-button",
      "data-testid": "chat-back",
      "aria-label": t("chat.back"),
    },
    icon("back"),
  );
  const header = h(
    "header",
    { class: "chat-header" },
    back,
    h("div", { class: "chat-heading" }, title, subtitle),
    assignBox,
  );

  const older = async () => {
    if (loadingOlder || !nextBefore) return;
    loadingOlder = true;
    try {
      const q = new URLSearchParams({ limit: String(PAGE), before: nextBefore });
      const page = await api("GET", `${base}/messages?${q}`);
      nextBefore = page.nextBefore;
      list.prepend(page.messages);
      list.hasMore(Boolean(nextBefore));
    } catch (err) {
      toast(err.message, "error");
    } finally {
      loadingOlder = false;
    }
  };
  const list = messageList({ onRetry: (m) => retry(m), onOlder: older, isGroup: false });
  const box = composer({ onSend: (text) => send(text) });
  mount(
    pane,
    h(
      "section",
      { class: "conversation", "aria-labelledby": "chat-title", "data-testid": "conversation" },
      header,
      list.root,
      box.root,
    ),
  );

  async function send(text, reuse = null) {
    const local = reuse || {
      clientMessageId: clientMessageId(),
      direction: "out",
      body: text,
      status: "pending",
      createdAt: new Date().toISOString(),
    };
    list.upsert({ ...local, status: "pending", error: null }, { own: true });
    try {
      const out = await api("POST", `${base}/send`, { message: local.body, clientMessageId: local.clientMessageId });
      list.upsert({ ...out.message, local: false }, { own: true }); // the server holds it now
    } catch (err) {
      // never reached the server (or refused): the same id makes a retry safe to repeat
      list.upsert({ ...local, status: "failed", error: err.message, local: true });
    }
  }

  function retry(m) {
    if (m.local) return send(m.body, m); // the server never stored it: same id, same message
    if (m.status === "unconfirmed" && !confirm(t("chat.retryUnconfirmed"))) return;
    // the server has this one as failed/unconfirmed: send the text again as a new message
    list.upsert({ ...m, retried: true });
    return send(m.body);
  }

  const markRead = () => {
    clearTimeout(readTimer);
    if (!rights || !rights.canManageChats || !chat || chat.unreadCount === 0) return;
    readTimer = setTimeout(() => {
      if (document.hidden || !alive) return;
      api("POST", `${base}/read`)
        .then((d) => {
          chat = d.chat;
        })
        .catch(() => {});
    }, READ_DELAY_MS);
  };

  const showChat = (c) => {
    chat = c;
    title.textContent = c.name || c.phoneJid || c.waChatId;
    subtitle.textContent = c.phoneJid ? `+${c.phoneJid.split("@")[0]}` : "";
    assignBox.dataset.assigned = c.assignedManagerId || "";
    assignBox.dispatchEvent(new CustomEvent("chat", { detail: c }));
  };

  const loadFirst = async () => {
    const [chatData, page] = await Promise.all([api("GET", base), api("GET", `${base}/messages?limit=${PAGE}`)]);
    if (!alive) return;
    showChat(chatData.chat);
    nextBefore = page.nextBefore;
    list.reset(page.messages, chat.unreadCount);
    list.hasMore(Boolean(nextBefore));
    markRead();
  };

  const resync = async () => {
    try {
      const page = await api("GET", `${base}/messages?limit=${PAGE}`);
      for (const m of [...page.messages].reverse()) list.upsert(m);
    } catch {
      // the banner says the connection is away; the next resync tries again
    }
  };

  session
    .then((s) => {
      if (!alive) return;
      rights = s.rights;
      box.setWritable(rights.canWrite);
      assignment(assignBox, {
        sessionId,
        chatId: () => chat && chat.id,
        canManage: rights.canManageChats,
        user,
        onChange: showChat,
      });
      markRead();
    })
    .catch(() => {});
  loadFirst().catch((err) => toast(err.message, "error"));
  setOpenChat(sessionId, chatId);

  const mine = (d) => d.sessionId === sessionId && chat && d.chatId === chat.id;
  const offs = [
    on("whatsapp:message", (d) => {
      if (!mine(d)) return;
      list.upsert(d.message);
      if (d.message.direction === "in") markRead();
    }),
    on("whatsapp:message_sent", (d) => mine(d) && list.upsert(d.message)),
    on("whatsapp:message_ack", (d) => {
      if (mine(d) && list.has({ id: d.messageId })) list.upsert({ id: d.messageId, status: d.status });
    }),
    on("whatsapp:chat_updated", (d) => {
      if (d.sessionId !== sessionId || !chat || d.chat.id !== chat.id) return;
      showChat(d.chat);
      markRead();
    }),
    on("socket:resync", resync),
  ];
  const onVisible = () => !document.hidden && markRead();
  document.addEventListener("visibilitychange", onVisible);
  // with a mouse or keyboard, straight to the reply box; on a touch screen that would pop the
  // keyboard over the messages, so the focus goes to the chat's name (read out by screen readers)
  if (matchMedia("(pointer: coarse)").matches) title.focus({ preventScroll: true });
  else box.focus();
  return () => {
    alive = false;
    clearTimeout(readTimer);
    setOpenChat(null);
    document.removeEventListener("visibilitychange", onVisible);
    offs.forEach((off) => off());
  };
}
