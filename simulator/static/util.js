// Small DOM and formatting helpers shared by the page's modules.

export function h(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') node.className = value;
    else if (key === 'text') node.textContent = value;
    else if (key.startsWith('on')) node.addEventListener(key.slice(2), value);
    else node.setAttribute(key, value === true ? '' : String(value));
  }
  for (const child of children) if (child !== null && child !== undefined) node.append(child);
  return node;
}

// A 20-character upper-case hex message id, like WhatsApp Web's own ("3EB0…").
export function newMsgId() {
  const bytes = crypto.getRandomValues(new Uint8Array(8));
  return '3EB0' + Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('').toUpperCase();
}

// ack -> [data-icon, aria-label] of the tick icon on an outgoing message.
export const ACK_ICONS = {
  pending: ['msg-time', ' Pending '],
  sent: ['msg-check', ' Sent '],
  delivered: ['msg-dblcheck', 'Delivered'],
  read: ['msg-dblcheck', 'Read'],
  failed: ['msg-failed', 'Failed'],
};

export function ackIcon(ack) {
  const [icon, label] = ACK_ICONS[ack] || ACK_ICONS.pending;
  return h('span', { 'data-icon': icon, 'aria-label': label, class: `ack ack-${ack}` });
}
