// The TF.js runtime (runtime "tfjs"): loads TF.js and its backend into the worker, and the
// model's files through model-files.js (the browser's cache, else the server, checked).
//   load({base, contract, backend, post}) -> {backend, source, predict(feeds), warm()}
//   predict({inputName: {data, shape}}) -> {outputName: {data: Float32Array, shape}}
/* global tf */
import { Downloads } from './downloads.js';
import { BACKENDS, artifacts, describe, importOnce, useBackend } from './tfjs-backends.js';

export { BACKENDS };
import { modelFiles, stepFiles } from './model-files.js';

const TFJS = ['tf-core.min.js', 'tf-layers.min.js', 'tf-backend-wasm.min.js'];

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

// model.json and its shards as TF.js's layers loader reads them.
async function loadModel(files, entry) {
  return tf.loadLayersModel(tf.io.fromMemory(await artifacts(files, entry)));
}

// Contract names -> the model's input and output order (by name; by position otherwise).
function order(names, entries) {
  return entries.map((e, i) => (names.includes(e.name) ? names.indexOf(e.name) : i));
}

export async function load({ base, contract, backend, post }) {
  // The cache is read (or the download started) while TF.js's scripts are evaluated. TF.js's
  // own files are small (its wasm is 0.1 MB brotli): the progress is the model's.
  const loading = modelFiles({ base, contract, post, downloads: new Downloads(post) });
  importOnce(TFJS);
  const chosen = await useBackend(backend);
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
    detail: describe(chosen),
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
    dispose: () => model.dispose(),  // its weights, and its names for the next load
  };
}
