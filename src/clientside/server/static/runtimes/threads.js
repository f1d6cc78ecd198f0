// How many threads a wasm runtime runs, in the words the page shows, and why not more where it
// could: wasm threads need a cross-origin isolated page (COOP and COEP headers, or the build's
// service worker where a host sets no headers).
// possible: how many the runtime would run on an isolated page (its own rule, from the cores).
export function threadsText(threads, possible) {
  const text = `${threads} thread${threads > 1 ? 's' : ''}`;
  if (self.crossOriginIsolated || possible <= threads) return text;
  return `${text} (${possible} could run on a cross-origin isolated page: clientside serve --isolate, `
    + 'or clientside build --isolate, or --isolate-sw where the host sets no headers)';
}

export const cores = () => navigator.hardwareConcurrency || 1;
