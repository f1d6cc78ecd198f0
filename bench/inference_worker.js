// Benchmark worker: TF.js inference alone, per backend, in the same kind of worker the
// page uses (classic worker, the app's own vendored TF.js files). Served by bench/ into
// the app's origin; never part of the app.
/* global tf */
'use strict';

const timeIt = async (model, x) => {
  const start = performance.now();
  const y = model.predict(x);
  await y.data();  // the page reads results the same way
  y.dispose();
  return performance.now() - start;
};

self.onmessage = async ({ data }) => {
  const { vendor, modelUrl, backend, threads, inputShape, singles, batch, batchRuns, budgetMs, batchBudgetMs } = data;
  try {
    const t0 = performance.now();
    importScripts(`${vendor}tf-core.min.js`, `${vendor}tf-layers.min.js`, `${vendor}tf-backend-${backend}.min.js`);
    if (backend === 'wasm') tf.wasm.setWasmPaths(vendor);
    if (backend === 'wasm' && threads) tf.wasm.setThreadsCount(threads);  // else TF.js picks cores / 2
    if (!(await tf.setBackend(backend))) throw new Error(`${backend} is unavailable`);
    await tf.ready();
    const init = performance.now() - t0;
    const model = await tf.loadLayersModel(modelUrl);
    const one = tf.randomUniform([1, ...inputShape]);
    const first = await timeIt(model, one);
    const single = [];
    let deadline = performance.now() + budgetMs;
    while (single.length < singles && performance.now() < deadline) single.push(await timeIt(model, one));
    // a batch only when the budget allows one warm-up and one timed run
    const median = [...single].sort((a, b) => a - b)[single.length >> 1];
    const batched = [];
    let batchFirst = null;
    if (median * batch * 2 < batchBudgetMs) {
      const big = tf.randomUniform([batch, ...inputShape]);
      batchFirst = await timeIt(model, big);
      deadline = performance.now() + batchBudgetMs;
      while (batched.length < batchRuns && performance.now() < deadline) batched.push(await timeIt(model, big));
      big.dispose();
    }
    one.dispose();
    self.postMessage({ init, first, single, batchFirst, batched, isolated: self.crossOriginIsolated });
  } catch (err) {
    self.postMessage({ error: err && err.message ? err.message : String(err) });
  }
};
