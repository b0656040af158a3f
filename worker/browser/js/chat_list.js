// Walk the virtualized chat list from the top, collecting rows until arguments[2] names are seen
// or the end is reached. If arguments[3] is a name, stop at that row and return it for clicking.
// arguments[0]: the selector table; chatRowInfo comes from chat_row.js.
const S = arguments[0];
const limit = arguments[2];
const target = arguments[3];
const pane = document.querySelector(S.paneSide);
if (!pane) return { chats: [], found: null };
const seen = new Map();
let found = null;
// a virtualized list draws rows in its scroll handler, and setting scrollTop fires "scroll" only
// at the next frame: dispatch it now, so this synchronous walk never reads rows of another place
const scrollTo = (top) => { pane.scrollTop = top; pane.dispatchEvent(new Event("scroll")); };
scrollTo(0);
for (let guard = 0; guard < 500; guard++) {
  for (const row of pane.querySelectorAll(S.chatRow)) {
    const info = chatRowInfo(S, row);
    if (!info) continue;
    if (target !== null && info.name === target) { found = row; break; }
    if (!seen.has(info.name)) seen.set(info.name, info);
  }
  if (found || (target === null && seen.size >= limit)) break;
  const before = pane.scrollTop;
  scrollTo(before + Math.max(pane.clientHeight * 0.8, 200));
  if (pane.scrollTop === before) break;
}
if (found) found.scrollIntoView({ block: "center" });
return { chats: Array.from(seen.values()).slice(0, limit), found };
