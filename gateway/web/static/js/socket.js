// Socket.IO connection to /whatsapp (websocket transport, JWT in auth.token) and a small event bus.
// Every server event is passed on by name (the server's list lives in gateway/realtime/payloads.py);
// the bus also carries "socket:state" (connecting | on | reconnecting | off) and "socket:resync"
// (connected again after a break: views reload what they may have missed).

const listeners = new Map();
let socket = null;
let state = "off";

/** Subscribe to a socket event; returns the unsubscribe function. */
export function on(name, fn) {
  if (!listeners.has(name)) listeners.set(name, new Set());
  listeners.get(name).add(fn);
  return () => listeners.get(name).delete(fn);
}

function emit(name, data) {
  for (const fn of listeners.get(name) || []) {
    try {
      fn(data);
    } catch (err) {
      console.error(name, err);
    }
  }
}

export function socketState() {
  return state;
}

function setState(next) {
  state = next;
  const el = document.getElementById("conn");
  el.dataset.state = next;
  emit("socket:state", next);
}

export function connect(token) {
  disconnect();
  if (!window.io) return;
  let connectedBefore = false;
  setState("connecting");
  socket = window.io("/whatsapp", {
    path: "/socket.io/",
    transports: ["websocket"],
    auth: { token },
  });
  window.__waSocket = socket; // read by the browser tests (transport name)
  socket.on("connect", () => {
    setState("on");
    if (connectedBefore) emit("socket:resync");
    connectedBefore = true;
  });
  socket.on("disconnect", () => setState(socket ? "reconnecting" : "off"));
  socket.on("connect_error", () => setState(connectedBefore ? "reconnecting" : "connecting"));
  socket.onAny((name, data) => emit(name, data));
}

export function disconnect() {
  const old = socket;
  socket = null;
  if (old) old.disconnect();
  window.__waSocket = null;
  setState("off");
}
