// What both TF.js runtimes share (layers models, "tfjs"; graph models, "tfjs-graph"): the
// backend chosen (wasm first, webgl on a real GPU, cpu last) and the model's JSON and shards
// handed to TF.js from the files model-files.js loaded.
/* global tf */
import { cores, threadsText } from './threads.js';

export const VENDOR = new URL('../../vendor/', import.meta.url).href;

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

// The backends a failed self-check falls back to, in order (worker.js).
export const BACKEND_NAMES = BACKENDS.map((b) => b.name);

export async function pickBackend(preferred) {
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
  + `${{ wasm: 'WebAssembly', webgl: 'WebGL', cpu: 'plain JavaScript' }[chosen] || chosen}`
  + (chosen === 'wasm' ? `, ${threadsText(tf.wasm.getThreadsCount(), tfjsThreads())}` : '');
