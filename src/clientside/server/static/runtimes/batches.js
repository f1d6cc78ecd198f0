// A model whose batch is fixed (often 1: ONNX files and TF.js graph models from other tools,
// Keras's masked RNNs), or that takes a recurrent state, runs slice by slice; the outputs are
// concatenated. The same rule as Python's verify.fixed_batch and in_batches.
//   inBatches(contract, runOnce) -> async (feeds) -> outputs

// Constants (a sampling rate, a recurrent state) go to every slice as they are.
function slice(feeds, start, count, whole) {
  const out = {};
  for (const [name, { data, shape }] of Object.entries(feeds)) {
    if (whole.has(name)) { out[name] = { data, shape }; continue; }
    const row = shape.slice(1).reduce((a, b) => a * b, 1);
    out[name] = { data: data.slice(start * row, (start + count) * row), shape: [count, ...shape.slice(1)] };
  }
  return out;
}

// A scalar output (shape []) becomes one value per slice.
function concat(parts) {
  const out = {};
  for (const name of Object.keys(parts[0])) {
    const total = parts.reduce((n, p) => n + p[name].data.length, 0);
    const data = new Float32Array(total);
    let at = 0;
    for (const p of parts) { data.set(p[name].data, at); at += p[name].data.length; }
    const rows = parts.reduce((n, p) => n + (p[name].shape.length ? p[name].shape[0] : 1), 0);
    out[name] = { data, shape: [rows, ...parts[0][name].shape.slice(1)] };
  }
  return out;
}

// A constant with a free size (a recurrent state, [2, any, 128]) makes the batch 1: each
// item runs alone, from the state's start, as the framework runs one item.
export function fixedBatch(contract) {
  if (contract.inputs.some((s) => s.value !== undefined && s.shape.includes(null))) return 1;
  const first = contract.inputs.find((s) => s.value === undefined);
  return first && typeof first.shape[0] === 'number' ? first.shape[0] : null;
}

export function inBatches(contract, runOnce) {
  const batch = fixedBatch(contract);
  const whole = new Set(contract.inputs.filter((s) => s.value !== undefined).map((s) => s.name));
  const first = contract.inputs.find((s) => s.value === undefined);
  return async (feeds) => {
    const rows = feeds[first.name].shape[0];
    if (batch === null || rows === batch || rows % batch) return runOnce(feeds);
    const parts = [];
    for (let start = 0; start < rows; start += batch) parts.push(await runOnce(slice(feeds, start, batch, whole)));
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
