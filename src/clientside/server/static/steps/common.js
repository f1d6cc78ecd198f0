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
export function typedArray(dtype, length) {
  return dtype === 'int32' || dtype === 'int64' || dtype === 'uint8' ? new Int32Array(length) : new Float32Array(length);
}
