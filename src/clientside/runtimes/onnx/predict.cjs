// Run an ONNX bundle in onnxruntime-web's wasm build under Node: the browser's own runtime.
// Usage: node onnx_predict.cjs REQUEST.json
// REQUEST: {"ort": path of ort.wasm.min.js, "model": path of the .onnx file, "output": "out_prefix",
//           "inputs": [{"name": "x", "path": "x.bin", "shape": [n, ...], "dtype": "float32" | "int32" | "int64"}]}
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
  return new Float32Array(buffer);
}

(async () => {
  ort.env.wasm.numThreads = 1;
  const session = await ort.InferenceSession.create(new Uint8Array(fs.readFileSync(request.model)));
  const feeds = {};
  for (const input of request.inputs) feeds[input.name] = new ort.Tensor(input.dtype, read(input), input.shape);
  const results = await session.run(feeds);
  const outputs = session.outputNames.map((name, i) => {
    const t = results[name];
    const data = t.data instanceof Float32Array ? t.data : Float32Array.from(t.data, Number);
    fs.writeFileSync(`${request.output}.${i}.f32`, Buffer.from(data.buffer, data.byteOffset, data.byteLength));
    return { name, shape: t.dims };
  });
  process.stdout.write(JSON.stringify({ outputs }));
})().catch((err) => {
  process.stderr.write(String(err && err.stack ? err.stack : err));
  process.exit(1);
});
