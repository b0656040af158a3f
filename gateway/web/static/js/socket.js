// Socket.IO connection to /whatsapp (websocket transport, JWT in auth.token) and a small event bus.
// Every server event is passed on by name (the server's list lives in gateway/realtime/payloads.py);
// the bus also carries "socket:state" (connecting | on | reconnecting | off).
// Resume: the id of the last event received (eventId) goes with every reconnect as
// auth.lastEventId, so the server replays what was missed; when it cannot ("resync_required"),
// the bus carries "socket:resync" and views reload what they show.

const listeners = new Map();
let socket = null;
let state = "off";
let lastEventId = null;

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

/** Remember the newest event id seen (events, the welcome, the end of a replay or a resync). */
function track(name, data) {
  const id = data && typeof data === "object" ? (data.eventId ?? data.lastEventId) : undefined;
  if (name === "resync_required" && Number.isInteger(data.lastEventId)) lastEventId = data.lastEventId;
  else if (Number.isInteger(id) && (lastEventId === null || id > lastEventId)) lastEventId = id;
}

export function connect(token) {
  disconnect();
  if (!window.io) return;
  let connectedBefore = false;
  lastEventId = null;
  setState("connecting");
  socket = window.io("/whatsapp", {
    path: "/socket.io/",
    transports: ["websocket"],
    // read at every (re)connection: a reconnect resumes after the last event received
    auth: (cb) => cb(lastEventId === null ? { token } : { token, lastEventId }),
  });
  window.__waSocket = socket; // read by the browser tests (transport name)
  socket.on("connect", () => {
    setState("on");
    connectedBefore = true;
  });
  socket.on("disconnect", () => setState(socket ? "reconnecting" : "off"));
  socket.on("connect_error", () => setState(connectedBefore ? "reconnecting" : "connecting"));
  socket.onAny((name, data) => {
    track(name, data);
    emit(name, data);
    if (name === "resync_required") emit("socket:resync", data);
  });
}

export function disconnect() {
  const old = socket;
  socket = null;
  if (old) old.disconnect();
  window.__waSocket = null;
  setState("off");
}

/** The id a reconnect resumes after (tests and diagnostics). */
export function resumeCursor() {
  return lastEventId;
}
