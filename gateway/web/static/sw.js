// Service worker: caches ONLY static GET assets (the shell, /static/*, /vendor/*, manifest, icons).
// The API, Socket.IO, /health, /metrics and every non-GET request go straight to the network and
// are never stored: a cached POST /api/whatsapp/start once broke an earlier system.
// A click on a new-message notification brings the dashboard forward on that chat.
const CACHE = "wagw-static-v2";
const SHELL = ["/", "/manifest.webmanifest", "/vendor/socket.io.min.js", "/static/css/app.css", "/static/js/app.js"];
const STATIC_PREFIXES = ["/static/", "/vendor/"];
const STATIC_PATHS = ["/", "/index.html", "/manifest.webmanifest"];

/** True only for requests this worker may answer from (and store in) the cache. */
function cacheable(request) {
  if (request.method !== "GET") return false;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return false;
  if (url.search) return false;
  return STATIC_PATHS.includes(url.pathname) || STATIC_PREFIXES.some((p) => url.pathname.startsWith(p));
}

// Network first (fresh code after a deploy), the cache when offline.
async function networkFirst(request) {
  const cache = await caches.open(CACHE);
  try {
    const response = await fetch(request);
    if (response.status === 200) await cache.put(request, response.clone()); // not partial/opaque
    return response;
  } catch (err) {
    const hit = await cache.match(request);
    if (hit) return hit;
    throw err;
  }
}

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(CACHE)
      .then((c) => c.addAll(SHELL))
      .then(() => self.skipWaiting()),
  );
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) if (name !== CACHE) await caches.delete(name);
      await self.clients.claim();
    })(),
  );
});

self.addEventListener("fetch", (event) => {
  if (!cacheable(event.request)) return; // not handled: the browser fetches it as if no worker
  event.respondWith(networkFirst(event.request));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin);
  if (target.origin !== self.location.origin) return;
  event.waitUntil(
    (async () => {
      const open = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
      const client = open.find((c) => new URL(c.url).origin === target.origin);
      if (client) {
        await client.focus();
        return client.navigate(target.href);
      }
      return self.clients.openWindow(target.href);
    })(),
  );
});
