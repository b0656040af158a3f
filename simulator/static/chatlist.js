// The virtualized chat list in #pane-side: only the rows in view (plus a little overscan) exist.
// Rows are role="listitem" on the legacy page, role="row" holding a role="gridcell" on 2026's.

import { is2026, listTime, unreadLabel } from './page.js';
import { h } from './util.js';

const ROW_HEIGHT = 72;
const OVERSCAN = 3;
const MAX_ROWS = 25;

export class ChatList {
  constructor(pane, onOpen) {
    this.pane = pane;
    this.onOpen = onOpen;
    this.grid = h('div', { role: 'grid', 'aria-label': 'Chat list', 'aria-rowcount': '0', class: 'chat-grid' });
    pane.append(this.grid);
    this.byId = new Map();
    this.ordered = [];
    this.rows = new Map(); // chat id -> row element currently in the DOM
    this.selected = null;
    this.frame = 0;
    // Render right in the scroll handler (≤ 25 rows is cheap): a script that sets scrollTop and
    // dispatches "scroll" sees the new rows at once.
    pane.addEventListener('scroll', () => this.render(), { passive: true });
    window.addEventListener('resize', () => this.schedule());
  }

  setAll(chats) {
    this.byId = new Map(chats.map((c) => [c.id, c]));
    this.refresh();
  }

  upsert(chat) {
    this.byId.set(chat.id, chat);
    this.refresh();
  }

  get(chatId) {
    return this.byId.get(chatId);
  }

  select(chatId) {
    this.selected = chatId;
    for (const [id, row] of this.rows) row.setAttribute('aria-selected', String(id === chatId));
  }

  refresh() {
    this.ordered = [...this.byId.values()].sort((a, b) => b.activity - a.activity);
    const unreadChats = this.ordered.filter((c) => c.unread > 0).length;
    document.title = unreadChats ? `(${unreadChats}) WhatsApp` : 'WhatsApp';
    this.render();
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.render();
    });
  }

  // Which indexes to materialize: everything visible first, then overscan within the budget.
  window() {
    const total = this.ordered.length;
    const top = this.pane.scrollTop;
    const height = this.pane.clientHeight || ROW_HEIGHT * 10;
    const visFirst = Math.min(total, Math.floor(top / ROW_HEIGHT));
    const visLast = Math.min(total, Math.ceil((top + height) / ROW_HEIGHT), visFirst + MAX_ROWS);
    const spare = Math.max(0, MAX_ROWS - (visLast - visFirst));
    const over = Math.min(OVERSCAN, Math.floor(spare / 2));
    return [Math.max(0, visFirst - over), Math.min(total, visLast + over)];
  }

  render() {
    const total = this.ordered.length;
    this.grid.style.height = `${total * ROW_HEIGHT}px`;
    this.grid.setAttribute('aria-rowcount', String(total));
    const [first, last] = this.window();
    const keep = new Set();
    for (let i = first; i < last; i++) {
      const chat = this.ordered[i];
      keep.add(chat.id);
      let row = this.rows.get(chat.id);
      if (!row) {
        row = h('div', { role: is2026() ? 'row' : 'listitem', class: 'chat-row', tabindex: '-1' });
        row.addEventListener('click', () => this.onOpen(row.chatId));
        this.rows.set(chat.id, row);
        this.grid.append(row);
      }
      fillRow(row, chat, chat.id === this.selected);
      row.style.transform = `translateY(${i * ROW_HEIGHT}px)`;
      row.style.zIndex = String(total - i);
    }
    for (const [id, row] of this.rows) {
      if (!keep.has(id)) {
        row.remove();
        this.rows.delete(id);
      }
    }
  }
}

function fillRow(row, chat, selected) {
  const signature = JSON.stringify([chat.name, chat.preview, chat.ts, chat.unread, chat.isGroup]);
  row.chatId = chat.id; // a JS property: the real list does not show chat ids in the DOM
  row.setAttribute('aria-selected', String(selected));
  if (row.signature === signature) return;
  row.signature = signature;
  const badge = chat.unread > 0
    ? h('div', { class: 'chat-badges' },
      h('span', { class: 'unread-badge', 'aria-label': unreadLabel(chat.unread), text: String(chat.unread) }))
    : null;
  const cells = [
    h('div', { class: 'chat-avatar' },
      h('span', { 'data-icon': chat.isGroup ? 'default-group' : 'default-user' })),
    h('div', { class: 'chat-body' },
      h('div', { class: 'chat-line1' },
        h('span', { dir: 'auto', title: chat.name, class: 'chat-name', text: chat.name }),
        h('div', { class: chat.unread > 0 ? 'chat-time unread' : 'chat-time', text: listTime(chat.ts) })),
      h('div', { class: 'chat-line2' },
        h('span', { dir: 'ltr', title: chat.preview, class: 'preview', text: chat.preview }),
        badge)),
  ];
  if (is2026()) row.replaceChildren(h('div', { role: 'gridcell', 'aria-colindex': '2', class: 'chat-cell' }, ...cells));
  else row.replaceChildren(...cells);
}
