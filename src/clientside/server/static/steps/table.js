// Table inputs: a row of named fields -> the model's feature vector, exactly as
// clientside/steps/table.py: each step encodes one feature into one or more columns, laid
// side by side in step order. A number step with `missing: true` reads an empty cell as NaN.
import { InputError, runStep, typedArray } from './common.js';

// What counts as a number, on both sides (Number() alone would take '', '0x1f', 'Infinity').
const NUMBER = /^[ \t]*[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?[ \t]*$/;

export class FieldError extends InputError {
  constructor(column, message) {
    super(`column '${column}': ${message}`);
    this.column = column;
  }
}

function field(row, feature) {
  if (!Object.prototype.hasOwnProperty.call(row, feature)) throw new FieldError(feature, 'missing');
  return row[feature];
}

// A cell as messages quote it, the same on both sides: strings in quotes, else JSON.
const show = (value) => (typeof value === 'string' ? `'${value}'` : JSON.stringify(value));

// A missing value: an empty cell (nothing but spaces and tabs), JSON null, or NaN.
export const empty = (value) => value === null || Number.isNaN(value)
  || (typeof value === 'string' && /^[ \t]*$/.test(value));

// The cell's number; an empty one is NaN where the feature takes missing values (the
// contract's `missing: true`: the model handles NaN), else refused.
export function number(row, feature, missing = false) {
  const value = field(row, feature);
  if (empty(value)) {
    if (missing) return NaN;
    throw new FieldError(feature, 'empty, and this model takes no missing value here: fill it in');
  }
  let n;
  if (typeof value === 'string' && NUMBER.test(value)) n = Number(value);
  else if (typeof value === 'number') n = value;
  else throw new FieldError(feature, `expected a number, got ${show(value)}`);
  if (!Number.isFinite(n)) throw new FieldError(feature, `expected a finite number, got ${show(value)}`);
  return n;
}

function category(row, feature, categories) {
  const value = field(row, feature);
  const text = typeof value === 'string' ? value.replace(/^[ \t]+|[ \t]+$/g, '') : String(value);
  if (!categories.includes(text)) {
    throw new FieldError(feature, `unknown category '${text}'; expected one of ${categories.map(show).join(', ')}`);
  }
  return text;
}

export const STEPS = {
  standardize: {
    params: { feature: '', mean: 0.0, std: 1.0, missing: false },
    run: (row, { feature, mean, std, missing }) => [(number(row, feature, missing) - mean) / std],
  },
  min_max: {
    params: { feature: '', min: 0.0, max: 1.0, missing: false },
    run: (row, { feature, min, max, missing }) => [(number(row, feature, missing) - min) / (max - min)],
  },
  one_hot: {
    params: { feature: '', categories: [] },
    run(row, { feature, categories }) {
      const value = category(row, feature, categories);
      return categories.map((c) => (c === value ? 1 : 0));
    },
  },
  pass: {
    params: { feature: '', missing: false },
    run: (row, { feature, missing }) => [number(row, feature, missing)],
  },
};

// The form's fields: one per feature a step reads, with what the contract says of it.
export function features(spec) {
  const declared = new Map((spec.features || []).map((f) => [f.name, f]));
  return (spec.steps || []).map((s) => ({
    name: s.feature,
    ...(s.op === 'one_hot' ? { type: 'category', options: [...s.categories] }
      : { type: 'number', missing: Boolean(s.missing) }),
    ...(declared.get(s.feature) || {}),
  }));
}

export function encode(row, steps) {
  if (row === null || typeof row !== 'object' || Array.isArray(row)) {
    throw new InputError('expected an object of column -> value');
  }
  return steps.flatMap((step) => runStep(STEPS, row, step));
}

// Rows -> one batch; where(i) says how a message names row i ("rows[3]", "line 5").
export function prepare(spec, rows, where = (i) => `${spec.name}[${i}]`) {
  const width = spec.steps.reduce((n, s) => n + (s.op === 'one_hot' ? s.categories.length : 1), 0);
  const data = typedArray(spec.dtype, rows.length * width);
  rows.forEach((row, i) => {
    try {
      data.set(encode(row, spec.steps), i * width);
    } catch (err) {
      if (err instanceof InputError) throw new InputError(`${where(i)}: ${err.message}`);
      throw err;
    }
  });
  return { data, shape: [rows.length, width] };
}
