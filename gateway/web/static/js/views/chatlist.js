// The chat list of one session: search, unread counts, live re-ordering on socket events.
import { api } from "../api.js";
import { fmtTime, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { on } from "../socket.js";

function byActivity(a, b) {
  return (b.lastMessageAt || "").localeCompare(a.lastMessageAt || "");
}

/** Render the list into `root`; returns the cleanup function. */
export function chatList(root, sessionId, activeChatId) {
  let chats = [];
  let search = "";
  const list = h("ul", { class: "chatlist", "data-testid": "chat-list" });
  const input = h("input", { type: "search", id: "chat-search", "data-testid": "chat-search", placeholder: t("chats.search") });
  const item = (c) => h("li", { "data-testid": "chat-item", "data-chat-id": c.id, class: c.id === activeChatId ? "active" : "" },
    h("a", { href: `#/chats/${sessionId}/${c.id}` },
      h("span", { class: "chat-name", "data-testid": "chat-name" }, c.name),
      c.unreadCount > 0 && h("span", { class: "unread", "data-testid": "chat-unread" }, c.unreadCount),
      h("span", { class: "chat-time" }, fmtTime(c.lastMessageAt)),
      h("span", { class: "chat-preview" }, c.lastMessagePreview || "")));
  const render = () => {
    mount(list, chats.map(item));
    if (!chats.length) list.append(h("li", { class: "muted", "data-testid": "chats-empty" }, t("chats.empty")));
  };
  const load = async () => {
    try {
      const q = new URLSearchParams({ limit: "100" });
      if (search) q.set("search", search);
      chats = (await api("GET", `/whatsapp/sessions/${sessionId}/chats?${q}`)).chats;
      render();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => { search = input.value.trim(); load(); }, 250);
  });
  mount(root, input, list);
  load();
  const offs = [
    on("whatsapp:chat_updated", (d) => {
      if (d.sessionId !== sessionId) return;
      const i = chats.findIndex((c) => c.id === d.chat.id);
      if (i >= 0) chats[i] = d.chat;
      else if (!search) chats.push(d.chat);
      if (d.chat.id === activeChatId) d.chat.unreadCount = 0; // open here: read
      chats.sort(byActivity);
      render();
    }),
    on("whatsapp:message", (d) => {
      if (d.sessionId === sessionId && !chats.some((c) => c.id === d.chatId)) load();
    }),
  ];
  return () => { clearTimeout(timer); offs.forEach((off) => off()); };
}

export default function chats(root, { params: [sessionId] }) {
  const pane = h("div", { class: "card" });
  mount(root, h("section", { class: "split" }, pane,
    h("div", { class: "card muted placeholder" }, t("chats.pick"))));
  return chatList(pane, sessionId, null);
}
