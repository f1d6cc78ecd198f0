// The ONNX runtime (runtime "onnx"): ONNX Runtime Web, from the app itself, and the model file
// through model-files.js (the browser's cache, else the server, checked). Two builds: the
// CPU-only one (wasm), and the one with ORT's native WebGPU execution provider, loaded only when
// WebGPU runs the model (devices.js), so that a CPU visitor's first visit fetches only the first.
//   load({base, contract, backend, post, sizes}) -> {backend, source, detail, predict(feeds), warm()}
// (sizes: the runtime files' sizes, uncompressed, which the page carries: for progress)
//   predict({inputName: {data, shape}}) -> {outputName: {data: Float32Array, shape}}

import { Downloads, fetchRuntimeFile } from './downloads.js';
import { inBatches } from './batches.js';
import { isCached, modelFiles, stepFiles } from './model-files.js';
import { typedArray } from '../steps/common.js';
import { cores, threadsText } from './threads.js';

const VENDOR = new URL('../../vendor/', import.meta.url).href;
// backend -> ORT's loader and the wasm it fetches (its .mjs twin is beside it).
const BUILDS = {
  wasm: { loader: 'ort.wasm.min.mjs', wasm: 'ort-wasm-simd-threaded.wasm' },
  webgpu: { loader: 'ort.webgpu.min.mjs', wasm: 'ort-wasm-simd-threaded.asyncify.wasm' },
};
const ortThreads = () => Math.min(4, cores());
// In the order of preference on a hardware GPU; devices.js orders them for this browser.
export const BACKENDS = [{ name: 'webgpu', device: 'webgpu' }, { name: 'wasm', device: 'cpu' }];
const DTYPES = { float32: 'float32', float64: 'float64', int32: 'int32', int64: 'int64' };

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

export async function load({ base, contract, backend = 'wasm', post, sizes = {} }) {
  const build = BUILDS[backend];
  if (!build) throw new Error(`ONNX Runtime Web has no backend "${backend}" here (it has ${Object.keys(BUILDS).join(', ')})`);
  const downloads = new Downloads(post);
  const t0 = performance.now();
  const timings = {};  // ms from the start of load(), for make bench: where a load's time goes
  const importing = import(VENDOR + build.loader);  // while IndexedDB answers
  // A first visit: ONNX Runtime's wasm (2.4 MB brotli, most of its bytes) is fetched here, with
  // progress, while the model loads, and ORT is handed the bytes. A returning visitor's ORT
  // fetches it itself, from the browser's cache: streamed, so V8 reuses its compiled code.
  const first = !(await isCached(contract));
  const wasm = first
    ? fetchRuntimeFile(VENDOR + build.wasm, { size: sizes[build.wasm] || 0, downloads, label: 'ONNX Runtime' })
    : null;
  const loading = modelFiles({ base, contract, post, downloads });
  const ort = await importing;
  timings.import = performance.now() - t0;
  ort.env.wasm.wasmPaths = VENDOR;
  if (wasm) ort.env.wasm.wasmBinary = await wasm;
  // threads need cross-origin isolation (clientside serve --isolate); on 2 cores, 2 threads
  ort.env.wasm.numThreads = self.crossOriginIsolated ? ortThreads() : 1;
  const { files, source } = await loading;
  timings.files = performance.now() - t0;
  // The downloaded (or cached) bytes go to ORT as they are, once stored: no copy of our own.
  // A big model's weights come apart from its graph (external data, by the name the graph
  // gives them): ORT then reads each tensor into its memory once, instead of holding the
  // whole file and the weights parsed from it.
  const weights = contract.files.filter((f) => f.external_data)
    .map((f) => ({ path: f.path, data: new Uint8Array(files.get(f.path)) }));
  const session = await ort.InferenceSession.create(new Uint8Array(files.get(contract.files[0].path)), {
    executionProviders: [backend], graphOptimizationLevel: 'all', ...(weights.length ? { externalData: weights } : {}),
  });
  timings.session = performance.now() - t0;  // ORT's wasm compiled and started, and the model's session
  files.delete(contract.files[0].path);
  for (const w of weights) files.delete(w.path);
  const threads = ort.env.wasm.numThreads;

  async function runOnce(feeds) {
    const inputs = {};
    for (const spec of contract.inputs) inputs[spec.name] = tensor(ort, spec, feeds[spec.name]);
    const results = await session.run(inputs);
    const out = {};
    for (const spec of contract.outputs) {
      const t = results[spec.name];
      out[spec.name] = { data: floats(t), shape: t.dims.slice() };
    }
    for (const t of Object.values(results)) t.dispose?.();
    return out;
  }

  const run = inBatches(contract, runOnce);

  return {
    backend,
    timings,
    detail: `ONNX Runtime Web ${ort.env.versions?.web ?? ''} on `
      + (backend === 'webgpu' ? 'WebGPU' : `WebAssembly, ${threadsText(threads, ortThreads())}`),
    source,
    assets: stepFiles(files, contract),
    warm() {
      const feeds = {};
      for (const spec of contract.inputs) {
        const shape = spec.shape.map((d, i) => d ?? (i === 0 || spec.value !== undefined ? 1 : 8));
        const data = typedArray(spec.dtype, shape.reduce((a, b) => a * b, 1));
        feeds[spec.name] = { data: data.fill(spec.value ?? 0), shape };
      }
      run(feeds).catch(() => { /* warming up is only an optimisation */ });
    },
    predict: run,
    numTensors: () => 0,
    dispose: () => session.release(),
  };
}
