// Loads the model in TF.js on the fastest backend that works, and predicts batches.
// TF.js itself comes from the app (vendor/), as UMD scripts that define `tf`.

const BACKENDS = [
  { name: 'wasm', script: null },                      // loaded by the page: SIMD where available
  { name: 'webgl', script: 'vendor/tf-backend-webgl.min.js' },
  { name: 'cpu', script: 'vendor/tf-backend-cpu.min.js' },
];

function loadScript(src) {
  return new Promise((resolve, reject) => {
    const el = document.createElement('script');
    el.src = src;
    el.onload = resolve;
    el.onerror = () => reject(new Error(`could not load ${src}`));
    document.head.append(el);
  });
}

async function pickBackend(tf) {
  if (tf.wasm) tf.wasm.setWasmPaths(new URL('vendor/', document.baseURI).href);
  const failures = [];
  for (const { name, script } of BACKENDS) {
    try {
      if (script) await loadScript(new URL(script, document.baseURI).href);
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
      failures.push(`${name}: unavailable`);
    } catch (err) {
      failures.push(`${name}: ${err.message}`);
    }
  }
  throw new Error(`no TF.js backend works in this browser (${failures.join('; ')})`);
}

// Checks every shard's HTTP status: TF.js itself would decode a 404 page as weights.
async function checkedFetch(input, init) {
  const response = await fetch(input, init);
  if (!response.ok) {
    throw new Error(`the model file ${new URL(String(input), document.baseURI).pathname} `
      + `could not be downloaded (HTTP ${response.status})`);
  }
  return response;
}

export async function createPredictor({ modelUrl }) {
  const tf = globalThis.tf;
  if (!tf || !tf.loadLayersModel) throw new Error('TensorFlow.js did not load');
  const backend = await pickBackend(tf);
  const model = await tf.loadLayersModel(new URL(modelUrl, document.baseURI).href,
    { fetchFunc: checkedFetch });
  // One warm-up run compiles the kernels, so the first real prediction is not slow.
  const inputShape = model.inputs[0].shape.map((d) => d ?? 1);
  tf.tidy(() => model.predict(tf.zeros(inputShape)));

  return {
    backend,
    inputShape: model.inputs[0].shape,
    // One predict call for the whole batch; every tensor is disposed.
    async predict(values, shape) {
      const started = performance.now();
      const x = tf.tensor(values, shape, 'float32');
      let y;
      try {
        y = model.predict(x);
        const probs = await y.data();   // never dataSync(): it breaks webgpu
        const ms = performance.now() - started;
        const classes = y.shape[y.shape.length - 1];
        const rows = [];
        for (let i = 0; i < shape[0]; i += 1) rows.push(probs.slice(i * classes, (i + 1) * classes));
        return { rows, ms };
      } finally {
        tf.dispose([x, y]);
      }
    },
    tensorsInMemory: () => tf.memory().numTensors,
  };
}
