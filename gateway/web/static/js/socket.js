// Socket.IO connection to /whatsapp (websocket transport, JWT in auth.token) and a small event bus.
// Every server event is passed on by name (the server's list lives in gateway/realtime/payloads.py).

const listeners = new Map();
let socket = null;

/** Subscribe to a socket event; returns the unsubscribe function. */
export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  return () => listeners.get(name).delete(fn);
}

function emit(name, data) {
  for (const fn of listeners.get(name) || []) {
    try { fn(data); } catch (err) { console.error(name, err); }
  }
}

function setIndicator(state) {
  const el = document.getElementById("conn");
  el.dataset.state = state;
  el.title = state;
}

export function connect(token) {
  disconnect();
  if (!window.io) return;
  socket = window.io("/whatsapp", {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: { token },
  });
  window.__waSocket = socket; // read by the browser tests (transport name)
  socket.on("connect", () => setIndicator("on"));
  socket.on("disconnect", () => setIndicator("off"));
  socket.on("connect_error", () => setIndicator("error"));
  socket.onAny((name, data) => emit(name, data));
}

export function disconnect() {
  if (socket) socket.disconnect();
  socket = null;
  window.__waSocket = null;
  setIndicator("off");
}
