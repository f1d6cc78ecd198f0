// The TF.js runtime (runtime "tfjs"): loads TF.js and its backend into the worker, and the
// model's files through model-files.js (the browser's cache, else the server, checked).
//   load({base, contract, backend, post}) -> {backend, source, predict(feeds), warm()}
//   predict({inputName: {data, shape}}) -> {outputName: {data: Float32Array, shape}}
/* global tf */
import { Downloads } from './downloads.js';
import { modelFiles, stepFiles } from './model-files.js';

const VENDOR = new URL('../../vendor/', import.meta.url).href;
const TFJS = ['tf-core.min.js', 'tf-layers.min.js', 'tf-backend-wasm.min.js'];

const BACKENDS = [
  { name: 'wasm', script: null },
  { name: 'webgl', script: 'tf-backend-webgl.min.js' },
  { name: 'cpu', script: 'tf-backend-cpu.min.js' },
];

// A real GPU makes webgl faster than wasm; a software one (SwiftShader, llvmpipe) makes it
// 10-50 times slower, so wasm goes first unless the GPU is real.
function hasRealGpu() {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return false;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const renderer = info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER);
    return !/swiftshader|llvmpipe|software|basic render/i.test(String(renderer));
  } catch {
    return false;
  }
}

async function pickBackend(preferred) {
  tf.wasm.setWasmPaths(VENDOR);
  let order = BACKENDS;
  if (preferred) order = BACKENDS.filter((b) => b.name === preferred);
  else if (hasRealGpu()) order = [BACKENDS[1], BACKENDS[0], BACKENDS[2]];
  const failures = [];
  for (const { name, script } of order) {
    try {
      if (script) self.importScripts(VENDOR + script);
      if (await tf.setBackend(name)) {
        await tf.ready();
        return name;
      }
      failures.push(`${name}: unavailable`);
    } catch (err) {
      failures.push(`${name}: ${err.message}`);
    }
  }
  throw new Error(`no TF.js backend works here (${failures.join('; ')})`);
}

// Earlier versions kept the model in TF.js's own IndexedDB database, under
// clientside/<name>/<hash>: once the model is in the shared cache, those copies go.
function forgetLegacyCopies(name) {
  let request;
  try {
    request = indexedDB.open('tensorflowjs', 1);
  } catch {
    return;
  }
  request.onupgradeneeded = () => request.transaction.abort();  // none: nothing to forget
  request.onsuccess = () => {
    const db = request.result;
    try {
      const stores = ['models_store', 'model_info_store'].filter((s) => db.objectStoreNames.contains(s));
      if (!stores.length) { db.close(); return; }
      const tx = db.transaction(stores, 'readwrite');
      for (const s of stores) tx.objectStore(s).delete(IDBKeyRange.bound(`clientside/${name}/`, `clientside/${name}/\uffff`));
      tx.oncomplete = () => db.close();
      tx.onerror = () => db.close();
    } catch {
      db.close();
    }
  };
}

// model.json and its shards (from the shared cache or the network) as TF.js's loader reads them.
async function loadModel(files, entry) {
  const modelJSON = JSON.parse(new TextDecoder().decode(files.get(entry)));
  const artifacts = await tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    manifest.flatMap((group) => group.paths.map((path) => files.get(path))),
  ]);
  return tf.loadLayersModel(tf.io.fromMemory(artifacts));
}

// Contract names -> the model's input and output order (by name; by position otherwise).
function order(names, entries) {
  return entries.map((e, i) => (names.includes(e.name) ? names.indexOf(e.name) : i));
}

export async function load({ base, contract, backend, post }) {
  // The cache is read (or the download started) while TF.js's scripts are evaluated. TF.js's
  // own files are small (its wasm is 0.1 MB brotli): the progress is the model's.
  const loading = modelFiles({ base, contract, post, downloads: new Downloads(post) });
  self.importScripts(...TFJS.map((name) => VENDOR + name));
  const chosen = await pickBackend(backend);
  const { files, source } = await loading;
  const model = await loadModel(files, contract.files[0].path);
  if (source === 'network') forgetLegacyCopies(contract.name);
  const inputOrder = order(model.inputNames, contract.inputs);
  const outputOrder = order(model.outputNames, contract.outputs);

  function tensors(feeds) {
    const xs = new Array(contract.inputs.length);
    contract.inputs.forEach((spec, i) => {
      const { data, shape } = feeds[spec.name];
      xs[inputOrder[i]] = tf.tensor(data, shape, spec.dtype === 'int32' ? 'int32' : 'float32');
    });
    return xs;
  }

  return {
    backend: chosen,
    detail: `TensorFlow.js ${tf.version_core} on ${{ wasm: 'WebAssembly', webgl: 'WebGL', cpu: 'plain JavaScript' }[chosen] || chosen}`,
    source,
    assets: stepFiles(files, contract),
    // Compile the kernels now, not on the first prediction.
    warm() {
      tf.tidy(() => {
        const xs = model.inputs.map((x) => tf.zeros(x.shape.map((d) => d ?? 1), x.dtype));
        model.predict(xs.length === 1 ? xs[0] : xs);
      });
    },
    async predict(feeds) {
      const xs = tensors(feeds);
      let ys = [];
      try {
        const y = model.predict(xs.length === 1 ? xs[0] : xs);
        ys = Array.isArray(y) ? y : [y];
        const out = {};
        for (const [i, spec] of contract.outputs.entries()) {
          const t = ys[outputOrder[i]];
          // never dataSync() (it breaks webgpu); copy: a backend may hand out a view of its memory
          out[spec.name] = { data: new Float32Array(await t.data()), shape: t.shape };
        }
        return out;
      } finally {
        tf.dispose([...xs, ...ys]);
      }
    },
    numTensors: () => tf.memory().numTensors,
  };
}
