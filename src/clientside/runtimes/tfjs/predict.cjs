// Run a TF.js layers model under Node (pure JS or wasm backend) on raw float32 inputs.
// Usage: node predict.cjs REQUEST.json
// REQUEST: {"backend": "cpu" | "wasm", "modules": {npm name: file}, "jobs": [{"dir": MODEL_DIR, "output": "out_prefix",
//           "inputs": [{"path": "x.bin", "shape": [n, ...], "dtype": "float32" | "int32"}]}]}
// Writes out_prefix.<i>.f32 for each output of each job; prints {"results": [...]} as JSON.
'use strict';
const fs = require('fs');
const Module = require('module');
const path = require('path');

// REQUEST.modules maps npm names to the files to load for them (the page's own TF.js
// files, from a wheel or node_modules): no npm install is needed beside this script.
const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const aliases = request.modules || {};
const resolveFilename = Module._resolveFilename;
Module._resolveFilename = function (name, ...rest) {
  if (aliases[name]) return aliases[name];
  try {
    return resolveFilename.call(this, name, ...rest);
  } catch (err) {
    if (name === 'seedrandom') return path.join(__dirname, 'seedrandom-unavailable.cjs');
    throw err;
  }
};

const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

function fileHandler(dir) {
  // Reads model.json and its shards straight from disk, through tfjs's own
  // manifest decoding (getModelArtifactsForJSON), as the browser's loader does.
  return {
    load: async () => {
      const modelJSON = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
      return tf.io.getModelArtifactsForJSON(modelJSON, async (manifest) => {
        const specs = [];
        const buffers = [];
        for (const group of manifest) {
          specs.push(...group.weights);
          for (const p of group.paths) {
            const b = fs.readFileSync(path.join(dir, p));
            buffers.push(b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength));
          }
        }
        return [specs, tf.io.concatenateArrayBuffers(buffers)];
      });
    },
  };
}

async function runJob(job) {
  const model = await tfl.loadLayersModel(fileHandler(job.dir));
  const inputs = job.inputs.map((spec) => {
    const b = fs.readFileSync(spec.path);
    const Ctor = spec.dtype === 'int32' ? Int32Array : Float32Array;
    const values = new Ctor(b.buffer, b.byteOffset, b.byteLength / 4);
    return tf.tensor(values, spec.shape, spec.dtype || 'float32');
  });
  let outputs;
  try {
    outputs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    if (!Array.isArray(outputs)) outputs = [outputs];
    const shapes = [];
    for (const [i, t] of outputs.entries()) {
      const data = await t.data();
      fs.writeFileSync(`${job.output}.${i}.f32`, Buffer.from(new Float32Array(data).buffer));
      shapes.push({ shape: t.shape });
    }
    return { outputs: shapes };
  } finally {
    tf.dispose(inputs);
    if (outputs) tf.dispose(outputs);
    model.dispose();
  }
}

// Several models in one Node process (loading TF.js costs about a second): a job that
// fails reports its error and the others still run.
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
