// Run TF.js graph models under Node (pure JS or wasm backend), with the page's own TF.js files.
// Usage: node predict.cjs REQUEST.json
// REQUEST: {"backend": "cpu" | "wasm", "modules": {npm name: file}, "jobs": [{"file": MODEL_JSON,
//           "output": "out_prefix", "inputs": [{"name": ..., "path": "x.bin", "shape": [n, ...],
//           "dtype": "float32" | "int32"}]}]}
// A job with no inputs only describes the model. Writes out_prefix.<i>.f32 for each output;
// prints {"results": [{"inputs": [...], "outputs": [...], "async": bool}]} as JSON.
'use strict';
const fs = require('fs');
const Module = require('module');
const path = require('path');

const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const aliases = request.modules || {};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (name, ...rest) {
  if (aliases[name]) return aliases[name];
  try {
    return resolveFilename.call(this, name, ...rest);
  } catch (err) {
    if (name === 'seedrandom') return path.join(__dirname, '..', 'tfjs', 'seedrandom-unavailable.cjs');
    throw err;
  }
};

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfc = require('@tensorflow/tfjs-converter');

// The JSON and its shards from disk, through TF.js's own manifest decoding, as the page's loader does.
function fileHandler(file) {
  const dir = path.dirname(file);
  return {
    load: async () => {
      const modelJSON = JSON.parse(fs.readFileSync(file, 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => [
        manifest.flatMap((group) => group.weights),
        tf.io.concatenateArrayBuffers(manifest.flatMap((group) => group.paths.map((p) => {
          const b = fs.readFileSync(path.join(dir, p));
          return b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
        }))),
      ]);
    },
  };
}

const described = (list) => list.map((x) => ({ name: x.name, dtype: x.dtype, shape: x.shape }));

async function runJob(job) {
  const model = await tfc.loadGraphModel(fileHandler(job.file));
  const about = { inputs: described(model.inputs), outputs: described(model.outputs) };
  if (!job.inputs.length) {
    model.dispose();
    return about;
  }
  const feeds = {};
  for (const spec of job.inputs) {
    const b = fs.readFileSync(spec.path);
    const Ctor = spec.dtype === 'int32' ? Int32Array : Float32Array;
    feeds[spec.name] = tf.tensor(new Ctor(b.buffer, b.byteOffset, b.byteLength / 4), spec.shape, spec.dtype);
  }
  let outputs;
  let async = false;
  try {
    try {
      outputs = model.execute(feeds);
    } catch (err) {
      if (!/executeAsync/.test(err.message)) throw err;
      async = true;  // control flow or dynamic shapes: only executeAsync runs them
      outputs = await model.executeAsync(feeds);
    }
    if (!Array.isArray(outputs)) outputs = [outputs];
    const shapes = [];
    for (const [i, t] of outputs.entries()) {
      fs.writeFileSync(`${job.output}.${i}.f32`, Buffer.from(new Float32Array(await t.data()).buffer));
      shapes.push({ shape: t.shape, dtype: t.dtype });
    }
    return { ...about, outputs: about.outputs.map((o, i) => ({ ...o, ...shapes[i] })), async };
  } finally {
    tf.dispose(Object.values(feeds));
    if (outputs) tf.dispose(outputs);
    model.dispose();
  }
}

async function main() {
  const backend = request.backend || 'cpu';
  if (backend === 'wasm') require('@tensorflow/tfjs-backend-wasm');
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  await tf.ready();
  const results = [];
  for (const job of request.jobs) {
    try {
      results.push(await runJob(job));
    } catch (err) {
      results.push({ error: String(err && err.message ? err.message : err) });
    }
  }
  process.stdout.write(JSON.stringify({ results, backend: tf.getBackend() }));
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
