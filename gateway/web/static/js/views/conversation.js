// One conversation: header (back on phones, name, assignment), the keyed message list with older
// history on scroll, live messages, ticks and media, the reply box with attachments (picker, drag
// and drop, paste), retry of failed or unconfirmed sends; opening it marks the chat read where the
// user may.
import { api, clientMessageId } from "../api.js";
import { setOpenChat } from "../attention.js";
import { composer } from "../composer.js";
import { h, mount, toast } from "../dom.js";
import { icon } from "../icons.js";
import { t } from "../i18n.js";
import { loadLimits, mediaMaxBytes } from "../limits.js";
import { messageList } from "../messagelist.js";
import { on } from "../socket.js";
import { upload } from "../upload.js";
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
  const list = messageList({ onRetry: (m) => retry(m), onOlder: older, isGroup: false, sessionId });
  const box = composer({ onSend: (text) => send(text), sendFile, maxBytes: mediaMaxBytes });
  const drop = h("div", { class: "drop-zone", "data-testid": "drop-zone", hidden: true }, t("media.drop"));
  const section = h(
    "section",
    { class: "conversation", "aria-labelledby": "chat-title", "data-testid": "conversation" },
    header,
    list.root,
    box.root,
    drop,
  );
  mount(pane, section);
  dropFiles(
    section,
    drop,
    (file) => box.attachFile(file),
    () => Boolean(rights && rights.canWrite),
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

  /** Upload one file (send-media, multipart); its message joins the list once the server has it. */
  function sendFile(file, caption, id, onProgress) {
    const form = new FormData();
    form.append("clientMessageId", id);
    if (caption) form.append("caption", caption);
    form.append("file", file, file.name || "file");
    const job = upload(`${base}/send-media`, form, onProgress);
    return {
      cancel: job.cancel,
      done: job.done.then((out) => {
        list.upsert({ ...out.message, local: false }, { own: true });
        return out;
      }),
    };
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
  loadLimits();
  setOpenChat(sessionId, chatId);

  const mine = (d) => d.sessionId === sessionId && chat && d.chatId === chat.id;
  const offs = [
    on("whatsapp:message", (d) => {
      if (!mine(d)) return;
      list.upsert(d.message);
      if (d.message.direction === "in") markRead();
    }),
    on("whatsapp:message_sent", (d) => mine(d) && list.upsert(d.message)),
    on("whatsapp:message_media", (d) => mine(d) && list.setMedia(d.messageId, d.media)),
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

/** Files dragged over the conversation: a hint covers it, a drop attaches the first file. */
function dropFiles(section, hint, onFile, allowed) {
  let depth = 0; // dragenter/leave fire for every child crossed
  const hasFiles = (e) => e.dataTransfer && [...e.dataTransfer.types].includes("Files");
  section.addEventListener("dragenter", (e) => {
    if (!hasFiles(e) || !allowed()) return;
    e.preventDefault();
    depth += 1;
    hint.hidden = false;
  });
  section.addEventListener("dragover", (e) => {
    if (!hasFiles(e) || !allowed()) return;
    e.preventDefault(); // without it the browser opens the file instead of dropping it here
    e.dataTransfer.dropEffect = "copy";
  });
  section.addEventListener("dragleave", () => {
    depth = Math.max(0, depth - 1);
    if (!depth) hint.hidden = true;
  });
  section.addEventListener("drop", (e) => {
    depth = 0;
    hint.hidden = true;
    if (!hasFiles(e)) return;
    e.preventDefault();
    if (!allowed()) return;
    const [file, ...more] = e.dataTransfer.files;
    if (more.length) toast(t("media.oneAtATime"));
    if (file) onFile(file);
  });
}
