// Shared by snapshot.js and chat_list.js (prepended to them): what one chat-list row shows.
// Unread badges are returned raw ({label, text}) and read in Python, without English labels.
function chatRowInfo(S, row) {
  const title = row.querySelector(S.chatName);
  if (!title) return null;
  const titles = Array.from(row.querySelectorAll(S.chatTitles));
  const badges = [];
  for (const span of row.querySelectorAll(S.badge)) {
    const label = span.getAttribute("aria-label") || "";
    const text = (span.innerText || "").trim();
    if (/\d/.test(label) || /^\d+$/.test(text)) badges.push({ label, text });
  }
  return {
    name: title.getAttribute("title"),
    preview: titles.length > 1 ? titles[titles.length - 1].getAttribute("title") : null,
    badges,
  };
}
