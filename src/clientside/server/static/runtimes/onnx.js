// The ONNX runtime (runtime "onnx"): ONNX Runtime Web's wasm build, from the app itself, and
// the model file from the browser's cache when the bundle's content hash matches, else from
// the server (checked against the contract's size and sha256).
//   load({base, info, backend, post}) -> {backend, source, predict(feeds), warm()}
//   predict({inputName: {data, shape}}) -> {outputName: {data: Float32Array, shape}}

const VENDOR = new URL('../../vendor/', import.meta.url).href;
const DB = 'clientside-models';
const STORE = 'files';

function openDb() {
  return new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.open(DB, 1);
    } catch {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onerror = () => resolve(null);
    request.onsuccess = () => resolve(request.result);
  });
}

function transaction(db, mode, work) {
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result ?? null);
      tx.onerror = () => resolve(null);
      tx.onabort = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

// Keyed by bundle name and content hash; other versions of the same name are deleted.
async function cached(db, key) {
  if (!db) return null;
  return transaction(db, 'readonly', (store) => store.get(key));
}

async function keep(db, prefix, key, buffer) {
  if (!db) return false;
  const keys = await transaction(db, 'readonly', (store) => store.getAllKeys());
  await transaction(db, 'readwrite', (store) => {
    for (const old of keys || []) if (old.startsWith(prefix) && old !== key) store.delete(old);
    return store.put(buffer, key);
  });
  return true;
}

async function sha256Hex(buffer) {
  if (!self.crypto || !self.crypto.subtle) return null;  // only in secure contexts
  const digest = await self.crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// The model file, with download progress, refused unless its size and sha256 are the contract's.
async function download(base, file, post) {
  const response = await fetch(new URL(`model/${file.path}`, base));
  if (!response.ok) throw new Error(`the model file ${file.path} could not be downloaded (HTTP ${response.status})`);
  const reader = response.body.getReader();
  const buffer = new Uint8Array(file.size);
  let received = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > file.size) throw new Error(`the model file ${file.path} is larger than ${file.size} bytes`);
    buffer.set(value, received);
    received += value.length;
    post({ type: 'progress', phase: 'download', fraction: received / file.size });
  }
  if (received !== file.size) {
    throw new Error(`the model file ${file.path} is ${received} bytes, expected ${file.size}: `
      + 'the download was cut short or the server has a different version');
  }
  const digest = await sha256Hex(buffer);
  if (digest && digest !== file.sha256) throw new Error(`the model file ${file.path} is corrupt (its sha256 does not match)`);
  return buffer.buffer;
}

const DTYPES = { float32: 'float32', int32: 'int32', int64: 'int64' };

function tensor(ort, spec, { data, shape }) {
  let values = data;
  if (spec.dtype === 'int64') values = BigInt64Array.from(data, (v) => BigInt(v));
  return new ort.Tensor(DTYPES[spec.dtype] || 'float32', values, shape);
}

function floats(t) {
  const { data } = t;
  if (data instanceof Float32Array) return new Float32Array(data);  // a copy: ORT may reuse its memory
  return Float32Array.from(data, Number);  // int64 (BigInt), int32, float64, bool
}

function slice(feeds, start, count) {
  const out = {};
  for (const [name, { data, shape }] of Object.entries(feeds)) {
    const row = shape.slice(1).reduce((a, b) => a * b, 1);
    out[name] = { data: data.slice(start * row, (start + count) * row), shape: [count, ...shape.slice(1)] };
  }
  return out;
}

function concat(parts) {
  const out = {};
  for (const name of Object.keys(parts[0])) {
    const total = parts.reduce((n, p) => n + p[name].data.length, 0);
    const data = new Float32Array(total);
    let at = 0;
    for (const p of parts) { data.set(p[name].data, at); at += p[name].data.length; }
    const rows = parts.reduce((n, p) => n + p[name].shape[0], 0);
    out[name] = { data, shape: [rows, ...parts[0][name].shape.slice(1)] };
  }
  return out;
}

export async function load({ base, info, post }) {
  const file = info.files[0];
  const prefix = `${info.name}/`;
  const key = prefix + info.content_hash;
  const db = openDb();
  const ort = await import(`${VENDOR}ort.wasm.min.mjs`);
  ort.env.wasm.wasmPaths = VENDOR;
  // threads need cross-origin isolation (clientside serve --isolate); on 2 cores, 2 threads
  ort.env.wasm.numThreads = self.crossOriginIsolated ? Math.min(4, navigator.hardwareConcurrency || 1) : 1;
  let buffer = await cached(await db, key);
  const source = buffer ? 'cache' : 'network';
  if (!buffer) {
    buffer = await download(base, file, post);
    // ORT may take (detach) the buffer it is given: it gets a copy, the cache keeps this one
    if (!(await keep(await db, prefix, key, buffer))) post({ type: 'warning', message: 'the model could not be cached' });
  }
  const session = await ort.InferenceSession.create(new Uint8Array(buffer.slice(0)), {
    executionProviders: ['wasm'], graphOptimizationLevel: 'all',
  });
  const threads = ort.env.wasm.numThreads;

  async function runOnce(feeds) {
    const inputs = {};
    for (const spec of info.inputs) inputs[spec.name] = tensor(ort, spec, feeds[spec.name]);
    const results = await session.run(inputs);
    const out = {};
    for (const spec of info.outputs) {
      const t = results[spec.name];
      out[spec.name] = { data: floats(t), shape: t.dims.slice() };
    }
    for (const t of Object.values(results)) t.dispose?.();
    return out;
  }

  // A model whose batch is fixed (often 1: ONNX files from other tools, Keras's masked RNNs)
  // runs slice by slice; the outputs are concatenated.
  const batch = typeof info.inputs[0].shape[0] === 'number' ? info.inputs[0].shape[0] : null;
  async function run(feeds) {
    const rows = feeds[info.inputs[0].name].shape[0];
    if (batch === null || rows === batch || rows % batch) return runOnce(feeds);
    const parts = [];
    for (let start = 0; start < rows; start += batch) parts.push(await runOnce(slice(feeds, start, batch)));
    return concat(parts);
  }

  return {
    backend: `wasm (onnxruntime-web, ${threads} thread${threads > 1 ? 's' : ''})`,
    source,
    warm() {
      const feeds = {};
      for (const spec of info.inputs) {
        const shape = spec.shape.map((d, i) => d ?? (i === 0 ? 1 : 8));
        feeds[spec.name] = { data: new (spec.dtype === 'float32' ? Float32Array : Int32Array)(shape.reduce((a, b) => a * b, 1)), shape };
      }
      run(feeds).catch(() => { /* warming up is only an optimisation */ });
    },
    predict: run,
    numTensors: () => 0,
  };
}
