// A conversation's messages, keyed: each bubble is built once and afterwards only its changed parts
// are touched (a tick, an error), so new messages and acks never rebuild the list. Days are set
// apart by separators, runs of one sender are grouped, a divider marks where the unread begin, and
// a button jumps back to the newest messages with the count of those arrived meanwhile. A media
// message shows its file (media.js) with its caption under it.
import { h } from "./dom.js";
import { icon } from "./icons.js";
import { t } from "./i18n.js";
import { reconcile } from "./keyed.js";
import { renderMedia } from "./media.js";
import { dayKey, dayLabel, fullTime, shortTime } from "./time.js";

const GROUP_MS = 5 * 60 * 1000;
const NEAR_BOTTOM_PX = 80;
const NEAR_TOP_PX = 300;
// 'unconfirmed': typed on WhatsApp Web, its row not seen yet (becomes 'sent' when it appears)
const RANK = { pending: 0, failed: 0, unconfirmed: 1, sent: 2, delivered: 3, read: 4 };
const TICK_ICON = {
  pending: "clock",
  unconfirmed: "clock",
  sent: "check",
  delivered: "dblcheck",
  read: "dblcheck",
  failed: "alert",
};

const when = (m) => m.timestamp || m.createdAt;
export const keyOf = (m) => (m.clientMessageId ? `c:${m.clientMessageId}` : `m:${m.id}`);

function tick(status) {
  return h(
    "span",
    { class: `tick tick-${status}`, "data-testid": "msg-status", "data-status": status, title: t(`status.${status}`) },
    icon(TICK_ICON[status] || "clock", t(`status.${status}`)),
  );
}

/**
 * @param {{onRetry: (m: object) => void, onOlder: () => void, isGroup: boolean, sessionId: string}} opts
 */
export function messageList({ onRetry, onOlder, isGroup = false, sessionId }) {
  const messages = []; // oldest first
  let dividerBefore = null; // key of the first unread message
  let unseen = 0;
  const list = h("ol", { class: "messages", "data-testid": "messages" });
  const older = h(
    "button",
    { type: "button", class: "link older", "data-testid": "load-older", hidden: true },
    t("chat.older"),
  );
  const scroller = h(
    "div",
    { class: "scroller", role: "log", tabindex: 0, "aria-label": t("chat.messages"), "data-testid": "scroller" },
    older,
    list,
  );
  const jumpCount = h("span", { class: "jump-count", "data-testid": "jump-count", hidden: true });
  const jump = h(
    "button",
    {
      type: "button",
      class: "jump icon-button",
      "data-testid": "jump-bottom",
      hidden: true,
      "aria-label": t("chat.jump"),
    },
    icon("down"),
    jumpCount,
  );
  const root = h("div", { class: "message-pane" }, scroller, jump);

  const atBottom = () => scroller.scrollHeight - scroller.scrollTop - scroller.clientHeight < NEAR_BOTTOM_PX;
  const toBottom = () => {
    scroller.scrollTop = scroller.scrollHeight;
    unseen = 0;
    showJump();
  };
  function showJump() {
    jump.hidden = atBottom();
    jumpCount.hidden = unseen === 0;
    jumpCount.textContent = unseen ? String(unseen) : "";
    jump.setAttribute("aria-label", unseen ? t("chat.jumpCount", { n: unseen }) : t("chat.jump"));
  }

  function createBubble(item) {
    const m = item.m;
    const li = h("li", {
      class: `msg msg-${m.direction}`,
      "data-testid": "message",
      "data-direction": m.direction,
    });
    li.append(
      h("div", { class: "msg-sender" }),
      h("div", { class: "msg-media", "data-testid": "message-media", hidden: true }),
      h("div", { class: "msg-body", "data-testid": "message-body" }, m.body),
      h("div", { class: "msg-meta" }, h("time", {})),
    );
    updateBubble(li, item);
    return li;
  }

  function updateBubble(li, item) {
    const { m, first, last } = item;
    li.__message = m;
    li.classList.toggle("grp-first", first);
    li.classList.toggle("grp-last", last);
    if (m.id && li.dataset.messageId !== m.id) li.dataset.messageId = m.id;
    const sender = li.querySelector(".msg-sender");
    const name = isGroup && m.direction === "in" && first ? m.sender || "" : "";
    if (sender.textContent !== name) sender.textContent = name;
    sender.hidden = !name;
    const holder = li.querySelector(".msg-media");
    holder.hidden = !m.media;
    li.classList.toggle("has-media", Boolean(m.media));
    if (m.media) renderMedia(holder, m, sessionId);
    const body = li.querySelector(".msg-body");
    if (body.textContent !== (m.body || "")) body.textContent = m.body || "";
    body.hidden = Boolean(m.media) && !m.body; // a file without a caption
    const time = li.querySelector("time");
    const iso = when(m) || "";
    if (time.dateTime !== iso) {
      time.dateTime = iso;
      time.textContent = shortTime(iso);
      time.title = fullTime(iso);
    }
    if (m.direction === "out" && li.dataset.status !== m.status) {
      li.dataset.status = m.status;
      const meta = li.querySelector(".msg-meta");
      const old = meta.querySelector(".tick");
      if (old) old.replaceWith(tick(m.status));
      else meta.append(tick(m.status));
    }
    const problem = m.direction === "out" && (m.status === "failed" || m.status === "unconfirmed");
    let note = li.querySelector(".msg-problem");
    if (!problem) {
      if (note) note.remove();
      return;
    }
    const text = m.status === "failed" ? m.error || t("chat.failed") : t("chat.unconfirmed");
    if (!note) {
      note = h(
        "div",
        { class: "msg-problem" },
        h("span", { class: "msg-error", "data-testid": "msg-error" }),
        h(
          "button",
          { type: "button", class: "link retry", "data-testid": "msg-retry", onclick: () => onRetry(li.__message) },
          icon("retry"),
          t("chat.retry"),
        ),
      );
      li.append(note);
    }
    note.querySelector(".msg-error").textContent = text;
    note.querySelector(".retry").hidden = Boolean(m.retried);
  }

  function items() {
    const out = [];
    let prev = null;
    messages.forEach((m, i) => {
      const day = dayKey(when(m));
      if (!prev || dayKey(when(prev)) !== day) out.push({ kind: "day", key: `d:${day}`, iso: when(m) });
      if (dividerBefore === keyOf(m)) out.push({ kind: "divider", key: "divider" });
      const next = messages[i + 1];
      const joins = (a, b) =>
        a &&
        b &&
        a.direction === b.direction &&
        (a.sender || "") === (b.sender || "") &&
        dayKey(when(a)) === dayKey(when(b)) &&
        Math.abs(Date.parse(when(b)) - Date.parse(when(a))) < GROUP_MS &&
        dividerBefore !== keyOf(b);
      out.push({ kind: "msg", key: keyOf(m), m, first: !joins(prev, m), last: !joins(m, next) });
      prev = m;
    });
    return out;
  }

  const create = (item) => {
    if (item.kind === "msg") return createBubble(item);
    if (item.kind === "divider")
      return h("li", { class: "divider", "data-testid": "unread-divider" }, h("span", {}, t("chat.newMessages")));
    return h("li", { class: "day", "data-testid": "day-separator" }, h("span", {}, dayLabel(item.iso)));
  };
  const update = (el, item) => {
    if (item.kind === "msg") updateBubble(el, item);
  };
  const render = () => reconcile(list, items(), (x) => x.key, create, update);

  const find = (m) =>
    messages.findIndex(
      (x) => (m.id && x.id === m.id) || (m.clientMessageId && x.clientMessageId === m.clientMessageId),
    );

  scroller.addEventListener("scroll", () => {
    if (atBottom()) unseen = 0;
    showJump();
    if (scroller.scrollTop < NEAR_TOP_PX && !older.hidden) onOlder();
  });
  jump.addEventListener("click", () => {
    scroller.scrollTo({ top: scroller.scrollHeight, behavior: "smooth" });
    unseen = 0;
    showJump();
  });
  older.addEventListener("click", () => onOlder());

  return {
    root,
    /** The first page (newest first from the API); `unread` inbound ones get the divider. */
    reset(page, unread) {
      messages.splice(0, messages.length, ...[...page].reverse());
      dividerBefore = null;
      if (unread > 0) {
        const inbound = messages.filter((m) => m.direction === "in");
        const firstUnread = inbound[Math.max(0, inbound.length - unread)];
        if (firstUnread) dividerBefore = keyOf(firstUnread);
      }
      render();
      const divider = list.querySelector(".divider");
      if (divider) divider.scrollIntoView({ block: "start" });
      else toBottom();
      showJump();
    },
    /** Older messages (newest first from the API) go on top; the view stays where it was. */
    prepend(page) {
      const fresh = page.filter((m) => find(m) < 0).reverse();
      if (!fresh.length) return;
      const height = scroller.scrollHeight;
      const top = scroller.scrollTop;
      messages.unshift(...fresh);
      render();
      scroller.scrollTop = top + (scroller.scrollHeight - height);
    },
    /** A new or changed message (live event, send result). Own sends scroll to the bottom. */
    upsert(m, { own = false } = {}) {
      const i = find(m);
      const stick = atBottom();
      if (i >= 0) {
        const cur = messages[i];
        const advance = (RANK[m.status] ?? 0) >= (RANK[cur.status] ?? 0) || m.status === "failed";
        messages[i] = advance ? { ...cur, ...m } : { ...m, ...cur, status: cur.status };
        render();
        return;
      }
      messages.push(m);
      messages.sort((a, b) => (Date.parse(when(a)) || 0) - (Date.parse(when(b)) || 0));
      const hidden = document.hidden;
      if (!own && m.direction === "in" && (!stick || hidden) && !dividerBefore) dividerBefore = keyOf(m);
      render();
      if (own || (stick && !hidden)) toBottom();
      else {
        unseen += 1;
        showJump();
      }
    },
    /** A message's media changed (whatsapp:message_media): its file replaces what was shown. */
    setMedia(messageId, media) {
      const i = find({ id: messageId });
      if (i < 0) return false;
      messages[i] = { ...messages[i], media };
      // news of the file ends a retry in progress, whatever it says (ready, unavailable again)
      const holder = list.querySelector(`[data-message-id="${messageId}"] .msg-media`);
      if (holder) delete holder.dataset.retrying;
      render();
      return true;
    },
    has(m) {
      return find(m) >= 0;
    },
    hasMore(more) {
      older.hidden = !more;
    },
    message(key) {
      return messages.find((m) => keyOf(m) === key) || null;
    },
    atBottom,
  };
}
