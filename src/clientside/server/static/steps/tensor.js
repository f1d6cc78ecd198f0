// Tensor inputs: arrays of the model's item shape, for anything no other kind fits.
import { InputError, typedArray } from './common.js';

export const STEPS = {};

function shapeOf(value) {
  const shape = [];
  for (let v = value; Array.isArray(v); v = v[0]) shape.push(v.length);
  return shape;
}

export function prepare(spec, items) {
  const want = spec.shape.slice(1);
  const flat = [];
  let shape = null;
  items.forEach((item, i) => {
    const got = shapeOf(item);
    const values = Array.isArray(item) ? item.flat(Infinity) : [item];
    const size = got.reduce((a, b) => a * b, 1);
    const fits = got.length === want.length && want.every((d, k) => d === null || d === got[k]);
    if (!fits || values.length !== size) {
      throw new InputError(`${spec.name}[${i}]: expected shape [${want.map((d) => d ?? 'any').join(', ')}], got [${got.join(', ')}]`);
    }
    if (!values.every((v) => typeof v === 'number' && Number.isFinite(v))) {
      throw new InputError(`${spec.name}[${i}]: expected finite numbers`);
    }
    if (shape && shape.join() !== got.join()) throw new InputError(`${spec.name}: the arrays have different shapes`);
    shape = got;
    flat.push(...values);
  });
  const data = typedArray(spec.dtype, flat.length);
  data.set(flat);
  return { data, shape: [items.length, ...shape] };
}
