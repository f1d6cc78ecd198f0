// What every kind's steps share (a module of its own: the kinds import it, and the table of
// kinds in index.js imports them).

export class InputError extends Error {}

// One step: its declared defaults, overridden by the step's own parameters.
export function runStep(registry, value, { op, ...params }) {
  const step = registry[op];
  if (!step) throw new Error(`unknown step ${op}. Known steps: ${Object.keys(registry).sort().join(', ')}`);
  return step.run(value, { ...step.params, ...params });
}

// int64 inputs are built as Int32Array too (token ids and the like fit); the runtime widens them.
// float64: a table for a graph that compares in double (LightGBM), as JavaScript's numbers are.
const ARRAYS = { int32: Int32Array, int64: Int32Array, uint8: Int32Array, float64: Float64Array };

export function typedArray(dtype, length) {
  return new (ARRAYS[dtype] || Float32Array)(length);
}

// The values as the contract's dtype holds them (null, as JSON writes NaN: a missing value).
export function typedFrom(dtype, values) {
  const Type = ARRAYS[dtype] || Float32Array;
  return Type === Int32Array ? Int32Array.from(values) : Type.from(values, (v) => (v === null ? NaN : v));
}
