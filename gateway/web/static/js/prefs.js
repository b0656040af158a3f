// The user's switches kept in this browser: notifications (on unless turned off) and sound (off).
const KEYS = { notify: "wagw.notify", sound: "wagw.sound" };
const DEFAULTS = { notify: true, sound: false };

export function pref(name) {
  const stored = localStorage.getItem(KEYS[name]);
  return stored === null ? DEFAULTS[name] : stored === "on";
}

export function setPref(name, value) {
  localStorage.setItem(KEYS[name], value ? "on" : "off");
}
