// Run an ONNX model in onnxruntime-web's wasm build under Node: the browser's own runtime.
// Usage: node predict.cjs REQUEST.json
// REQUEST: {"ort": path of ort.wasm.min.js, "model": path of the .onnx file, "output": "out_prefix",
//           "external": [{"path": the name the graph gives its weights, "file": their path}] (external data),
//           "batch": the model's fixed batch size or null (then it runs slice by slice, as the page does),
//           "inputs": [{"name": "x", "path": "x.bin", "shape": [n, ...], "dtype": "float32" | "float64" | "int32" | "int64",
//                       "whole": true for a constant (a scalar, a recurrent state): fed as it is to every slice}]}
// Writes out_prefix.<i>.f32 for each output (as float32), prints {"outputs": [{name, shape}]}.
'use strict';
const fs = require('fs');

const request = JSON.parse(fs.readFileSync(process.argv[2], 'utf8'));
const ort = require(request.ort);

function read({ path, dtype }) {
  const bytes = fs.readFileSync(path);
  const buffer = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
  if (dtype === 'int64') return new BigInt64Array(buffer);
  if (dtype === 'int32') return new Int32Array(buffer);
  if (dtype === 'float64') return new Float64Array(buffer);
  return new Float32Array(buffer);
}

async function run(session, inputs, start, count) {
  const feeds = {};
  for (const input of inputs) {
    if (input.whole) {
      feeds[input.name] = new ort.Tensor(input.dtype, input.values, input.shape);
      continue;
    }
    const row = input.shape.slice(1).reduce((a, b) => a * b, 1);
    feeds[input.name] = new ort.Tensor(input.dtype, input.values.slice(start * row, (start + count) * row),
      [count, ...input.shape.slice(1)]);
  }
  const results = await session.run(feeds);
  return session.outputNames.map((name) => {
    const t = results[name];
    return { data: t.data instanceof Float32Array ? t.data : Float32Array.from(t.data, Number), dims: t.dims };
  });
}

(async () => {
  ort.env.wasm.numThreads = 1;
  const externalData = (request.external || []).map((f) => ({ path: f.path, data: new Uint8Array(fs.readFileSync(f.file)) }));
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(request.model)),
    externalData.length ? { externalData } : {});
  const inputs = request.inputs.map((input) => ({ ...input, values: read(input) }));
  const rows = inputs.find((input) => !input.whole).shape[0];
  const batch = request.batch && rows % request.batch === 0 ? request.batch : rows;
  const parts = [];
  for (let start = 0; start < rows; start += batch) parts.push(await run(session, inputs, start, batch));
  const outputs = session.outputNames.map((name, i) => {
    const pieces = parts.map((p) => p[i]);
    const data = new Float32Array(pieces.reduce((n, p) => n + p.data.length, 0));
    let at = 0;
    for (const p of pieces) { data.set(p.data, at); at += p.data.length; }
    fs.writeFileSync(`${request.output}.${i}.f32`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    const shape = pieces.length === 1 ? pieces[0].dims  // a scalar output: one value per slice
      : [pieces.reduce((n, p) => n + (p.dims.length ? p.dims[0] : 1), 0), ...pieces[0].dims.slice(1)];
    return { name, shape };
  });
  process.stdout.write(JSON.stringify({ outputs }));
})().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
