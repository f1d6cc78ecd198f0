// How many threads a wasm runtime runs, in the words the page shows, and why not more: wasm
// threads need a cross-origin isolated page (COOP and COEP headers, or the build's service
// worker where a host sets no headers).
// fewer: on an isolated page, why this runtime runs fewer threads than there are cores.
export function threadsText(threads, fewer = '') {
  const text = `${threads} thread${threads > 1 ? 's' : ''}`;
  if (self.crossOriginIsolated) return threads < (navigator.hardwareConcurrency || 1) && fewer ? `${text} (${fewer})` : text;
  return `${text} (more need a cross-origin isolated page: clientside serve --isolate, `
    + 'or clientside build --isolate, or --isolate-sw where the host sets no headers)';
}
