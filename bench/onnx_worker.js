// Benchmark worker: ONNX Runtime Web inference alone, in a module worker loading the app's
// own onnxruntime-web files, as the page's runtime does. Served by bench/ into the app's
// origin; never part of the app.
const random = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i += 1) a[i] = Math.random(); return a; };

self.onmessage = async ({ data }) => {
  const { vendor, modelUrl, threads, inputShape, singles, batch, batchRuns, budgetMs, batchBudgetMs } = data;
  try {
    const t0 = performance.now();
    const ort = await import(`${vendor}ort.wasm.min.mjs`);
    ort.env.wasm.wasmPaths = vendor;
    ort.env.wasm.numThreads = threads;
    const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
    const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    const init = performance.now() - t0;
    const name = session.inputNames[0];
    const size = inputShape.reduce((a, b) => a * b, 1);
    const timeIt = async (rows, values) => {
      const start = performance.now();
      const out = await session.run({ [name]: new ort.Tensor('float32', values, [rows, ...inputShape]) });
      for (const t of Object.values(out)) { void t.data; t.dispose?.(); }
      return performance.now() - start;
    };
    const one = random(size);
    const first = await timeIt(1, one);
    const single = [];
    let deadline = performance.now() + budgetMs;
    while (single.length < singles && performance.now() < deadline) single.push(await timeIt(1, one));
    const median = [...single].sort((a, b) => a - b)[single.length >> 1];
    const batched = [];
    if (median * batch * 2 < batchBudgetMs) {
      const big = random(size * batch);
      await timeIt(batch, big);
      deadline = performance.now() + batchBudgetMs;
      while (batched.length < batchRuns && performance.now() < deadline) batched.push(await timeIt(batch, big));
    }
    self.postMessage({ init, first, single, batched, threads: ort.env.wasm.numThreads, isolated: self.crossOriginIsolated });
  } catch (err) {
    self.postMessage({ error: err && err.message ? err.message : String(err) });
  }
};
