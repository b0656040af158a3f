// Multipart uploads with progress: XMLHttpRequest (fetch reports no upload progress), the bearer
// token in the header as every API call, the same JSON envelope and errors (400 naming the field,
// 413 too large) as api.js, and a way to cancel.
import { ApiError, auth } from "./api.js";
import { t } from "./i18n.js";

/**
 * POST `form` to /api`path`.
 * @param {string} path
 * @param {FormData} form
 * @param {(sent: number, total: number) => void} onProgress
 * @returns {{done: Promise<any>, cancel: () => void}}  done: the envelope's data
 */
export function upload(path, form, onProgress) {
  const xhr = new XMLHttpRequest();
  const done = new Promise((resolve, reject) => {
    xhr.open("POST", `/api${path}`);
    xhr.setRequestHeader("Accept", "application/json");
    if (auth.token) xhr.setRequestHeader("Authorization", `Bearer ${auth.token}`);
    xhr.responseType = "json";
    xhr.upload.addEventListener("progress", (e) => {
      if (e.lengthComputable) onProgress(e.loaded, e.total);
    });
    xhr.addEventListener("load", () => {
      const payload = xhr.response;
      if (xhr.status >= 200 && xhr.status < 300 && payload && payload.success !== false) {
        resolve(payload.data);
        return;
      }
      const err = (payload && payload.error) || {};
      if (xhr.status === 401) {
        auth.clear();
        window.dispatchEvent(new Event("wagw:logged-out"));
      }
      const fallback = xhr.status === 413 ? t("media.tooBigServer") : xhr.statusText || t("api.network");
      reject(new ApiError(xhr.status, err.code || "http_error", err.message || fallback));
    });
    xhr.addEventListener("error", () => reject(new ApiError(0, "network", t("api.network"))));
    xhr.addEventListener("abort", () => reject(new ApiError(0, "cancelled", t("media.cancelled"))));
    xhr.send(form);
  });
  return { done, cancel: () => xhr.abort() };
}
