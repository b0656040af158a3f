// Media in message rows, as WhatsApp Web shows them: the thumbnail first (from the message), the
// file once downloaded as a blob: URL (image, sticker, video, the voice-note and audio players, a
// document row with its name, type and size); a failed download offers a retry. And the composer's
// attach menu: hidden file inputs, a preview with a caption box, then upload and send.

import { upload } from './upload.js';
import { h } from './util.js';

export { upload };

const DOC_ICONS = { pdf: 'PDF', doc: 'DOC', docx: 'DOC', xls: 'XLS', xlsx: 'XLS', ppt: 'PPT', pptx: 'PPT', txt: 'TXT' };
export const PHOTO_ACCEPT = 'image/*,video/mp4,video/3gpp,video/quicktime';

export function clock(seconds) {
  const s = Math.max(0, Math.round(seconds || 0));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function fileSize(bytes) {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${Math.round(bytes / 1024)} kB`;
  return `${(bytes / (1024 * 1024)).toFixed(1)} MB`;
}

function docType(m) {
  const ext = (m.fileName || '').split('.').pop().toLowerCase();
  return DOC_ICONS[ext] || ext.toUpperCase() || m.mime.split('/').pop().toUpperCase();
}

// Download the file into a blob: URL and hand it to `use`; on failure, a retry button.
function fetchInto(box, url, use) {
  fetch(url)
    .then((resp) => (resp.ok ? resp.blob() : Promise.reject(new Error(String(resp.status)))))
    .then((blob) => {
      box.querySelector('.media-retry')?.remove();
      use(URL.createObjectURL(blob));
    })
    .catch(() => {
      if (box.querySelector('.media-retry')) return;
      const retry = h('button', { type: 'button', class: 'media-retry', 'aria-label': 'Retry download' },
        h('span', { 'data-icon': 'media-refresh' }), h('span', { text: 'Retry' }));
      retry.addEventListener('click', () => { // a spinner while it downloads again
        retry.remove();
        fetchInto(box, url, use);
      });
      box.append(retry);
    });
}

function picture(m, label) {
  const img = h('img', { alt: '', src: m.thumb ? `data:image/jpeg;base64,${m.thumb}` : null, draggable: 'false' });
  const box = h('div', { role: 'button', 'aria-label': label, class: `media media-${m.kind}` }, img);
  fetchInto(box, m.url, (blob) => { img.src = blob; });
  return box;
}

function video(m) {
  const poster = m.thumb ? `data:image/jpeg;base64,${m.thumb}` : null;
  const player = h('video', { preload: 'none', poster, playsinline: true });
  const box = h('div', { role: 'button', 'aria-label': 'Play video', class: 'media media-video' },
    player,
    h('span', { 'data-icon': 'media-play', class: 'media-play' }),
    h('span', { class: 'media-duration' }, h('span', { 'data-icon': 'msg-video' }),
      h('span', { 'data-testid': 'media-duration', text: clock(m.duration) })));
  fetchInto(box, m.url, (blob) => { player.src = blob; });
  return box;
}

function audio(m) {
  const voice = m.kind === 'ptt';
  const player = h('audio', { preload: 'none' });
  const box = h('div', { class: `media media-audio${voice ? ' media-ptt' : ''}`, 'data-testid': 'audio-player' },
    voice ? h('span', { 'data-icon': 'ptt-status', class: 'ptt-mic' }) : h('span', { 'data-icon': 'audio-file' }),
    h('button', { type: 'button', 'aria-label': voice ? 'Play voice message' : 'Play audio' },
      h('span', { 'data-icon': 'audio-play' })),
    h('div', { class: 'audio-track', role: 'slider', 'aria-valuemin': '0', 'aria-valuemax': String(m.duration || 0), 'aria-valuenow': '0' }),
    h('span', { 'data-testid': 'media-duration', class: 'audio-duration', text: clock(m.duration) }),
    player);
  box.querySelector('button').addEventListener('click', () => player.play().catch(() => {}));
  fetchInto(box, m.url, (blob) => { player.src = blob; });
  return box;
}

function documentRow(m) {
  const type = docType(m);
  const link = h('a', { class: 'doc-link', download: m.fileName || 'file', hidden: true });
  const box = h('div', { role: 'button', class: 'media media-document', title: `Download "${m.fileName}"` },
    h('span', { 'data-icon': `document-${type}-icon`, class: 'doc-icon' }),
    h('div', { class: 'doc-text' },
      h('span', { dir: 'auto', class: 'doc-name', title: m.fileName, text: m.fileName }),
      h('span', { class: 'doc-meta', text: `${type} • ${fileSize(m.size)}` })),
    h('button', { type: 'button', 'aria-label': 'Download' }, h('span', { 'data-icon': 'audio-download' })),
    link);
  box.addEventListener('click', () => link.href && link.click());
  fetchInto(box, m.url, (blob) => { link.href = blob; });
  return box;
}

// The media part of a message row (the caption goes under it, in the text span).
export function mediaBlock(m) {
  switch (m.kind) {
    case 'image': return picture(m, 'Open picture');
    case 'sticker': return picture(m, 'Sticker');
    case 'video': return video(m);
    case 'audio':
    case 'ptt': return audio(m);
    default: return documentRow(m);
  }
}

// The attach menu of the composer: "Photos & videos" and "Document", each a hidden file input.
// `onFile(file, asPhoto)` gets the picked file.
export function attachButton(onFile) {
  const menu = h('div', { class: 'attach-menu', role: 'application', hidden: true });
  const item = (label, icon, accept, asPhoto) => {
    const input = h('input', { type: 'file', accept, style: 'display: none' });
    input.addEventListener('change', () => {
      const file = input.files && input.files[0];
      input.value = '';
      menu.hidden = true;
      if (file) onFile(file, asPhoto);
    });
    const li = h('li', { role: 'button', 'aria-label': label, class: 'attach-item' },
      h('span', { 'data-icon': icon }), h('span', { text: label }), input);
    li.addEventListener('click', (e) => { if (e.target !== input) input.click(); });
    return li;
  };
  menu.append(h('ul', {}, item('Document', 'document-filled', '*', false), item('Photos & videos', 'media-filled', PHOTO_ACCEPT, true)));
  const button = h('div', { role: 'button', title: 'Attach', 'aria-label': 'Attach', class: 'attach-button' },
    h('span', { 'data-icon': 'plus-rounded' }));
  button.addEventListener('click', () => { menu.hidden = !menu.hidden; });
  return h('div', { class: 'attach' }, button, menu);
}

// The preview before a file goes: its name, a caption box and Send.
export function mediaPreview(file, onSend, onCancel) {
  const caption = h('div', {
    contenteditable: 'true', role: 'textbox', class: 'caption-box', 'aria-label': 'Add a caption',
    'aria-placeholder': 'Add a caption', 'data-tab': '11',
  });
  const send = h('div', { role: 'button', 'aria-label': 'Send', class: 'icon-button send' }, h('span', { 'data-icon': 'send' }));
  const close = h('div', { role: 'button', 'aria-label': 'Close', class: 'drawer-close' }, h('span', { 'data-icon': 'x' }));
  const panel = h('div', { class: 'media-editor', 'data-testid': 'media-editor' },
    close,
    h('div', { class: 'media-editor-file', text: `${file.name} · ${fileSize(file.size)}` }),
    h('div', { class: 'compose-wrap' }, caption),
    send);
  send.addEventListener('click', () => onSend(caption.innerText.replace(/\u00a0/g, ' ').trim()));
  caption.addEventListener('keydown', (e) => {
    if (e.key === 'Enter' && !e.shiftKey) { e.preventDefault(); onSend(caption.innerText.trim()); }
  });
  close.addEventListener('click', onCancel);
  setTimeout(() => caption.focus(), 0);
  return panel;
}

// The kind WhatsApp sends a picked file as: the photo input sends pictures and videos as such,
// the document input sends everything as a document (audio files as audio).
export function kindOf(file, asPhoto) {
  const type = file.type || 'application/octet-stream';
  if (asPhoto && type.startsWith('image/')) return 'image';
  if (asPhoto && type.startsWith('video/')) return 'video';
  if (type.startsWith('audio/')) return 'audio';
  return 'document';
}
