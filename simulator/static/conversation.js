// #main: the open chat (header, message rows with acks), the compose footer, the info drawer.

import { drawer, is2026, page, prePlainText, timeOf } from './page.js';
import { attachButton, kindOf, mediaBlock, mediaPreview, upload } from './media.js';
import { ackIcon, h, newMsgId } from './util.js';

export class Conversation {
  // ctx: { send(frame), me(), slot (element #main goes into), onOpened(chatId) }
  constructor(ctx) {
    this.ctx = ctx;
    this.chatId = null;
    this.isGroup = false;
    this.rows = new Map(); // data-id -> row element
    this.opening = null; // { chatId, draft } until the server answers with the messages
    this.main = null;
    this.info = null; // what the Contact info / Group info drawer shows
    this.deferred = new Map(); // data-id -> own message whose row shows late (outgoingRowDelayMs)
  }

  open(chatId, draft = null) {
    this.opening = { chatId, draft };
    this.ctx.send({ type: 'open', chatId });
  }

  close() {
    if (!this.main) return;
    this.ctx.send({ type: 'close' });
    this.chatId = null;
    this.main = null;
    this.rows.clear();
    this.ctx.showIntro();
  }

  // The server's answer to "open" (or a resync of the open chat).
  onMessages(frame) {
    if (this.opening && this.opening.chatId === frame.chatId) {
      const { draft } = this.opening;
      this.opening = null;
      this.info = frame.info || null;
      this.render(frame.chatId, frame.name, frame.messages);
      if (draft) this.setDraft(draft);
    } else if (this.chatId === frame.chatId) {
      this.info = frame.info || this.info;
      this.reconcile(frame.messages);
    }
  }

  render(chatId, name, messages) {
    this.chatId = chatId;
    this.isGroup = chatId.endsWith('@g.us');
    this.rows.clear();
    this.list = h('div', { class: 'message-list', role: 'application', 'aria-label': 'Message list' });
    this.panel = h('div', { class: 'conversation-panel', tabindex: '-1' }, this.list);
    this.box = h('div', {
      contenteditable: 'true', role: 'textbox', 'data-tab': '10', spellcheck: 'true', dir: 'ltr',
      class: 'compose-box', title: 'Type a message', 'aria-label': 'Type a message',
      'aria-placeholder': 'Type a message',
    });
    this.box.addEventListener('keydown', (e) => this.onKey(e));
    this.box.addEventListener('paste', (e) => this.onPaste(e));
    this.box.addEventListener('input', () => this.updateButton());
    this.buttonSlot = h('div', { class: 'compose-button' });
    const header = h('header', { class: 'main-header' },
      h('div', { class: 'chat-avatar' },
        h('span', { 'data-icon': this.isGroup ? 'default-group' : 'default-user' })),
      h('div', { class: 'main-title' }, h('span', { dir: 'auto', title: name, text: name })));
    if (is2026()) header.addEventListener('click', () => this.showInfo(name));
    this.main = h('div', { id: 'main', class: 'main' },
      header,
      this.panel,
      h('footer', { class: 'main-footer' },
        attachButton((file, asPhoto) => this.pickFile(file, asPhoto)),
        h('div', { class: 'compose-wrap' }, this.box), this.buttonSlot));
    this.ctx.slot.replaceChildren(this.main);
    this.reconcile(messages);
    this.updateButton();
    this.box.focus();
    this.ctx.onOpened(chatId);
  }

  // 2026: clicking the header opens "Contact info" (or "Group info") beside the chat.
  showInfo(name) {
    if (!this.main || this.ctx.slot.querySelector('.drawer')) return;
    const info = this.info || {};
    const label = info.group ? 'Group info' : 'Contact info';
    const detail = info.group
      ? `Group · ${info.members} members`
      : (info.phone || '');
    this.ctx.slot.append(drawer(label, 'Close', null,
      h('div', { class: 'drawer-avatar' }),
      h('span', { dir: 'auto', title: name, class: 'drawer-name', text: name }),
      detail ? h('span', { dir: 'auto', class: 'drawer-detail', text: detail }) : null));
  }

  // Add rows we do not have yet, refresh the ticks of those we have.
  reconcile(messages) {
    let added = false;
    for (const m of messages) {
      if (this.deferred.has(m.id)) { // a row that shows late: keep its newest state for then
        this.deferred.set(m.id, { ...this.deferred.get(m.id), ack: m.ack });
        continue;
      }
      const row = this.rows.get(m.id);
      if (row) {
        this.updateAck(row, m.ack);
      } else if (m.chatId === this.chatId) {
        const fresh = this.messageRow(m);
        this.rows.set(m.id, fresh);
        this.list.append(fresh);
        added = true;
      }
    }
    if (added) this.panel.scrollTop = this.panel.scrollHeight;
  }

  setAck(id, ack) {
    if (this.deferred.has(id)) this.deferred.set(id, { ...this.deferred.get(id), ack });
    const row = this.rows.get(id);
    if (row) this.updateAck(row, ack);
  }

  updateAck(row, ack) {
    const icon = row.querySelector('span[data-icon^="msg-"]');
    if (icon) icon.replaceWith(ackIcon(ack));
  }

  messageRow(m) {
    const pre = prePlainText(m.ts, m.author);
    const author = this.isGroup && !m.fromMe
      ? h('div', { class: 'msg-author' }, h('span', { dir: 'auto', text: m.author }))
      : null;
    // The text span: legacy span.selectable-text; 2026 only span[data-testid="selectable-text"].
    // a media message: the file above, its caption (if any) in the text span under it
    const textSpan = m.media && !m.text ? null : is2026()
      ? h('span', { dir: 'ltr', 'data-testid': 'selectable-text', class: 'msg-span' }, h('span', { text: m.text }))
      : h('span', { dir: 'ltr', class: 'selectable-text copyable-text' }, h('span', { text: m.text }));
    return h('div', { role: 'row', class: 'msg-row' },
      h('div', { 'data-id': m.id, class: `${m.fromMe ? 'message-out' : 'message-in'} focusable-list-item`, tabindex: '-1' },
        h('div', { class: 'bubble' },
          author,
          m.media ? mediaBlock(m.media) : null,
          h('div', { class: 'copyable-text', 'data-pre-plain-text': pre },
            textSpan ? h('div', { class: 'msg-text' }, textSpan) : null),
          h('div', { class: 'msg-meta' },
            h('span', { class: 'msg-clock', text: timeOf(m.ts) }),
            m.fromMe ? ackIcon(m.ack) : null))));
  }

  onKey(e) {
    if (e.key !== 'Enter' || e.isComposing) return;
    e.preventDefault();
    if (e.shiftKey) document.execCommand('insertLineBreak');
    else this.sendNow();
  }

  onPaste(e) {
    const text = e.clipboardData ? e.clipboardData.getData('text/plain') : '';
    e.preventDefault();
    if (text) document.execCommand('insertText', false, text);
  }

  composeText() {
    return this.box.innerText.replace(/\u00a0/g, ' ').trim();
  }

  setDraft(text) {
    this.box.focus();
    document.execCommand('selectAll');
    document.execCommand('insertText', false, text);
    this.updateButton();
  }

  // WhatsApp shows "Send" only while there is text; otherwise the voice-message button.
  updateButton() {
    const hasText = this.composeText().length > 0;
    const current = this.buttonSlot.firstElementChild;
    if (current && (current.getAttribute('aria-label') === 'Send') === hasText) return;
    const button = hasText
      ? h('button', { type: 'button', 'aria-label': 'Send', class: 'icon-button send' }, h('span', { 'data-icon': 'send' }))
      : h('button', { type: 'button', 'aria-label': 'Voice message', class: 'icon-button' }, h('span', { 'data-icon': 'ptt' }));
    if (hasText) button.addEventListener('click', () => this.sendNow());
    this.buttonSlot.replaceChildren(button);
  }

  // outgoingRowDelayMs: the message leaves at once, its row joins the list later.
  showLate(local, delayMs) {
    this.deferred.set(local.id, local);
    setTimeout(() => {
      const latest = this.deferred.get(local.id);
      this.deferred.delete(local.id);
      if (latest && latest.chatId === this.chatId) this.reconcile([latest]);
    }, delayMs);
  }

  // An own message leaves (typed here, or sent through WPP): its row shows at once with a clock,
  // or outgoingRowDelayMs later. Other chats show it when opened.
  showOwn(chatId, msgId, text, media = null) {
    if (!this.main || chatId !== this.chatId) return;
    const local = {
      id: is2026() ? msgId : `true_${chatId}_${msgId}`, chatId, fromMe: true,
      author: this.ctx.me().name, text, ts: Math.floor(Date.now() / 1000), ack: 'pending', media,
    };
    if (page.rowDelayMs > 0) this.showLate(local, page.rowDelayMs);
    else this.reconcile([local]);
  }

  // A file picked in the attach menu: its preview with a caption box replaces the chat until
  // Send (or Close).
  pickFile(file, asPhoto) {
    if (!this.main) return;
    const chatId = this.chatId;
    // read at once, as WhatsApp Web's editor does (the picked file may be gone by Send)
    const read = file.arrayBuffer().then((bytes) => new File([bytes], file.name, { type: file.type }));
    const editor = mediaPreview(file, (caption) => {
      editor.remove();
      this.panel.hidden = false;
      read.then((copy) => this.sendFile(chatId, copy, kindOf(copy, asPhoto), caption));
    }, () => {
      editor.remove();
      this.panel.hidden = false;
    });
    this.panel.hidden = true;
    this.panel.after(editor);
  }

  async sendFile(chatId, file, kind, caption) {
    const msgId = newMsgId();
    const mime = file.type || 'application/octet-stream';
    const local = { kind, mime, size: file.size, fileName: file.name, duration: null, thumb: null, url: URL.createObjectURL(file) };
    this.showOwn(chatId, msgId, caption, local);
    const mediaId = await upload(file);
    this.ctx.send({ type: 'send', chatId, id: msgId, text: caption, media: { mediaId, kind, mime, fileName: file.name } });
  }

  sendNow() {
    const text = this.composeText();
    if (!text || !this.chatId) return;
    const msgId = newMsgId();
    this.showOwn(this.chatId, msgId, text);
    this.box.replaceChildren();
    this.updateButton();
    this.ctx.send({ type: 'send', chatId: this.chatId, id: msgId, text });
  }
}
