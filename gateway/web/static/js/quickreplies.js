// The company's quick replies for the composer: fetched once per page load (and again after an
// admin changes them), matched against what follows "/".
import { api } from "./api.js";
import { getLang } from "./i18n.js";

let cached = null;

/** All replies, the UI language's first. */
export async function quickReplies() {
  if (!cached) {
    cached = api("GET", "/quick-replies")
      .then((d) => d.quickReplies)
      .catch((err) => {
        cached = null;
        throw err;
      });
  }
  const all = await cached;
  const lang = getLang();
  const rank = (r) => (r.lang === lang ? 0 : r.lang ? 2 : 1);
  return [...all].sort((a, b) => rank(a) - rank(b));
}

export function forgetQuickReplies() {
  cached = null;
}

/** Replies whose shortcut starts with `typed` (any case), then those containing it anywhere. */
export function matching(replies, typed) {
  const q = typed.toLocaleLowerCase();
  const starts = replies.filter((r) => r.shortcut.toLocaleLowerCase().startsWith(q));
  const within = replies.filter(
    (r) =>
      !starts.includes(r) && (r.shortcut.toLocaleLowerCase().includes(q) || r.body.toLocaleLowerCase().includes(q)),
  );
  return [...starts, ...within];
}
