// Input kinds and their steps: one module per kind, one table of kinds, loaded only for the
// kinds the bundle has. The same kinds, steps and parameter defaults as clientside/steps/
// in Python (a test keeps them equal). Each kind module exports STEPS ({op: {params, run}})
// and prepare(spec, items, name) -> {data: Float32Array | Int32Array, shape} for the whole batch.
import { kindTable } from '../kind-table.js';

export { InputError, typedArray, typedFrom } from './common.js';

export const KINDS = {
  image: () => import('./image.js'),
  text: () => import('./text.js'),
  table: () => import('./table.js'),
  tensor: () => import('./tensor.js'),
  audio: () => import('./audio.js'),
};

const kinds = kindTable(KINDS, (name) => `steps of "${name}" inputs`);

export const loadKinds = (names) => kinds.load(names);
export const kind = (name) => kinds.get(name);

// {kind: {op: {param: default}}}: what Python's step_table() must equal.
export async function stepTable() {
  await loadKinds(Object.keys(KINDS));
  const out = {};
  for (const name of Object.keys(KINDS)) {
    out[name] = {};
    for (const op of Object.keys(kind(name).STEPS).sort()) out[name][op] = kind(name).STEPS[op].params;
  }
  return out;
}
