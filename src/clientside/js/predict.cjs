// Run a TF.js layers model under Node (pure JS or wasm backend) on raw float32 inputs.
// Usage: node predict.cjs MODEL_DIR REQUEST.json
// REQUEST: {"inputs": [{"path": "x.f32", "shape": [n, ...], "dtype": "float32"}],
//           "output": "out_prefix", "backend": "cpu" | "wasm"}
// Writes out_prefix.<i>.f32 for each model output and prints {"outputs": [{shape}]} as JSON.
'use strict';
const fs = require('fs');
const path = require('path');
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

async function main() {
  const [dir, requestPath] = process.argv.slice(2);
  const request = JSON.parse(fs.readFileSync(requestPath, 'utf8'));
  const backend = request.backend || 'cpu';
  if (backend === 'wasm') {
    require('@tensorflow/tfjs-backend-wasm');
  }
  if (!(await tf.setBackend(backend))) throw new Error(`backend ${backend} unavailable`);
  await tf.ready();
  const model = await tfl.loadLayersModel(fileHandler(dir));
  const inputs = request.inputs.map((spec) => {
    const b = fs.readFileSync(spec.path);
    const Ctor = spec.dtype === 'int32' ? Int32Array : Float32Array;
    const values = new Ctor(b.buffer, b.byteOffset, b.byteLength / 4);
    return tf.tensor(values, spec.shape, spec.dtype || 'float32');
  });
  let outputs = model.predict(inputs.length === 1 ? inputs[0] : inputs);
  if (!Array.isArray(outputs)) outputs = [outputs];
  const shapes = [];
  for (const [i, t] of outputs.entries()) {
    const data = await t.data();
    fs.writeFileSync(`${request.output}.${i}.f32`, Buffer.from(new Float32Array(data).buffer));
    shapes.push({ shape: t.shape });
  }
  tf.dispose([...inputs, ...outputs]);
  process.stdout.write(JSON.stringify({ outputs: shapes, backend: tf.getBackend() }));
}

main().catch((err) => {
  process.stderr.write(`${err && err.stack ? err.stack : err}\n`);
  process.exit(1);
});
