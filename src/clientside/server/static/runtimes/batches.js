// A model whose batch is fixed (often 1: ONNX files and TF.js graph models from other tools,
// Keras's masked RNNs) runs slice by slice; the outputs are concatenated.
//   inBatches(contract, runOnce) -> async (feeds) -> outputs

function slice(feeds, start, count) {
  const out = {};
  for (const [name, { data, shape }] of Object.entries(feeds)) {
    const row = shape.slice(1).reduce((a, b) => a * b, 1);
    out[name] = { data: data.slice(start * row, (start + count) * row), shape: [count, ...shape.slice(1)] };
  }
  return out;
}

function concat(parts) {
  const out = {};
  for (const name of Object.keys(parts[0])) {
    const total = parts.reduce((n, p) => n + p[name].data.length, 0);
    const data = new Float32Array(total);
    let at = 0;
    for (const p of parts) { data.set(p[name].data, at); at += p[name].data.length; }
    const rows = parts.reduce((n, p) => n + p[name].shape[0], 0);
    out[name] = { data, shape: [rows, ...parts[0][name].shape.slice(1)] };
  }
  return out;
}

export function inBatches(contract, runOnce) {
  const batch = typeof contract.inputs[0].shape[0] === 'number' ? contract.inputs[0].shape[0] : null;
  return async (feeds) => {
    const rows = feeds[contract.inputs[0].name].shape[0];
    if (batch === null || rows === batch || rows % batch) return runOnce(feeds);
    const parts = [];
    for (let start = 0; start < rows; start += batch) parts.push(await runOnce(slice(feeds, start, batch)));
    return concat(parts);
  };
}

// The values an input of the contract's dtype holds: whole numbers for integer inputs (a
// resized picture fed to an int32 or uint8 input is rounded, as PIL rounds), 0..255 for uint8.
export function integers(spec, data) {
  if (spec.dtype === 'uint8') return Int32Array.from(data, (v) => Math.min(255, Math.max(0, Math.round(v))));
  if (data instanceof Int32Array) return data;
  return Int32Array.from(data, Math.round);
}
