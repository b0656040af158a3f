// One conversation: history with "load older" (before cursor), live messages, send box and ticks.
import { api, clientMessageId } from "../api.js";
import { fmtTime, h, mount, toast } from "../dom.js";
import { t } from "../i18n.js";
import { on } from "../socket.js";
import { chatList } from "./chatlist.js";

const PAGE = 30;
// 'unconfirmed': typed on WhatsApp Web, its row not seen yet (becomes 'sent' when it appears)
const RANK = { pending: 0, failed: 0, unconfirmed: 1, sent: 2, delivered: 3, read: 4 };
const TICKS = { pending: "🕓", unconfirmed: "🕓?", sent: "✓", delivered: "✓✓", read: "✓✓", failed: "!" };

function bubble(m) {
  const tick = m.direction === "out"
    ? h("span", { class: `tick tick-${m.status}`, "data-testid": "msg-status", "data-status": m.status, title: t(`status.${m.status}`) }, TICKS[m.status] || "")
    : null;
  return h("li", { class: `msg msg-${m.direction}`, "data-testid": "message", "data-message-id": m.id || "", "data-direction": m.direction },
    m.direction === "in" && m.sender && h("div", { class: "msg-sender" }, m.sender),
    h("div", { class: "msg-body", "data-testid": "message-body" }, m.body),
    h("div", { class: "msg-meta" }, fmtTime(m.timestamp || m.createdAt), tick),
    m.error && h("div", { class: "error" }, m.error));
}

export default function conversation(root, { params: [sessionId, chatId] }) {
  const messages = []; // oldest first
  let nextBefore = null;
  const listEl = h("ol", { class: "messages", "data-testid": "messages" });
  const older = h("button", { type: "button", "data-testid": "load-older", hidden: true }, t("chat.older"));
  const header = h("h2", { "data-testid": "chat-title" });
  const box = h("textarea", { id: "compose", "data-testid": "compose", rows: 2, placeholder: t("chat.placeholder"), maxlength: 4096 });
  const send = h("button", { type: "button", id: "send", "data-testid": "send" }, t("chat.send"));
  const side = h("div", { class: "card" });
  mount(root, h("section", { class: "split" }, side,
    h("div", { class: "card conversation" }, header, older, listEl, h("div", { class: "compose" }, box, send))));
  const render = (stick) => {
    mount(listEl, messages.map(bubble));
    if (stick) listEl.scrollTop = listEl.scrollHeight;
  };
  const find = (m) => messages.findIndex((x) => (m.id && x.id === m.id) || (m.clientMessageId && x.clientMessageId === m.clientMessageId));
  const upsert = (m) => {
    const i = find(m);
    if (i < 0) messages.push(m);
    else if ((RANK[m.status] ?? 0) >= (RANK[messages[i].status] ?? 0) || m.status === "failed") messages[i] = { ...messages[i], ...m };
    render(true);
  };
  const loadPage = async (before) => {
    const q = new URLSearchParams({ limit: String(PAGE) });
    if (before) q.set("before", before);
    const page = await api("GET", `/whatsapp/sessions/${sessionId}/chats/${chatId}/messages?${q}`);
    messages.unshift(...page.messages.filter((m) => find(m) < 0).reverse());
    nextBefore = page.nextBefore;
    older.hidden = !nextBefore;
    render(!before);
  };
  older.addEventListener("click", () => loadPage(nextBefore).catch((e) => toast(e.message, "error")));
  const submit = async () => {
    const text = box.value.trim();
    if (!text) return;
    box.value = "";
    const local = { clientMessageId: clientMessageId(), direction: "out", body: text, status: "pending", createdAt: new Date().toISOString() };
    upsert(local);
    try {
      const out = await api("POST", `/whatsapp/sessions/${sessionId}/chats/${chatId}/send`, { message: text, clientMessageId: local.clientMessageId });
      upsert(out.message);
    } catch (err) {
      upsert({ ...local, status: "failed", error: err.message });
    }
  };
  send.addEventListener("click", submit);
  box.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && !e.shiftKey && !e.isComposing) { e.preventDefault(); submit(); }
  });
  const loadChat = () => api("GET", `/whatsapp/sessions/${sessionId}/chats?limit=200`).then((d) => {
    const chat = d.chats.find((c) => c.id === chatId);
    header.textContent = chat ? chat.name : "";
    if (chat && chat.unreadCount > 0) api("POST", `/whatsapp/sessions/${sessionId}/chats/${chatId}/read`).catch(() => {});
  }).catch(() => {});
  loadChat();
  api("GET", `/whatsapp/sessions/${sessionId}`).then(({ session }) => {
    const canWrite = session.rights.canWrite;
    box.disabled = send.disabled = !canWrite;
    box.dataset.canWrite = String(canWrite);
    if (!canWrite) box.placeholder = t("chat.readOnly");
  }).catch(() => {});
  loadPage(null).catch((e) => toast(e.message, "error"));
  const stopList = chatList(side, sessionId, chatId);
  const mine = (d) => d.sessionId === sessionId && d.chatId === chatId;
  const offs = [
    on("whatsapp:message", (d) => mine(d) && upsert(d.message)),
    on("whatsapp:message_sent", (d) => mine(d) && upsert(d.message)),
    on("whatsapp:message_ack", (d) => mine(d) && find({ id: d.messageId }) >= 0 && upsert({ id: d.messageId, status: d.status })),
  ];
  box.focus();
  return () => { stopList(); offs.forEach((off) => off()); };
}
