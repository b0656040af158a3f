// The inbox of one session: the chat list and the open conversation side by side on a wide
// screen; on a phone one at a time (list -> conversation -> back). Opening another chat keeps the
// list as it is and only swaps the conversation.
import { api } from "../api.js";
import { h } from "../dom.js";
import { t } from "../i18n.js";
import { chatList } from "./chatlist.js";
import { conversation } from "./conversation.js";

export default function inbox(root, { params: [sessionId, chatId], user }) {
  const session = api("GET", `/whatsapp/sessions/${sessionId}`).then((d) => d.session);
  const listPane = h("div", { class: "pane pane-list", "data-testid": "pane-list" });
  const chatPane = h("div", { class: "pane pane-chat", "data-testid": "pane-chat" });
  const layout = h("div", { class: "inbox", "data-testid": "inbox" }, listPane, chatPane);
  root.append(layout);
  const list = chatList(listPane, {
    sessionId,
    user,
    activeChatId: chatId || null,
    title: session.then((s) => s.name),
  });
  let closeChat = null;

  const open = (id) => {
    if (closeChat) closeChat();
    closeChat = null;
    layout.dataset.open = String(Boolean(id));
    root.dataset.view = id ? "conversation" : "chats";
    list.setActive(id || null);
    if (id) closeChat = conversation(chatPane, { sessionId, chatId: id, session, user });
    else
      chatPane.replaceChildren(
        h("div", { class: "placeholder muted", "data-testid": "chat-placeholder" }, t("chats.pick")),
      );
  };
  open(chatId);
  session.catch((err) => {
    if (err.status === 404) location.hash = "#/sessions"; // not (or no longer) visible to this user
  });

  return {
    cleanup() {
      if (closeChat) closeChat();
      list.cleanup();
    },
    /** Another chat of the same session: swap the conversation, keep the list. */
    update([nextSession, nextChat]) {
      if (nextSession !== sessionId) return false;
      open(nextChat);
      if (!nextChat) {
        const link = listPane.querySelector(`[data-chat-id="${chatId}"] a`) || listPane.querySelector("h1");
        if (link) link.focus({ preventScroll: true });
      }
      chatId = nextChat;
      return true;
    },
  };
}
