// The prediction worker: loads TF.js and the model (from the browser's cache when the
// bundle's content hash matches), prepares images, and predicts, off the main thread so
// the page never freezes. A classic worker (importScripts for the TF.js UMD files) that
// imports the preprocessing module dynamically.
/* global tf */
'use strict';

const VENDOR = new URL('../vendor/', self.location.href).href;
const TFJS = ['tf-core.min.js', 'tf-layers.min.js', 'tf-backend-wasm.min.js'];

const BACKENDS = [
  { name: 'wasm', script: null },
  { name: 'webgl', script: 'tf-backend-webgl.min.js' },
  { name: 'cpu', script: 'tf-backend-cpu.min.js' },
];
const CACHE_SCHEME = 'indexeddb://';

let model = null;
let meta = null;
let base = null;
let pre = null;

const post = (msg, transfer = []) => self.postMessage(msg, transfer);

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
      if (script) importScripts(VENDOR + script);
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

async function sha256Hex(buffer) {
  if (!self.crypto || !self.crypto.subtle) return null;  // only in secure contexts
  const digest = await self.crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// TF.js does not look at HTTP status nor sizes: a 404 page would be decoded as weights.
// Every shard is checked against the bundle's metadata (size, and sha256 where possible).
function checkedFetch(shards) {
  return async (input, init) => {
    const url = new URL(String(input), base);
    const response = await fetch(url, init);
    const name = url.pathname.split('/').pop();
    if (!response.ok) {
      throw new Error(`the model file ${name} could not be downloaded (HTTP ${response.status})`);
    }
    const expected = shards.get(name);
    if (!expected) return response;
    const buffer = await response.arrayBuffer();
    if (buffer.byteLength !== expected.size) {
      throw new Error(`the model file ${name} is ${buffer.byteLength} bytes, expected ${expected.size}: `
        + 'the download was cut short or the server has a different version');
    }
    const digest = expected.sha256 ? await sha256Hex(buffer) : null;
    if (digest && digest !== expected.sha256) {
      throw new Error(`the model file ${name} is corrupt (its sha256 does not match)`);
    }
    return new Response(buffer, { status: 200, headers: response.headers });
  };
}

async function removeOldVersions(keep) {
  const prefix = `${CACHE_SCHEME}clientside/${meta.name}/`;
  const stored = await tf.io.listModels();
  for (const key of Object.keys(stored)) {
    if (key.startsWith(prefix) && key !== keep) await tf.io.removeModel(key);
  }
}

// Where the model is kept: one entry per bundle name and content hash.
const cachePath = () => `clientside/${meta.name}/${meta.content_hash}`;

// The model as tf.io.browserIndexedDB stored it (database 'tensorflowjs', store
// 'models_store', keyed by the path after indexeddb://), read with the plain IndexedDB API
// so the read can start before TF.js itself is loaded. Never creates the database: that
// is TF.js's job, with its own schema. Resolves to the model artifacts or null.
function readCachedArtifacts(path) {
  return new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.open('tensorflowjs', 1);
    } catch {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => request.transaction.abort();  // no database yet
    request.onerror = () => resolve(null);
    request.onsuccess = () => {
      const db = request.result;
      try {
        const get = db.transaction('models_store', 'readonly').objectStore('models_store').get(path);
        get.onsuccess = () => { db.close(); resolve(get.result ? get.result.modelArtifacts : null); };
        get.onerror = () => { db.close(); resolve(null); };
      } catch {
        db.close();
        resolve(null);
      }
    };
  });
}

async function loadModel(modelUrl, cachedArtifacts) {
  const key = CACHE_SCHEME + cachePath();
  try {
    const artifacts = await cachedArtifacts;
    if (artifacts) return { model: await tf.loadLayersModel(tf.io.fromMemory(artifacts)), source: 'cache' };
  } catch { /* stored by another version of TF.js, or unreadable: download it again */ }
  const shards = new Map((meta.shards || []).map((s) => [s.path, s]));
  const fresh = await tf.loadLayersModel(new URL(modelUrl, base).href, {
    fetchFunc: checkedFetch(shards),
    onProgress: (fraction) => post({ type: 'progress', phase: 'download', fraction }),
  });
  try {
    await fresh.save(key);
    await removeOldVersions(key);
  } catch (err) {
    post({ type: 'warning', message: `the model could not be cached: ${err.message}` });
  }
  return { model: fresh, source: 'network' };
}

async function init({ baseUrl, modelUrl, info, backend }) {
  base = baseUrl;
  meta = info;
  const started = performance.now();
  // The cached model is read while TF.js's scripts are evaluated (about 60 ms).
  const cachedArtifacts = readCachedArtifacts(cachePath());
  const preprocess = import('./preprocess.js');
  importScripts(...TFJS.map((name) => VENDOR + name));
  const chosen = await pickBackend(backend);
  pre = await preprocess;
  const warming = warmPreprocessing();  // runs while IndexedDB or the network answers
  const loaded = await loadModel(modelUrl, cachedArtifacts);
  await warming;
  model = loaded.model;
  const inputShape = model.inputs[0].shape.map((d) => d ?? 1);
  post({ type: 'ready', backend: chosen, source: loaded.source, ms: performance.now() - started });
  // Compile the kernels now, not on the first prediction: a visitor needs longer than this
  // to choose a file, and a prediction asked for meanwhile simply waits for it.
  tf.tidy(() => model.predict(tf.zeros(inputShape)));
}

// The first image would otherwise pay for compiling the decoder and every step (about
// 15 ms for a digit): run them once on a synthetic picture (a dark block on white).
async function warmPreprocessing() {
  if (!meta.preprocess || meta.prepare === 'server') return;
  try {
    const canvas = new OffscreenCanvas(192, 192);  // big enough for the loops to get optimised
    const ctx = canvas.getContext('2d');
    ctx.fillStyle = '#fff';
    ctx.fillRect(0, 0, 192, 192);
    ctx.fillStyle = '#000';
    ctx.fillRect(64, 48, 64, 96);
    await pre.prepare(await canvas.convertToBlob({ type: 'image/png' }), meta.preprocess, 'warm-up');
  } catch { /* a pipeline may refuse this picture; warming up is only an optimisation */ }
}

async function serverPrepare(files) {
  const form = new FormData();
  for (const { blob, name } of files) form.append('file', blob, name);
  let response;
  try {
    response = await fetch(new URL('api/prepare', base), {
      method: 'POST', body: form, headers: { Accept: 'application/octet-stream' },
    });
  } catch {
    throw new Error('The server could not be reached to prepare the images.');
  }
  if (!response.ok) {
    let message = `the server answered HTTP ${response.status}`;
    try { message = (await response.json()).error.message || message; } catch { /* not JSON */ }
    throw new Error(message);
  }
  const shape = response.headers.get('X-Tensor-Shape').split(',').map(Number);
  return { values: new Float32Array(await response.arrayBuffer()), shape };
}

async function browserPrepare(id, files) {
  const [, ...itemShape] = model.inputs[0].shape;
  const size = itemShape.reduce((a, b) => a * b, 1);
  const values = new Float32Array(files.length * size);
  for (const [i, { blob, name }] of files.entries()) {
    const img = await pre.prepare(blob, meta.preprocess, name);
    if (img.data.length !== size) {
      throw new Error(`${name}: the preprocessing made ${img.height}x${img.width}x${img.channels}, `
        + `the model expects ${itemShape.join('x')}`);
    }
    values.set(img.data, i * size);
    if (files.length > 20 && (i + 1) % 10 === 0) post({ type: 'progress', id, phase: 'prepare', done: i + 1, total: files.length });
  }
  return { values, shape: [files.length, ...itemShape] };
}

async function predict({ id, files, mode }) {
  const t0 = performance.now();
  const { values, shape } = mode === 'server' ? await serverPrepare(files) : await browserPrepare(id, files);
  const t1 = performance.now();
  const x = tf.tensor(values, shape, 'float32');
  let y;
  try {
    y = model.predict(x);
    // never dataSync() (it breaks webgpu); copy before transferring: a backend may hand
    // out a view of its own memory
    const probs = new Float32Array(await y.data());
    const t2 = performance.now();
    post({ type: 'result', id, probs, classes: y.shape[y.shape.length - 1], values, shape,
      ms: { prepare: t1 - t0, predict: t2 - t1 } }, [probs.buffer]);
  } finally {
    tf.dispose([x, y]);
  }
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') await init(data);
    else if (data.type === 'predict') await predict(data);
    else if (data.type === 'memory') post({ type: 'memory', id: data.id, numTensors: tf.memory().numTensors });
  } catch (err) {
    post({ type: 'error', id: data.id, phase: data.type, message: err && err.message ? err.message : String(err) });
  }
};
