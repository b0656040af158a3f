// REST client: JSON envelope, bearer token from localStorage, 401 -> back to the login screen.
import { t } from "./i18n.js";

const TOKEN = "wagw.token";
const USER = "wagw.user";

export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

export const auth = {
  get token() {
    return localStorage.getItem(TOKEN);
  },
  get user() {
    try {
      return JSON.parse(localStorage.getItem(USER) || "null");
    } catch {
      return null;
    }
  },
  save(token, user) {
    localStorage.setItem(TOKEN, token);
    localStorage.setItem(USER, JSON.stringify(user));
  },
  clear() {
    localStorage.removeItem(TOKEN);
    localStorage.removeItem(USER);
  },
};

export async function api(method, path, body) {
  const headers = { Accept: "application/json" };
  if (auth.token) headers.Authorization = `Bearer ${auth.token}`;
  if (body !== undefined) headers["Content-Type"] = "application/json";
  let resp;
  try {
    resp = await fetch(`/api${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      cache: "no-store",
    });
  } catch {
    throw new ApiError(0, "network", t("api.network")); // offline, or the server is unreachable
  }
  let payload;
  try {
    payload = await resp.json();
  } catch {
    payload = null;
  }
  if (!resp.ok || !payload || payload.success === false) {
    const err = (payload && payload.error) || {};
    if (resp.status === 401 && path !== "/auth/login") {
      auth.clear();
      window.dispatchEvent(new Event("wagw:logged-out"));
    }
    throw new ApiError(resp.status, err.code || "http_error", err.message || resp.statusText);
  }
  return payload.data;
}

/** A per-message id for idempotent sends (randomUUID needs a secure context; fall back). */
export function clientMessageId() {
  if (globalThis.crypto && crypto.randomUUID) return crypto.randomUUID();
  const bytes = new Uint8Array(16);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
}
