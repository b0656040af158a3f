// The phone page's logic: polls the control API and calls it when the person clicks.

import { h } from './util.js';

const ACK_TEXT = { pending: 'clock (not sent yet)', sent: '✓ sent', delivered: '✓✓ delivered', read: '✓✓ read', failed: '! failed' };
const view = { account: null, chatId: null, online: true, passkey: false };

async function api(method, path, body) {
  const response = await fetch(`/_sim${path}`, {
    method, headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined,
  });
  const data = await response.json();
  if (!response.ok) throw new Error(data.error ? data.error.message : response.statusText);
  return data;
}

function randomPhone() {
  return '1555' + String(Math.floor(Math.random() * 1e7)).padStart(7, '0');
}

async function refreshDevices() {
  const devices = (await api('GET', '/devices')).filter((d) => d.status === 'pending' && (d.qrRef || d.linkCode));
  const box = document.getElementById('pending');
  const shown = new Map([...box.querySelectorAll('.pending-device')].map((n) => [n.dataset.device, n]));
  if (!devices.length) {
    if (!box.querySelector('.empty')) box.replaceChildren(h('p', { class: 'empty', text: 'No QR code on screen right now.' }));
    return;
  }
  box.querySelector('.empty')?.remove();
  for (const device of devices) {
    let node = shown.get(device.deviceId);
    shown.delete(device.deviceId);
    if (!node) {
      node = pendingDevice(device);
      box.append(node);
    }
    node.ref = device.qrRef;
    node.linkPhone = device.linkPhone;
    node.classList.toggle('by-code', Boolean(device.linkCode));
    const img = node.querySelector('img');
    const src = device.qrRef ? `/_sim/qr.png?data=${encodeURIComponent(device.qrRef)}` : '';
    if (img.getAttribute('src') !== src) img.setAttribute('src', src);
    node.querySelector('.code-hint').textContent = device.linkCode
      ? `The computer asks for a code for +${device.linkPhone}: type the code it shows.` : '';
  }
  for (const gone of shown.values()) gone.remove();
}

function pendingDevice(device) {
  const phone = h('input', { name: 'phone', value: randomPhone(), 'aria-label': 'Phone number' });
  const name = h('input', { name: 'displayName', value: 'Demo Business', 'aria-label': 'Display name' });
  const code = h('input', { name: 'code', placeholder: 'code, e.g. ABCD-EFGH', 'aria-label': 'Pairing code' });
  const status = h('span', { class: 'hint' });
  const act = async (path, body) => {
    try {
      await api('POST', path, body);
      view.account = body.phone.replace(/^\+/, '');
      status.textContent = 'linked (or waiting for the passkey check)';
    } catch (err) {
      status.textContent = err.message;
    }
  };
  const node = h('div', { class: 'pending-device', 'data-testid': 'pending-device' },
    h('img', { alt: 'QR code' }),
    h('div', {},
      h('div', { class: 'row' }, phone, name),
      h('div', { class: 'row' },
        h('button', {
          type: 'button', class: 'link', text: 'Scan (link this device)',
          onclick: () => act('/link', { ref: node.ref, phone: phone.value, displayName: name.value }),
        }), status),
      h('div', { class: 'code-hint hint' }),
      h('div', { class: 'row code-row' }, code,
        h('button', {
          type: 'button', class: 'enter-code', text: 'Enter the code on this phone',
          onclick: () => act('/link-code', { code: code.value, phone: node.linkPhone || phone.value, displayName: name.value }),
        }))));
  node.dataset.device = device.deviceId;
  return node;
}

async function refreshAccounts() {
  const accounts = await api('GET', '/accounts');
  const select = document.getElementById('account');
  const wanted = view.account || select.value || (accounts[0] && accounts[0].phone) || '';
  select.replaceChildren(...accounts.map((a) =>
    h('option', { value: a.phone, text: `${a.displayName} (+${a.phone})`, selected: a.phone === wanted })));
  view.account = accounts.some((a) => a.phone === wanted) ? wanted : null;
  const current = accounts.find((a) => a.phone === view.account);
  view.online = current ? current.online : true;
  view.passkey = current ? current.passkey : false;
  document.getElementById('network').textContent = view.online ? 'Cut network' : 'Restore network';
  document.getElementById('passkey').textContent = view.passkey
    ? 'New devices need a passkey: turn off' : 'Require a passkey for new devices';
  document.getElementById('account-info').textContent = current
    ? `${current.devices.length} linked device(s), ${current.chatCount} chats, network ${current.online ? 'on' : 'CUT'}`
    : 'No linked account yet: link a QR code above.';
}

async function refreshContacts() {
  const box = document.getElementById('contacts');
  if (!view.account) {
    box.replaceChildren();
    return;
  }
  const contacts = await api('GET', `/accounts/${view.account}/contacts`);
  box.textContent = contacts.length
    ? `Contacts: ${contacts.map((c) => `${c.name || '+' + c.phoneJid.split('@')[0]} (${c.phoneJid}, ${c.lid})`).join('; ')}`
    : '';
}

async function refreshChats() {
  const list = document.getElementById('chats');
  if (!view.account) {
    list.replaceChildren();
    return;
  }
  const chats = await api('GET', `/accounts/${view.account}/chats`);
  list.replaceChildren(...chats.slice(0, 100).map((c) => h('li', {
    class: c.chatId === view.chatId ? 'selected' : '',
    onclick: () => selectChat(c),
  }, c.name, c.unreadCount ? h('span', { class: 'badge', text: `${c.unreadCount} unread on the computer` }) : null)));
}

function selectChat(chat) {
  view.chatId = chat.chatId;
  const form = document.getElementById('inbound');
  if (chat.isGroup) {
    form.groupId.value = chat.chatId;
    form.groupName.value = chat.name;
  } else {
    const lid = chat.chatId.endsWith('@lid');
    form.from.value = lid ? chat.chatId : chat.chatId.split('@')[0];
    form.via.value = lid ? 'lid' : 'pn';
    form.name.value = chat.name.startsWith('+') ? '' : chat.name;
    form.groupId.value = form.groupName.value = '';
  }
  document.getElementById('outbound').to.value = chat.chatId;
  refresh();
}

async function refreshMessages() {
  const list = document.getElementById('messages');
  document.getElementById('thread-title').textContent = view.chatId ? `Messages with ${view.chatId}` : 'Messages';
  if (!view.account || !view.chatId) {
    list.replaceChildren();
    return;
  }
  const messages = await api('GET', `/accounts/${view.account}/chats/${encodeURIComponent(view.chatId)}/messages`);
  const nearBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 20;
  list.replaceChildren(...messages.map((m) => h('li', { class: m.fromMe ? 'out' : 'in' },
    m.media ? mediaLine(m) : null,
    m.text ? h('div', { text: m.text }) : null,
    h('div', { class: 'meta' },
      `${m.fromPhone ? 'from this phone' : m.fromMe ? 'from the computer' : m.senderName} · ${new Date(m.ts * 1000).toLocaleTimeString()} · `,
      m.fromMe ? ACK_TEXT[m.ack] : (m.ack === 'read' ? 'read on the computer' : 'delivered to the computer'),
      m.fromMe && ['sent', 'delivered'].includes(m.ack) ? ackButtons(m) : null))));
  if (nearBottom) list.scrollTop = list.scrollHeight;
}

// A message's file: its kind, name and size, and a link to the bytes the contact has.
function mediaLine(m) {
  const f = m.media;
  const label = `📎 ${f.kind}${f.fileName ? ` ${f.fileName}` : ''} · ${f.mime} · ${f.size} bytes`
    + (f.duration ? ` · ${f.duration} s` : '') + (f.failuresLeft ? ` · ${f.failuresLeft} downloads will fail` : '');
  const href = `/_sim/accounts/${view.account}/messages/${encodeURIComponent(m.messageId)}/media`;
  return h('div', { class: 'media-line' }, h('a', { href, target: '_blank', text: label }));
}

const readAsBase64 = (file) => new Promise((resolve, reject) => {
  const reader = new FileReader();
  reader.onload = () => resolve(String(reader.result).split(',')[1] || '');
  reader.onerror = () => reject(reader.error);
  reader.readAsDataURL(file);
});

// A contact sends a file: the picked one, or the simulator's sample of that kind.
async function sendInboundMedia(event) {
  event.preventDefault();
  const form = event.target;
  const contact = document.getElementById('inbound');
  const status = document.getElementById('inbound-media-status');
  if (!view.account || !contact.from.value) {
    status.textContent = 'Link a device first, and fill in the contact above.';
    return;
  }
  const body = { from: contact.from.value, kind: form.kind.value, caption: form.caption.value };
  if (contact.name.value) body.name = contact.name.value;
  if (Number(form.fail.value) > 0) body.failDownloads = Number(form.fail.value);
  const file = form.file.files && form.file.files[0];
  try {
    if (file) {
      body.dataBase64 = await readAsBase64(file);
      body.mime = file.type || 'application/octet-stream';
      body.fileName = file.name;
    }
    const result = await api('POST', `/accounts/${view.account}/inbound-media`, body);
    view.chatId = result.chatId;
    form.caption.value = '';
    status.textContent = `sent (${result.media.size} bytes)`;
    refresh();
  } catch (err) {
    status.textContent = err.message;
  }
}

function ackButtons(m) {
  const set = (ack) => api('POST', `/accounts/${view.account}/ack`, { messageId: m.messageId, ack }).then(refresh);
  return h('span', {},
    m.ack === 'sent' ? h('button', { type: 'button', text: 'mark delivered', onclick: () => set('delivered') }) : null,
    h('button', { type: 'button', text: 'mark read', onclick: () => set('read') }));
}

async function sendInbound(event) {
  event.preventDefault();
  const form = event.target;
  const status = document.getElementById('inbound-status');
  if (!view.account) {
    status.textContent = 'Link a device first.';
    return;
  }
  const body = { from: form.from.value, text: form.text.value, via: form.via.value, idForm: form.idForm.value };
  if (form.name.value) body.name = form.name.value;
  if (form.groupId.value) body.group = { id: form.groupId.value, name: form.groupName.value || undefined };
  try {
    const result = await api('POST', `/accounts/${view.account}/inbound`, body);
    view.chatId = result.chatId;
    document.getElementById('outbound').to.value = result.chatId;
    form.text.value = '';
    status.textContent = 'sent';
    refresh();
  } catch (err) {
    status.textContent = err.message;
  }
}

// The owner writes on the phone: every linked computer shows it as its own message.
async function sendOutbound(event) {
  event.preventDefault();
  const form = event.target;
  const status = document.getElementById('outbound-status');
  try {
    if (!view.account) throw new Error('Link a device first.');
    const result = await api('POST', `/accounts/${view.account}/outbound`, { to: form.to.value, text: form.text.value });
    view.chatId = result.chatId;
    form.text.value = '';
    status.textContent = 'sent';
    refresh();
  } catch (err) {
    status.textContent = err.message;
  }
}

async function accountAction(path, body) {
  if (view.account) await api('POST', `/accounts/${view.account}${path}`, body);
  refresh();
}

let busy = false;
async function refresh() {
  if (busy) return;
  busy = true;
  try {
    await refreshDevices();
    await refreshAccounts();
    await refreshChats();
    await refreshContacts();
    await refreshMessages();
  } catch (err) {
    console.warn(err);
  } finally {
    busy = false;
  }
}

document.getElementById('account').addEventListener('change', (e) => {
  view.account = e.target.value;
  view.chatId = null;
  refresh();
});
document.getElementById('unlink').addEventListener('click', () => accountAction('/unlink'));
document.getElementById('conflict').addEventListener('click', () => accountAction('/conflict'));
document.getElementById('network').addEventListener('click', () => accountAction('/network', { online: !view.online }));
document.getElementById('inbound').addEventListener('submit', sendInbound);
document.getElementById('inbound-media').addEventListener('submit', sendInboundMedia);
document.getElementById('outbound').addEventListener('submit', sendOutbound);
document.getElementById('passkey').addEventListener('click', () => accountAction('/passkey', { on: !view.passkey }));
document.getElementById('dialog').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = event.target;
  const status = document.getElementById('dialog-status');
  const body = { kind: form.kind.value };
  if (form.text.value) body.text = form.text.value;
  if (form.button.value) body.button = form.button.value;
  try {
    if (!view.account) throw new Error('Link a device first.');
    const shown = await api('POST', `/accounts/${view.account}/dialog`, body);
    status.textContent = `shown on ${shown.tabs} open tab(s)`;
  } catch (err) {
    status.textContent = err.message;
  }
});
refresh();
setInterval(refresh, 1000);
