// The server's limits a client checks before it sends (GET /api/auth/me -> limits), asked for once
// per page load; until they are known the defaults apply (the server checks again in any case).
import { api } from "./api.js";
import { DEFAULT_MAX_BYTES } from "./mediainfo.js";

let known = { mediaMaxBytes: DEFAULT_MAX_BYTES };
let asked = null;

/** Ask the server for its limits (once; later calls reuse the answer). */
export function loadLimits() {
  if (!asked) {
    asked = api("GET", "/auth/me")
      .then((me) => {
        if (me.limits) known = { ...known, ...me.limits };
        return known;
      })
      .catch(() => {
        asked = null; // asked again next time
        return known;
      });
  }
  return asked;
}

/** The largest media file the server takes, in bytes. */
export function mediaMaxBytes() {
  return known.mediaMaxBytes;
}
