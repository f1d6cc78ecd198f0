// Text inputs: a string -> token ids, exactly as clientside/steps/text.py (and Keras) do.
//   TextVectorization: standardize (ASCII-only lowering, as TF's tf.strings.lower; Keras's
//   punctuation set), split (TF's six ASCII whitespace characters), vocabulary ("" and
//   "[UNK]" first), pad at the end.
//   Tokenizer + pad_sequences: tokenize (full Unicode lowering, as Python's str.lower),
//   word_index (1-based, unknown words dropped or the OOV id), pad at the front.
import { InputError, runStep, typedArray } from './common.js';

const KERAS_PUNCTUATION = /[!"#$%&()*+,\-./:;<=>?@[\\\]^_`{|}~']/g;
const TF_WHITESPACE = /[ \t\n\v\f\r]+/;
const TOKENIZER_FILTERS = '!"#$%&()*+,-./:;<=>?@[\\]^_`{|}~\t\n';
const MODES = ['lower_and_strip_punctuation', 'lower', 'strip_punctuation'];
const SIDES = ['pre', 'post'];

// word -> first position, built once per vocabulary (the contract's arrays live as long as it)
const indexes = new WeakMap();
function indexOf(list) {
  let index = indexes.get(list);
  if (!index) {
    index = new Map();
    if (Array.isArray(list)) list.forEach((t, i) => { if (!index.has(t)) index.set(t, i); });
    else for (const [w, i] of Object.entries(list)) index.set(w, i);
    indexes.set(list, index);
  }
  return index;
}

export const STEPS = {
  standardize: {
    params: { mode: 'lower_and_strip_punctuation' },
    run(text, { mode }) {
      if (!MODES.includes(mode)) throw new Error(`mode must be one of ${MODES.join(', ')}. Received: ${mode}`);
      let out = text;
      if (mode !== 'strip_punctuation') out = out.replace(/[A-Z]+/g, (s) => s.toLowerCase());
      if (mode !== 'lower') out = out.replace(KERAS_PUNCTUATION, '');
      return out;
    },
  },
  split: {
    params: { on: 'whitespace' },
    run(text, { on }) {
      if (on !== 'whitespace') throw new Error(`on must be 'whitespace'. Received: ${on}`);
      return text.split(TF_WHITESPACE).filter((t) => t);
    },
  },
  vocabulary: {
    params: { tokens: [], oov_token: '[UNK]' },
    run(words, { tokens, oov_token: oovToken }) {
      const index = indexOf(tokens);
      const oov = index.get(oovToken);
      return words.map((w) => (index.has(w) ? index.get(w) : oov));
    },
  },
  tokenize: {
    params: { filters: TOKENIZER_FILTERS, lower: true, split: ' ' },
    run(text, { filters, lower, split }) {
      const drop = new Set(filters);
      let out = lower ? text.toLowerCase() : text;
      out = Array.from(out, (c) => (drop.has(c) ? split : c)).join('');
      return out.split(split).filter((t) => t);
    },
  },
  word_index: {
    params: { index: null, num_words: null, oov_token: null },
    run(words, { index, num_words: numWords, oov_token: oovToken }) {
      const map = indexOf(index || {});
      const oov = oovToken !== null && map.has(oovToken) ? map.get(oovToken) : null;
      const ids = [];
      for (const w of words) {
        const i = map.get(w);
        if (i !== undefined && (numWords === null || i < numWords)) ids.push(i);
        else if (oov !== null) ids.push(oov);
      }
      return ids;
    },
  },
  pad: {
    params: { length: null, padding: 'post', truncating: 'post', value: 0 },
    run(ids, { length, padding, truncating, value }) {
      if (!SIDES.includes(padding) || !SIDES.includes(truncating)) {
        throw new Error(`padding and truncating must be 'pre' or 'post'. Received: ${padding}, ${truncating}`);
      }
      if (length === null) return ids;
      let out = ids;
      if (out.length > length) out = truncating === 'post' ? out.slice(0, length) : out.slice(out.length - length);
      const fill = new Array(length - out.length).fill(value);
      return padding === 'post' ? out.concat(fill) : fill.concat(out);
    },
  },
};

export function run(text, steps) {
  return steps.reduce((value, step) => runStep(STEPS, value, step), text);
}

// Whether the pad step cut this text to the model's length: {used, total, kept: 'first' |
// 'last'} (the words it kept), or null. The page says so, rather than predicting on part
// of a text without a word.
export function truncation(text, steps) {
  const at = steps.map((s) => s.op).lastIndexOf('pad');
  const length = at < 0 ? null : steps[at].length ?? null;
  if (length === null) return null;
  const total = run(text, steps.slice(0, at)).length;
  if (total <= length) return null;
  return { used: length, total, kept: (steps[at].truncating ?? 'post') === 'post' ? 'first' : 'last' };
}

// Texts -> one batch of ids; rows padded at the end with 0 when the model takes any length.
export function prepare(spec, texts) {
  const rows = texts.map((t, i) => {
    if (typeof t !== 'string') throw new InputError(`${spec.name}[${i}]: expected a string`);
    return run(t, spec.steps || []);
  });
  const fixed = spec.shape.length > 1 ? spec.shape[1] : null;
  const length = fixed ?? Math.max(1, ...rows.map((r) => r.length));
  const data = typedArray(spec.dtype, rows.length * length);
  rows.forEach((r, i) => {
    if (fixed !== null && r.length !== fixed) {
      throw new InputError(`${spec.name}[${i}]: the steps made ${r.length} ids, the model takes ${fixed} (add a pad step)`);
    }
    data.set(r, i * length);
  });
  return { data, shape: [rows.length, length] };
}
