// Starts the prediction worker as soon as the page is parsed, before the page's modules
// have loaded: the runtime, its backend and the cached model load meanwhile (about 40 ms sooner
// on a returning visit). app.js adopts the worker through window.clientsideBoot.
'use strict';

(() => {
  if (!('Worker' in window)) return;  // app.js says what is missing
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
