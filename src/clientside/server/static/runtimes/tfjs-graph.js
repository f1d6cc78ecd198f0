// The TF.js graph-model runtime (runtime "tfjs-graph"): a graph model as the official converter
// wrote it, loaded by tf.loadGraphModel from the files model-files.js loaded (the browser's
// cache, else the server, checked). Run by execute, or executeAsync when the graph has control
// flow or dynamic shapes (TF.js says which on the first run; the answer is kept).
//   load({base, contract, backend, post}) -> {backend, source, predict(feeds), warm()}
//   predict({inputName: {data, shape}}) -> {outputName: {data: Float32Array, shape}}
/* global tf */
import { inBatches, integers } from './batches.js';
import { Downloads } from './downloads.js';
import { modelFiles, stepFiles } from './model-files.js';
import { BACKENDS, artifacts, describe, importOnce, useBackend } from './tfjs-backends.js';

export { BACKENDS };

const TFJS = ['tf-core.min.js', 'tf-converter.min.js', 'tf-backend-wasm.min.js'];

export async function load({ base, contract, backend, post }) {
  const loading = modelFiles({ base, contract, post, downloads: new Downloads(post) });
  importOnce(TFJS);
  const chosen = await useBackend(backend);
  const { files, source } = await loading;
  const model = await tf.loadGraphModel(tf.io.fromMemory(await artifacts(files, contract.files[0].path)));
  const outputNames = model.outputs.map((o) => o.name);
  const missing = contract.outputs.filter((spec) => !outputNames.includes(spec.name));
  if (missing.length) throw new Error(`the graph model has no output ${missing[0].name} (it has ${outputNames.join(', ')})`);
  let needsAsync = false;

  function tensors(feeds) {
    const xs = {};
    for (const spec of contract.inputs) {
      const { data, shape } = feeds[spec.name];
      xs[spec.name] = spec.dtype === 'float32' ? tf.tensor(data, shape, 'float32')
        : tf.tensor(integers(spec, data), shape, 'int32');  // TF.js has no uint8: its graph's uint8 is int32
    }
    return xs;
  }

  async function execute(xs) {
    const wanted = contract.outputs.map((spec) => spec.name);
    if (!needsAsync) {
      try {
        return model.execute(xs, wanted);
      } catch (err) {
        if (!/executeAsync/.test(err.message)) throw err;
        needsAsync = true;
      }
    }
    return model.executeAsync(xs, wanted);
  }

  async function runOnce(feeds) {
    const xs = tensors(feeds);
    let ys = [];
    try {
      const y = await execute(xs);
      ys = Array.isArray(y) ? y : [y];
      const out = {};
      for (const [i, spec] of contract.outputs.entries()) {
        // never dataSync() (it breaks webgpu); copy: a backend may hand out a view of its memory
        out[spec.name] = { data: new Float32Array(await ys[i].data()), shape: ys[i].shape };
      }
      return out;
    } finally {
      tf.dispose([...Object.values(xs), ...ys]);
    }
  }

  const run = inBatches(contract, runOnce);
  return {
    backend: chosen,
    detail: `${describe(chosen)} (a graph model)`,
    source,
    assets: stepFiles(files, contract),
    // Compile the kernels now, not on the first prediction; an input of free size is warmed at 32.
    warm() {
      const feeds = {};
      for (const spec of contract.inputs) {
        const shape = spec.shape.map((d, i) => d ?? (i === 0 || spec.value !== undefined ? 1 : 32));
        feeds[spec.name] = { data: new Float32Array(shape.reduce((a, b) => a * b, 1)).fill(spec.value ?? 0), shape };
      }
      run(feeds).catch(() => { /* warming up is only an optimisation */ });
    },
    predict: run,
    numTensors: () => tf.memory().numTensors,
    dispose: () => model.dispose(),
  };
}
