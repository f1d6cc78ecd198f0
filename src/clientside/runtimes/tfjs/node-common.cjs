// What the two TF.js runners under Node (layers: tfjs/predict.cjs, graph: tfjs_graph/predict.cjs)
// share: the request, npm names resolved to the page's own TF.js files, a model's JSON and
// shards read from disk as the page's loader reads them, inputs, and the loop over jobs.
'use strict';
const fs = require('fs');
const Module = require('module');
const path = require('path');

// REQUEST.modules maps npm names to the files to load for them (the page's own TF.js files,
// from a wheel or node_modules): no npm install is needed beside the scripts. Call before
// requiring TF.js.
function readRequest(file) {
  const request = JSON.parse(fs.readFileSync(file, 'utf8'));
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
  return request;
}

// The JSON and its shards from disk, through TF.js's own manifest decoding
// (getModelArtifactsForJSON), as the browser's loader does.
function fileHandler(tf, file) {
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

// An input written by the Python side: raw little-endian float32 or int32.
function readInput(tf, spec) {
  const b = fs.readFileSync(spec.path);
  const Ctor = spec.dtype === 'int32' ? Int32Array : Float32Array;
  return tf.tensor(new Ctor(b.buffer, b.byteOffset, b.byteLength / 4), spec.shape, spec.dtype || 'float32');
}

async function writeOutputs(prefix, outputs) {
  const shapes = [];
  for (const [i, t] of outputs.entries()) {
    fs.writeFileSync(`${prefix}.${i}.f32`, Buffer.from(new Float32Array(await t.data()).buffer));
    shapes.push({ shape: t.shape, dtype: t.dtype });
  }
  return shapes;
}

// Several models in one Node process (loading TF.js costs about a second): a job that fails
// reports its error and the others still run. Prints {"results": [...], "backend"} as JSON.
function main(tf, request, runJob) {
  (async () => {
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
  })().catch((err) => {
    process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
    process.exit(1);
  });
}

module.exports = { readRequest, fileHandler, readInput, writeOutputs, main };
