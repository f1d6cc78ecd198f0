// Run TF.js graph models under Node (pure JS or wasm backend), with the page's own TF.js files.
// Usage: node predict.cjs REQUEST.json
// REQUEST: {"backend": "cpu" | "wasm", "modules": {npm name: file}, "jobs": [{"file": MODEL_JSON,
//           "output": "out_prefix", "inputs": [{"name": ..., "path": "x.bin", "shape": [n, ...],
//           "dtype": "float32" | "int32"}]}]}
// A job with no inputs only describes the model. Writes out_prefix.<i>.f32 for each output;
// prints {"results": [{"inputs": [...], "outputs": [...], "async": bool}]} as JSON.
'use strict';
const { readRequest, fileHandler, readInput, writeOutputs, main } = require('../tfjs/node-common.cjs');

const request = readRequest(process.argv[2]);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfc = require('@tensorflow/tfjs-converter');

const described = (list) => list.map((x) => ({ name: x.name, dtype: x.dtype, shape: x.shape }));

async function runJob(job) {
  const model = await tfc.loadGraphModel(fileHandler(tf, job.file));
  const about = { inputs: described(model.inputs), outputs: described(model.outputs) };
  if (!job.inputs.length) {
    model.dispose();
    return about;
  }
  const feeds = Object.fromEntries(job.inputs.map((spec) => [spec.name, readInput(tf, spec)]));
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
    const shapes = await writeOutputs(job.output, outputs);
    return { ...about, outputs: about.outputs.map((o, i) => ({ ...o, ...shapes[i] })), async };
  } finally {
    tf.dispose(Object.values(feeds));
    if (outputs) tf.dispose(outputs);
    model.dispose();
  }
}

main(tf, request, runJob);
