// Input kinds and their steps: one module per kind, one table of kinds, loaded only for the
// kinds the bundle has. The same kinds, steps and parameter defaults as clientside/steps/
// in Python (a test keeps them equal). Each kind module exports STEPS ({op: {params, run}})
// and prepare(spec, items, name) -> {data: Float32Array | Int32Array, shape} for the whole batch.
export { InputError, typedArray, typedFrom } from './common.js';

export const KINDS = {
  image: () => import('./image.js'),
  text: () => import('./text.js'),
  table: () => import('./table.js'),
  tensor: () => import('./tensor.js'),
  audio: () => import('./audio.js'),
};

const loaded = {};

// The modules of these kinds, loaded once each.
export async function loadKinds(names) {
  await Promise.all([...new Set(names)].map(async (name) => {
    if (!KINDS[name]) throw new Error(`unknown input kind ${name}; expected one of ${Object.keys(KINDS).join(', ')}`);
    loaded[name] ??= await KINDS[name]();
  }));
}

export function kind(name) {
  const module = loaded[name];
  if (!module) throw new Error(`the steps of "${name}" inputs are not loaded (loadKinds first)`);
  return module;
}

// {kind: {op: {param: default}}}: what Python's step_table() must equal.
export async function stepTable() {
  await loadKinds(Object.keys(KINDS));
  const out = {};
  for (const name of Object.keys(KINDS)) {
    out[name] = {};
    for (const op of Object.keys(loaded[name].STEPS).sort()) out[name][op] = loaded[name].STEPS[op].params;
  }
  return out;
}
