// The TF.js runtime (runtime "tfjs-layers"): loads TF.js and its backend into the worker,
// and the model from the browser's cache when the bundle's content hash matches, else from
// the server (every file checked against the contract's size and sha256).
//   load({base, info, modelUrl, backend, post}) -> {backend, source, predict(feeds), warm()}
//   predict({inputName: {data, shape}}) -> {outputName: {data: Float32Array, shape}}
/* global tf */

const VENDOR = new URL('../../vendor/', import.meta.url).href;
const TFJS = ['tf-core.min.js', 'tf-layers.min.js', 'tf-backend-wasm.min.js'];

const BACKENDS = [
  { name: 'wasm', script: null },
  { name: 'webgl', script: 'tf-backend-webgl.min.js' },
  { name: 'cpu', script: 'tf-backend-cpu.min.js' },
];
const CACHE_SCHEME = 'indexeddb://';

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

async function sha256Hex(buffer) {
  if (!self.crypto || !self.crypto.subtle) return null;  // only in secure contexts
  const digest = await self.crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// TF.js does not look at HTTP status nor sizes: a 404 page would be decoded as weights.
// Every file is checked against the contract (size, and sha256 where possible).
function checkedFetch(base, files) {
  return async (input, init) => {
    const url = new URL(String(input), base);
    const response = await fetch(url, init);
    const name = url.pathname.split('/').pop();
    if (!response.ok) {
      throw new Error(`the model file ${name} could not be downloaded (HTTP ${response.status})`);
    }
    const expected = files.get(name);
    if (!expected || name === 'model.json') return response;  // the app may rewrite model.json's paths
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

async function removeOldVersions(prefix, keep) {
  const stored = await tf.io.listModels();
  for (const key of Object.keys(stored)) {
    if (key.startsWith(prefix) && key !== keep) await tf.io.removeModel(key);
  }
}

async function loadModel({ base, info, modelUrl, post }, cachedArtifacts) {
  const prefix = `${CACHE_SCHEME}clientside/${info.name}/`;
  const key = prefix + info.content_hash;
  try {
    const artifacts = await cachedArtifacts;
    if (artifacts) return { model: await tf.loadLayersModel(tf.io.fromMemory(artifacts)), source: 'cache' };
  } catch { /* stored by another version of TF.js, or unreadable: download it again */ }
  const files = new Map((info.files || []).map((f) => [f.path, f]));
  const fresh = await tf.loadLayersModel(new URL(modelUrl, base).href, {
    fetchFunc: checkedFetch(base, files),
    onProgress: (fraction) => post({ type: 'progress', phase: 'download', fraction }),
  });
  try {
    await fresh.save(key);
    await removeOldVersions(prefix, key);
  } catch (err) {
    post({ type: 'warning', message: `the model could not be cached: ${err.message}` });
  }
  return { model: fresh, source: 'network' };
}

// Contract names -> the model's input and output order (by name; by position otherwise).
function order(names, entries) {
  return entries.map((e, i) => (names.includes(e.name) ? names.indexOf(e.name) : i));
}

export async function load(options) {
  const { info, backend } = options;
  // The cached model is read while TF.js's scripts are evaluated (about 60 ms).
  const cachedArtifacts = readCachedArtifacts(`clientside/${info.name}/${info.content_hash}`);
  self.importScripts(...TFJS.map((name) => VENDOR + name));
  const chosen = await pickBackend(backend);
  const { model, source } = await loadModel(options, cachedArtifacts);
  const inputOrder = order(model.inputNames, info.inputs);
  const outputOrder = order(model.outputNames, info.outputs);

  function tensors(feeds) {
    const xs = new Array(info.inputs.length);
    info.inputs.forEach((spec, i) => {
      const { data, shape } = feeds[spec.name];
      xs[inputOrder[i]] = tf.tensor(data, shape, spec.dtype === 'int32' ? 'int32' : 'float32');
    });
    return xs;
  }

  return {
    backend: chosen,
    source,
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
        for (const [i, spec] of info.outputs.entries()) {
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
