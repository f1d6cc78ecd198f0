// Service worker: keeps the app shell (page, scripts, TF.js and its wasm) so the page
// works offline after one visit. The model itself is cached by the worker in IndexedDB.
// Files under assets/<version>/ never change (their URL changes instead): served from the
// cache without asking. Everything else goes to the network first, so an online visit
// always gets the current page (revalidated by ETag), and to the cache when offline.
// ISOLATE (clientside build --isolate-sw, for hosts that cannot set headers): every response
// this script serves gets COOP and COEP, so the page is cross-origin isolated and the wasm
// runtimes run threads (the technique of coi-serviceworker; boot.js reloads once for it).
const VERSION = '__VERSION__';
const SHELL = __ASSETS__;
const ISOLATE = __ISOLATE__;
const CACHE = `clientside-shell-${VERSION}`;

function isolated(response) {
  if (!ISOLATE || response.type === 'opaque' || response.status === 0) return response;
  const headers = new Headers(response.headers);
  headers.set('Cross-Origin-Opener-Policy', 'same-origin');
  headers.set('Cross-Origin-Embedder-Policy', 'require-corp');
  headers.set('Cross-Origin-Resource-Policy', 'same-origin');
  return new Response(response.body, { status: response.status, statusText: response.statusText, headers });
}

self.addEventListener('install', (event) => {
  // Where the browser supports static routing, versioned files come straight from the
  // cache (the network when missing) without running this script: about 20-30 ms less
  // for a returning visit. Elsewhere the fetch handler below does the same. Not when
  // isolating: a routed response would skip the headers (a worker's script needs them).
  if (event.addRoutes && self.URLPattern && !ISOLATE) {
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
  // Only this app's GETs; the model's files go to the network (the worker caches the model;
  // same-origin, they need no header to load in an isolated page).
  if (request.method !== 'GET' || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)
      || url.pathname.startsWith(`${scope.pathname}model`)) return;
  const immutable = url.pathname.includes('/assets/');
  event.respondWith((async () => {
    const cache = await caches.open(CACHE);
    if (immutable) {
      const hit = await cache.match(request);
      if (hit) return isolated(hit);
    }
    try {
      const response = await fetch(request);
      if (response.ok) cache.put(request, response.clone());
      return isolated(response);
    } catch (err) {
      const cached = await cache.match(request, { ignoreSearch: true });
      if (cached) return isolated(cached);
      throw err;
    }
  })());
});
