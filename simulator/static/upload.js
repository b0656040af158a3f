// @ts-check
// The media servers from the page's side: a file that is sent is uploaded first; its id goes with
// the send (WhatsApp Web uploads to its media servers before the message leaves).

/**
 * Upload a file -> its media id.
 * @param {Blob} blob
 * @returns {Promise<string>}
 */
export async function upload(blob) {
  const resp = await fetch('/media/upload', { method: 'POST', body: blob, headers: { 'Content-Type': 'application/octet-stream' } });
  if (!resp.ok) throw new Error(`upload failed: ${resp.status}`);
  return (await resp.json()).mediaId;
}
