// What both TF.js runtimes share (layers models, "tfjs"; graph models, "tfjs-graph"): their
// backends (devices.js orders them) and the model's JSON and shards handed to TF.js from the
// files model-files.js loaded.
/* global tf */
import { cores, threadsText } from './threads.js';

export const VENDOR = new URL('../../vendor/', import.meta.url).href;

// The script each backend needs beyond what the runtime loads first (core, layers or converter, and wasm).
const SCRIPTS = {
  webgpu: 'tf-backend-webgpu.min.js', webgl: 'tf-backend-webgl.min.js', wasm: null, cpu: 'tf-backend-cpu.min.js',
};
// In the order of preference on a hardware GPU; devices.js orders them for this browser.
export const BACKENDS = [
  { name: 'webgpu', device: 'webgpu' },
  { name: 'webgl', device: 'webgl' },
  { name: 'wasm', device: 'cpu' },
  { name: 'cpu', device: 'cpu' },
];

// TF.js's own scripts, evaluated once per worker (a fallback to the next backend keeps them).
const loaded = new Set();
export function importOnce(names) {
  const missing = names.filter((n) => !loaded.has(n));
  if (missing.length) self.importScripts(...missing.map((n) => VENDOR + n));
  for (const n of missing) loaded.add(n);
}

// Sets TF.js's backend to name (devices.js chose it), loading its script first.
export async function useBackend(name) {
  tf.wasm.setWasmPaths(VENDOR);
  if (SCRIPTS[name]) importOnce([SCRIPTS[name]]);
  if (!(await tf.setBackend(name))) throw new Error(`TF.js's ${name} backend does not start in this browser`);
  await tf.ready();
  return name;
}

// The model's JSON and its shards (from the shared cache or the network) as TF.js's loaders read them.
export async function artifacts(files, entry) {
  const modelJSON = JSON.parse(new TextDecoder().decode(files.get(entry)));
  return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => [
    manifest.flatMap((group) => group.weights),
    manifest.flatMap((group) => group.paths.map((path) => files.get(path))),
  ]);
}

// TF.js's own rule on an isolated page: half the cores, at most 4 (on 2 cores a second thread
// was not faster in make bench: MobileNetV2 68.5 ms against 71.5, so clientside keeps it).
const tfjsThreads = () => Math.min(4, Math.max(1, Math.floor(cores() / 2)));

export const describe = (chosen) => `TensorFlow.js ${tf.version_core} on `
  + `${{ wasm: 'WebAssembly', webgl: 'WebGL', webgpu: 'WebGPU', cpu: 'plain JavaScript' }[chosen] || chosen}`
  + (chosen === 'wasm' ? `, ${threadsText(tf.wasm.getThreadsCount(), tfjsThreads())}` : '');
