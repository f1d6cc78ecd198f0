// Run a TF.js layers model under Node (pure JS or wasm backend) on raw float32 inputs.
// Usage: node predict.cjs REQUEST.json
// REQUEST: {"backend": "cpu" | "wasm", "modules": {npm name: file}, "jobs": [{"dir": MODEL_DIR, "output": "out_prefix",
//           "inputs": [{"path": "x.bin", "shape": [n, ...], "dtype": "float32" | "int32"}]}]}
// Writes out_prefix.<i>.f32 for each output of each job; prints {"results": [...]} as JSON.
'use strict';
const path = require('path');
const { readRequest, fileHandler, readInput, writeOutputs, main } = require('./node-common.cjs');

const request = readRequest(process.argv[2]);
const tf = require('@tensorflow/tfjs-core');
require('@tensorflow/tfjs-backend-cpu');
const tfl = require('@tensorflow/tfjs-layers');

async function runJob(job) {
  const model = await tfl.loadLayersModel(fileHandler(tf, path.join(job.dir, 'model.json')));
  const inputs = job.inputs.map((spec) => readInput(tf, spec));
  let outputs;
  try {
    outputs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
    if (!Array.isArray(outputs)) outputs = [outputs];
    return { outputs: (await writeOutputs(job.output, outputs)).map(({ shape }) => ({ shape })) };
  } finally {
    tf.dispose(inputs);
    if (outputs) tf.dispose(outputs);
    model.dispose();
  }
}

main(tf, request, runJob);
