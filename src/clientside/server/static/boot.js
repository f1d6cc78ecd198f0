// Starts the prediction worker as soon as the page is parsed, before the page's modules
// have loaded: the runtime, its backend and the cached model load meanwhile (about 40 ms sooner
// on a returning visit). app.js adopts the worker through window.clientsideBoot.
'use strict';

// A static build made with --isolate-sw, on a host that sets no headers: the service worker
// gives the page COOP/COEP, which takes one reload once it controls the page. Tried once per
// tab session: a browser that refuses keeps a working page, on one thread (the page says so).
function isolateBySw() {
  if (document.body.dataset.isolate !== 'service-worker' || self.crossOriginIsolated) {
    sessionStorage.removeItem('clientside-isolating');
    return false;
  }
  if (!('serviceWorker' in navigator) || new URLSearchParams(window.location.search).get('sw') === 'off'
      || sessionStorage.getItem('clientside-isolating')) return false;
  sessionStorage.setItem('clientside-isolating', '1');
  const reload = () => window.location.reload();
  navigator.serviceWorker.register('sw.js')
    .then(() => navigator.serviceWorker.ready)
    .then(() => {
      if (navigator.serviceWorker.controller) reload();
      else navigator.serviceWorker.addEventListener('controllerchange', reload, { once: true });
    })
    .catch(reload);  // the reload then boots as usual (the flag is set)
  return true;
}

(() => {
  if (!('Worker' in window)) return;  // app.js says what is missing
  if (isolateBySw()) {
    window.clientsideBoot = { isolating: true };  // app.js waits for the reload
    return;
  }
  const contract = JSON.parse(document.getElementById('contract').textContent);
  const sizes = JSON.parse(document.getElementById('runtime-files').textContent);
  const backend = new URLSearchParams(window.location.search).get('backend') || undefined;
  const worker = new Worker(new URL('worker.js', document.currentScript.src));
  const buffered = [];
  worker.onmessage = ({ data }) => buffered.push(data);
  worker.onerror = (event) => buffered.push({
    type: 'error', id: 0, message: `the prediction worker failed: ${event.message || 'unknown error'}`,
  });
  worker.postMessage({ type: 'init', id: 0, baseUrl: document.baseURI, contract, backend, sizes });
  window.clientsideBoot = { worker, buffered, contract, backend };
})();
