// Signed links to a message's file (POST .../media/link): <img>, <video>, <audio> and downloads
// cannot send the bearer token, so they get a short-lived link instead, and the token never goes
// into a URL. A link is reused while it has time left and asked for again when it runs out.
import { api } from "./api.js";

const MARGIN_MS = 20_000; // a link this close to its end is not handed out any more
const links = new Map(); // messageId -> Promise<{url, until}>

async function fetchLink(sessionId, messageId) {
  const data = await api("POST", `/whatsapp/sessions/${sessionId}/messages/${messageId}/media/link`);
  const until = Date.parse(data.expiresAt) || Date.now() + 60_000;
  return { url: data.url, until };
}

/** A URL the browser may load the file from now; `fresh` asks for a new one (the old failed). */
export async function mediaLink(sessionId, messageId, { fresh = false } = {}) {
  const cached = links.get(messageId);
  if (cached && !fresh) {
    try {
      const link = await cached;
      if (link.until - Date.now() > MARGIN_MS) return link.url;
    } catch {
      // asked again below
    }
  }
  const pending = fetchLink(sessionId, messageId);
  links.set(messageId, pending);
  pending.catch(() => links.get(messageId) === pending && links.delete(messageId));
  return (await pending).url;
}

/** Forget a message's link (its file changed: downloaded again, expired). */
export function forgetLink(messageId) {
  links.delete(messageId);
}
