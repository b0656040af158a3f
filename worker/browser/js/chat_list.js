// Walk the virtualized chat list from the top, collecting rows until arguments[0] names are seen
// or the end is reached. If arguments[1] is a name, stop at that row and return it for clicking.
const limit = arguments[0];
const target = arguments[1];
const pane = document.querySelector("#pane-side");
if (!pane) return { chats: [], found: null };
const seen = new Map();
let found = null;
pane.scrollTop = 0;
for (let guard = 0; guard < 500; guard++) {
  for (const row of pane.querySelectorAll('[role="listitem"]')) {
    const title = row.querySelector("span[title]");
    if (!title) continue;
    const name = title.getAttribute("title");
    if (target !== null && name === target) { found = row; break; }
    if (seen.has(name)) continue;
    const badge = row.querySelector('span[aria-label$="unread message"], span[aria-label$="unread messages"]');
    const spans = Array.from(row.querySelectorAll("span[title]"));
    seen.set(name, {
      name,
      preview: spans.length > 1 ? spans[spans.length - 1].getAttribute("title") : null,
      unread: badge ? parseInt(badge.innerText, 10) || 1 : 0,
    });
  }
  if (found || (target === null && seen.size >= limit)) break;
  const before = pane.scrollTop;
  pane.scrollTop = before + Math.max(pane.clientHeight * 0.8, 200);
  pane.dispatchEvent(new Event("scroll"));
  if (pane.scrollTop === before) break;
}
if (found) found.scrollIntoView({ block: "center" });
return { chats: Array.from(seen.values()).slice(0, limit), found };
