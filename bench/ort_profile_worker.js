// Benchmark worker: ONNX Runtime Web's own per-operator profile (session option
// enableProfiling; endProfiling() prints one JSON event per line to the console, caught here)
// and, in a second session without profiling, the time per prediction. Served by bench/ into
// the app's origin; never part of the app.
const random = (n) => { const a = new Float32Array(n); for (let i = 0; i < n; i += 1) a[i] = Math.random(); return a; };

self.onmessage = async ({ data }) => {
  const { vendor, modelUrl, threads, inputShape, runs } = data;
  const lines = [];
  const log = console.log;
  console.log = (...args) => { lines.push(args.join(' ')); };  // before ORT binds its output to it
  try {
    const ort = await import(`${vendor}ort.wasm.min.mjs`);
    ort.env.wasm.wasmPaths = vendor;
    ort.env.wasm.numThreads = threads;
    const bytes = new Uint8Array(await (await fetch(modelUrl)).arrayBuffer());
    const x = random(inputShape.reduce((a, b) => a * b, 1));
    const times = async (session, count) => {
      const name = session.inputNames[0];
      const out = [];
      for (let i = 0; i < count; i += 1) {
        const start = performance.now();
        const got = await session.run({ [name]: new ort.Tensor('float32', x, [1, ...inputShape]) });
        for (const t of Object.values(got)) { void t.data; t.dispose?.(); }
        out.push(performance.now() - start);
      }
      return out;
    };
    const plain = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
    await times(plain, 3);
    const single = await times(plain, runs);
    await plain.release();
    const profiled = await ort.InferenceSession.create(bytes, {
      executionProviders: ['wasm'], graphOptimizationLevel: 'all', enableProfiling: true });
    await times(profiled, 3 + runs);  // the first three are left out of the profile (bench/ort_profile_bench.py)
    profiled.endProfiling();
    await profiled.release();
    const events = lines.map((l) => l.trim().replace(/,$/, '')).filter((l) => l.startsWith('{'))
      .map((l) => { try { return JSON.parse(l); } catch { return null; } }).filter(Boolean);
    console.log = log;
    // The faster CPU execution providers ORT offers elsewhere: whether this build and browser have them.
    const offered = {};
    try {
      await (await ort.InferenceSession.create(bytes, { executionProviders: ['xnnpack'] })).release();
      offered.xnnpack = 'runs';
    } catch (err) {
      offered.xnnpack = err.message;
    }
    offered.webnn = !('ml' in navigator) ? 'navigator.ml is absent'
      : await navigator.ml.createContext({ deviceType: 'cpu' }).then(() => 'a CPU context opens', (err) => err.message);
    self.postMessage({ single, events, runs, offered, threads: ort.env.wasm.numThreads, isolated: self.crossOriginIsolated });
  } catch (err) {
    console.log = log;
    self.postMessage({ error: err && err.message ? err.message : String(err) });
  }
};
