// Input kinds and their steps: one module per kind, one table of kinds. The same kinds,
// steps and parameter defaults as clientside/steps/ in Python (a test keeps them equal).
// Each kind module exports STEPS ({op: {params, run}}) and prepare(spec, items, name)
// -> {data: Float32Array | Int32Array, shape} for the whole batch.
import * as audio from './audio.js';
import * as image from './image.js';
import * as table from './table.js';
import * as tensor from './tensor.js';
import * as text from './text.js';

export { InputError, typedArray, typedFrom } from './common.js';

export const KINDS = { image, text, table, tensor, audio };

export function kind(name) {
  const module = KINDS[name];
  if (!module) throw new Error(`unknown input kind ${name}; expected one of ${Object.keys(KINDS).join(', ')}`);
  return module;
}

// {kind: {op: {param: default}}}: what Python's step_table() must equal.
export function stepTable() {
  const out = {};
  for (const [name, module] of Object.entries(KINDS)) {
    out[name] = {};
    for (const op of Object.keys(module.STEPS).sort()) out[name][op] = module.STEPS[op].params;
  }
  return out;
}
