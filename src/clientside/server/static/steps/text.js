// Text inputs: a string -> token ids, exactly as clientside/steps/text.py (and Keras) do.
//   TextVectorization: standardize (ASCII-only lowering, as TF's tf.strings.lower; Keras's
//   punctuation set), split (TF's six ASCII whitespace characters), vocabulary ("" and
//   "[UNK]" first), pad at the end.
//   Tokenizer + pad_sequences: tokenize (full Unicode lowering, as Python's str.lower),
//   word_index (1-based, unknown words dropped or the OOV id), pad at the front.
//   A Hugging Face tokenizer.json (tokenizer, the only step): npm @huggingface/tokenizers, the
//   file's padding off and its truncation replaced by the step's max_length, as
//   clientside/steps/tokenizer_json.py does; the ids, and the parts other inputs take
//   (attention_mask, token_type_ids).
import { InputError, runStep, typedArray } from './common.js';

import { contentWithOffsets } from './tokenizer-json.js';

export { createTokenizer } from './tokenizer-json.js';

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

// A bundle's tokenizer.json files, by name (tokenizer.<sha256>.json), once loaded:
// useTokenizer(name, new Tokenizer(json, {})) (the worker does it when the model loads).
const TOKENIZERS = new Map();
export const useTokenizer = (name, tokenizer) => TOKENIZERS.set(name, tokenizer);
export const tokenizerOf = (spec) => TOKENIZERS.get(tokenizerFiles(spec)[0]);
export const tokenizerFiles = (spec) => (spec.steps || []).filter((s) => s.op === 'tokenizer').map((s) => s.file);

// HF tokenizers' truncation: the text's own tokens cut to max_length less the special
// tokens the post-processor adds, then the specials added.
function encode(tok, text, maxLength, side, withOffsets = false) {
  let tokens = tok.encode_text(text);
  let spans = null;
  if (withOffsets) {
    const found = contentWithOffsets(tok, text);
    if (found.tokens.length !== tokens.length || found.tokens.some((t, i) => t !== tokens[i])) {
      throw new Error('the token offsets could not be aligned (the tokens differ)');
    }
    spans = found.offsets;
  }
  const processed = (list) => (tok.post_processor ? tok.post_processor(list, null, true)
    : { tokens: list, token_type_ids: new Array(list.length).fill(0) });
  let out = processed(tokens);
  const total = out.tokens.length;
  if (maxLength !== null && total > maxLength) {
    const keep = Math.max(0, maxLength - (total - tokens.length));
    const from = side === 'right' ? 0 : tokens.length - keep;
    tokens = tokens.slice(from, from + keep);
    if (spans) spans = spans.slice(from, from + keep);
    out = processed(tokens);
  }
  const ids = out.tokens.map((t) => tok.added_tokens_map.get(t)?.id ?? tok.model.tokens_to_ids.get(t) ?? tok.model.unk_token_id);
  const encoded = {
    ids,
    attention_mask: new Array(ids.length).fill(1),
    token_type_ids: out.token_type_ids ?? new Array(ids.length).fill(0),
    tokens: out.tokens,
    total,
  };
  if (spans) Object.assign(encoded, placed(out.tokens, tokens, spans));
  return encoded;
}

// The content tokens' offsets placed among the post-processor's tokens ([CLS] ... [SEP]):
// the specials get [0, 0] and special 1, as Python's offsets and special_tokens_mask.
function placed(all, content, spans) {
  let at = 0;
  while (at + content.length <= all.length && content.some((t, i) => all[at + i] !== t)) at += 1;
  const offsets = all.map(() => [0, 0]);
  const special = all.map(() => 1);
  content.forEach((_, i) => { offsets[at + i] = spans[i]; special[at + i] = 0; });
  return { offsets, special };
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
  tokenizer: {
    params: { file: null, max_length: null, truncation_side: 'right', pad_id: 0, offsets: false },
    run(text, { file, max_length: maxLength, truncation_side: side, offsets }) {
      if (!['right', 'left'].includes(side)) throw new Error(`truncation_side must be 'right' or 'left'. Received: ${side}`);
      const tok = TOKENIZERS.get(file);
      if (!tok) throw new Error(`the tokenizer file ${file} is not loaded (it is read with its bundle)`);
      return encode(tok, text, maxLength, side, offsets);
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
// A tokenizer step's count (its tokens before truncation) comes with the prepared input: the
// tokenizer itself lives in the worker.
export function truncation(text, steps, tokens = null) {
  if (isTokenized(steps)) {
    const { max_length: used = null, truncation_side: side = 'right' } = steps[steps.length - 1];
    if (used === null || tokens === null || tokens <= used) return null;
    return { used, total: tokens, kept: side === 'right' ? 'first' : 'last', unit: 'tokens' };
  }
  const at = steps.map((s) => s.op).lastIndexOf('pad');
  const length = at < 0 ? null : steps[at].length ?? null;
  if (length === null) return null;
  const total = run(text, steps.slice(0, at)).length;
  if (total <= length) return null;
  return { used: length, total, kept: (steps[at].truncating ?? 'post') === 'post' ? 'first' : 'last' };
}

const isTokenized = (steps) => steps.length > 0 && steps[steps.length - 1].op === 'tokenizer';

function texts(spec, items) {
  items.forEach((t, i) => { if (typeof t !== 'string') throw new InputError(`${spec.name}[${i}]: expected a string`); });
  return items;
}

// Texts through a tokenizer step -> the ids batch, with parts {attention_mask, token_type_ids}
// of the same shape: padded at the end to the longest line (pad_id, mask 0, type 0).
function encodeBatch(spec, items) {
  const step = spec.steps[spec.steps.length - 1];
  let encoded;
  try {
    encoded = texts(spec, items).map((t) => run(t, spec.steps));
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError(`${spec.name}: ${err.message}`);
  }
  const fixed = spec.shape.length > 1 ? spec.shape[1] : null;
  const length = fixed ?? Math.max(1, ...encoded.map((e) => e.ids.length));
  const batch = (key, fill) => {
    const data = typedArray(spec.dtype, encoded.length * length).fill(fill);
    encoded.forEach((e, i) => data.set(e[key], i * length));
    return { data, shape: [encoded.length, length] };
  };
  const ids = batch('ids', step.pad_id ?? 0);
  ids.parts = { attention_mask: batch('attention_mask', 0), token_type_ids: batch('token_type_ids', 0) };
  ids.totals = encoded.map((e) => e.total);  // for the page's "truncated to N tokens"
  if (step.offsets) {  // for the spans it finds: [start, end) in code points, specials marked
    ids.offsets = encoded.map((e) => e.offsets);
    ids.special = encoded.map((e) => e.special);
    ids.tokens = encoded.map((e) => e.tokens);
  }
  return ids;
}

// Texts -> one batch of ids; rows padded at the end with 0 when the model takes any length.
export function prepare(spec, items) {
  if (isTokenized(spec.steps || [])) return encodeBatch(spec, items);
  const rows = texts(spec, items).map((t) => run(t, spec.steps || []));
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
