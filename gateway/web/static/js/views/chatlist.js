// The chat list of one session, keyed: search (names, and message text from 2 characters, both on
// the server), "unread first" and "assigned to me" filters, unread badges, live re-ordering.
import { api, auth } from "../api.js";
import { h, toast } from "../dom.js";
import { t } from "../i18n.js";
import { reconcile } from "../keyed.js";
import { messageLine } from "../mediainfo.js";
import { on } from "../socket.js";
import { listTime } from "../time.js";

const PAGE = 50;
const SEARCH_DELAY_MS = 250;
const MIN_TEXT_SEARCH = 2;

function initials(name) {
  const words = (name || "?")
    .replace(/[^\p{L}\p{N} ]/gu, "")
    .trim()
    .split(/\s+/);
  return (words[0] || "?").slice(0, 1).toUpperCase() + (words[1] || "").slice(0, 1).toUpperCase();
}

function chatItem(sessionId, c) {
  const li = h("li", { "data-testid": "chat-item", "data-chat-id": c.id });
  li.append(
    h(
      "a",
      { href: `#/chats/${sessionId}/${c.id}`, class: "chat-link" },
      h("span", { class: "avatar", "aria-hidden": "true" }),
      h("span", { class: "chat-name", "data-testid": "chat-name" }),
      h("span", { class: "chat-time" }),
      h("span", { class: "chat-preview" }),
      h("span", { class: "chat-flags" }),
    ),
  );
  updateChatItem(li, c);
  return li;
}

function updateChatItem(li, c) {
  const sig = [c.name, c.lastMessageAt, c.lastMessagePreview, c.unreadCount, c.assignedManagerId].join("\u0001");
  if (li.__sig === sig) return;
  li.__sig = sig;
  const name = c.name || (c.phoneJid ? `+${c.phoneJid.split("@")[0]}` : c.waChatId);
  li.querySelector(".avatar").textContent = initials(name);
  li.querySelector(".chat-name").textContent = name;
  const time = li.querySelector(".chat-time");
  time.textContent = listTime(c.lastMessageAt);
  li.querySelector(".chat-preview").textContent = c.lastMessagePreview || "";
  const flags = li.querySelector(".chat-flags");
  flags.replaceChildren();
  const mine = auth.user && c.assignedManagerId === auth.user.id;
  if (mine) flags.append(h("span", { class: "mine", "data-testid": "chat-mine" }, t("chats.mineTag")));
  if (c.unreadCount > 0) {
    flags.append(
      h(
        "span",
        { class: "unread", "data-testid": "chat-unread", "aria-label": t("chats.unreadLabel", { n: c.unreadCount }) },
        c.unreadCount,
      ),
    );
  }
  li.classList.toggle("has-unread", c.unreadCount > 0);
}

function hitItem(sessionId, hit) {
  const m = hit.message;
  return h(
    "li",
    { "data-testid": "message-hit", "data-chat-id": m.chatId, "data-message-id": m.id },
    h(
      "a",
      { href: `#/chats/${sessionId}/${m.chatId}`, class: "chat-link" },
      h("span", { class: "avatar", "aria-hidden": "true" }, initials(hit.chatName)),
      h("span", { class: "chat-name" }, hit.chatName),
      h("span", { class: "chat-time" }, listTime(m.timestamp || m.createdAt)),
      h("span", { class: "chat-preview" }, messageLine(m)),
    ),
  );
}

/**
 * Render the list into `root`.
 * @returns {{cleanup: () => void, setActive: (chatId: string | null) => void}}
 */
export function chatList(root, { sessionId, user, activeChatId, title }) {
  let chats = [];
  let total = 0;
  let page = 1;
  let search = "";
  let unreadFirst = false;
  let mineOnly = false;
  let active = activeChatId;
  let ticket = 0;

  const heading = h("h1", { class: "list-title" }, t("chats.title"));
  title
    .then((name) => name && heading.append(h("span", { class: "muted session-name" }, ` · ${name}`)))
    .catch(() => {});
  const input = h("input", {
    type: "search",
    id: "chat-search",
    "data-testid": "chat-search",
    placeholder: t("chats.search"),
    "aria-label": t("chats.search"),
    autocomplete: "off",
    enterkeyhint: "search",
  });
  const chip = (testid, key, pressed) =>
    h("button", { type: "button", class: "chip", "data-testid": testid, "aria-pressed": String(pressed) }, t(key));
  const unreadChip = chip("filter-unread", "chats.unreadFirst", false);
  const mineChip = user.role === "manager" ? chip("filter-mine", "chats.mine", false) : null;
  const list = h("ul", { class: "chatlist", "data-testid": "chat-list", "aria-label": t("chats.title") });
  const empty = h("p", { class: "muted empty", "data-testid": "chats-empty", hidden: true }, t("chats.empty"));
  const more = h(
    "button",
    { type: "button", class: "link more", "data-testid": "chats-more", hidden: true },
    t("chats.more"),
  );
  const hitsTitle = h("h2", { class: "hits-title" }, t("chats.messagesFound"));
  const hits = h("ul", { class: "chatlist hits", "data-testid": "message-hits", "aria-labelledby": "hits-title" });
  hitsTitle.id = "hits-title";
  const hitsBox = h("div", { class: "hits-box", hidden: true }, hitsTitle, hits);
  const scroller = h(
    "div",
    { class: "list-scroller", tabindex: 0, "aria-label": t("chats.title") },
    list,
    empty,
    more,
    hitsBox,
  );
  root.replaceChildren(
    h(
      "div",
      { class: "list-head" },
      heading,
      input,
      h("div", { class: "chips", role: "group", "aria-label": t("chats.filters") }, unreadChip, mineChip),
    ),
    scroller,
  );

  const sorted = () => {
    const byTime = (a, b) => (Date.parse(b.lastMessageAt) || 0) - (Date.parse(a.lastMessageAt) || 0);
    return [...chats].sort((a, b) => (unreadFirst ? (b.unreadCount > 0) - (a.unreadCount > 0) : 0) || byTime(a, b));
  };
  const render = () => {
    const shown = sorted();
    reconcile(
      list,
      shown,
      (c) => c.id,
      (c) => chatItem(sessionId, c),
      updateChatItem,
    );
    for (const li of list.children) {
      const current = li.dataset.chatId === active;
      li.classList.toggle("active", current);
      const link = li.firstElementChild;
      if (current) link.setAttribute("aria-current", "true");
      else link.removeAttribute("aria-current");
    }
    empty.hidden = shown.length > 0;
    more.hidden = chats.length >= total;
  };
  const query = (p) => {
    const q = new URLSearchParams({ limit: String(PAGE), page: String(p) });
    if (search) q.set("search", search);
    if (unreadFirst) q.set("order", "unread");
    if (mineOnly) q.set("assigned", "me");
    return q;
  };
  const load = async (p = 1) => {
    const mine = ++ticket;
    try {
      const data = await api("GET", `/whatsapp/sessions/${sessionId}/chats?${query(p)}`);
      if (mine !== ticket) return;
      chats = p === 1 ? data.chats : [...chats, ...data.chats.filter((c) => !chats.some((x) => x.id === c.id))];
      total = data.pagination.total;
      page = p;
      render();
    } catch (err) {
      toast(err.message, "error");
    }
  };
  const searchMessages = async () => {
    if (search.length < MIN_TEXT_SEARCH) {
      hitsBox.hidden = true;
      return;
    }
    const mine = ticket;
    try {
      const data = await api(
        "GET",
        `/whatsapp/sessions/${sessionId}/messages?${new URLSearchParams({ search, limit: "30" })}`,
      );
      if (mine !== ticket) return;
      hits.replaceChildren(...data.hits.map((hit) => hitItem(sessionId, hit)));
      hitsBox.hidden = data.hits.length === 0;
    } catch (err) {
      toast(err.message, "error");
    }
  };

  let timer = 0;
  input.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      search = input.value.trim();
      load(1).then(searchMessages);
    }, SEARCH_DELAY_MS);
  });
  unreadChip.addEventListener("click", () => {
    unreadFirst = !unreadFirst;
    unreadChip.setAttribute("aria-pressed", String(unreadFirst));
    load(1);
  });
  if (mineChip) {
    mineChip.addEventListener("click", () => {
      mineOnly = !mineOnly;
      mineChip.setAttribute("aria-pressed", String(mineOnly));
      load(1);
    });
  }
  more.addEventListener("click", () => load(page + 1));
  load(1);

  const offs = [
    on("whatsapp:chat_updated", (d) => {
      if (d.sessionId !== sessionId) return;
      const i = chats.findIndex((c) => c.id === d.chat.id);
      const fits = !mineOnly || (user && d.chat.assignedManagerId === user.id);
      if (i >= 0 && fits) chats[i] = d.chat;
      else if (i >= 0) chats.splice(i, 1);
      else if (!search && fits) {
        chats.push(d.chat);
        total += 1;
      }
      render();
    }),
    on("whatsapp:message", (d) => {
      if (d.sessionId === sessionId && !search && !chats.some((c) => c.id === d.chatId)) load(1);
    }),
    on("socket:resync", () => load(1)),
  ];
  return {
    cleanup() {
      clearTimeout(timer);
      offs.forEach((off) => off());
    },
    setActive(chatId) {
      active = chatId;
      render();
    },
  };
}
