// Service worker: keeps the app shell (page, scripts, TF.js and its wasm) so the page
// works offline after one visit. The model itself is cached by the worker in IndexedDB.
// Files under assets/<version>/ never change (their URL changes instead): served from the
// cache without asking. Everything else goes to the network first, so an online visit
// always gets the current page (revalidated by ETag), and to the cache when offline.
const VERSION = '__VERSION__';
const SHELL = __ASSETS__;
const CACHE = `clientside-shell-${VERSION}`;

self.addEventListener('install', (event) => {
  // Where the browser supports static routing, versioned files come straight from the
  // cache (the network when missing) without running this script: about 20-30 ms less
  // for a returning visit. Elsewhere the fetch handler below does the same.
  if (event.addRoutes && self.URLPattern) {
    event.addRoutes({ condition: { urlPattern: new URLPattern({ pathname: '*/assets/*' }) }, source: 'cache' })
      .catch(() => { /* the fetch handler covers it */ });
  }
  event.waitUntil(caches.open(CACHE).then((cache) => cache.addAll(SHELL)).then(() => self.skipWaiting()));
});

self.addEventListener('activate', (event) => {
  event.waitUntil((async () => {
    for (const key of await caches.keys()) {
      if (key.startsWith('clientside-shell-') && key !== CACHE) await caches.delete(key);
    }
    await self.clients.claim();
  })());
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  const url = new URL(request.url);
  const scope = new URL(self.registration.scope);
  // Only this app's GETs; the model's files go to the network (the worker caches the model).
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)
      || url.pathname.startsWith(`${scope.pathname}model`)) return;
  const immutable = url.pathname.includes('/assets/');
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (immutable) {
      const hit = await cache.match(request);
      if (hit) return hit;
    }
    try {
      const response = await fetch(request);
      if (response.ok) cache.put(request, response.clone());
      return response;
    } catch (err) {
      const cached = await cache.match(request, { ignoreSearch: true });
      if (cached) return cached;
      throw err;
    }
  })());
});
