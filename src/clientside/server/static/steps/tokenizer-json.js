// A Hugging Face tokenizer.json in the page: npm @huggingface/tokenizers (vendor/
// tokenizers.min.mjs), built with no tokenizer_config (Python's tokenizers reads
// tokenizer.json alone; the config's slow-tokenizer settings would change the ids), and
// mended where it differs from Python's HF tokenizers (Rust), found by
// tests/steps/test_tokenizer_parity.py on its hard corpus:
//   - BertNormalizer's handle_chinese_chars read UTF-16 code units, so a CJK character
//     beyond U+FFFF (Extension B and later: 𠀀) was not spaced apart; Rust reads code points,
//     and its ranges (BERT's) leave U+2B820..U+2B91F out, where the library's put them in.
//   - Lowercasing used String.toLowerCase, which lowers a final capital sigma to ς; Rust
//     lowers character by character (Σ -> σ everywhere).
//   - Pre-tokenizer patterns (GPT-2's ByteLevel, Split) used JavaScript's \s, which holds
//     U+FEFF and lacks U+0085; Oniguruma's (Rust's) \s is Unicode White_Space.
// Each mend replaces one method or pattern of one object, so the library's own code runs
// everywhere else.

// Rust's tokenizers::normalizers::bert::is_chinese_char, by code point.
const isChinese = (cp) => (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
  || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0x2A700 && cp <= 0x2B73F) || (cp >= 0x2B740 && cp <= 0x2B81F)
  || (cp >= 0x2B920 && cp <= 0x2CEAF) || (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0x2F800 && cp <= 0x2FA1F);

// char by char, as Rust's char::to_lowercase (no context: Σ is σ at the end of a word too)
export const lowerLikeRust = (text) => Array.from(text, (c) => c.toLowerCase()).join('');

function spaceChinese(text) {
  let out = '';
  for (const c of text) out += isChinese(c.codePointAt(0)) ? ` ${c} ` : c;
  return out;
}

function mend(normalizer) {
  if (!normalizer) return;
  const type = normalizer.config?.type;
  if (type === 'Sequence') (normalizer.normalizers || []).forEach(mend);
  if (type === 'Lowercase') normalizer.normalize = lowerLikeRust;
  if (type === 'BertNormalizer') {
    normalizer.tokenize_chinese_chars = spaceChinese;
    const { config } = normalizer;
    normalizer.normalize = (text) => {
      let out = config.clean_text ? normalizer.clean_text(text) : text;
      if (config.handle_chinese_chars) out = spaceChinese(out);
      // strip_accents null follows lowercase; Rust strips, then lowers
      if (config.strip_accents ?? config.lowercase) out = normalizer.strip_accents(out);
      if (config.lowercase) out = lowerLikeRust(out);
      return out;
    };
  }
}

// A pattern's source with \s and \S as Oniguruma means them (Unicode White_Space), as the
// library itself writes them when it translates a Split pattern. (\S inside a class: kept.)
export function onigurumaSpaces(source) {
  let out = '';
  let inClass = false;
  for (let i = 0; i < source.length; i += 1) {
    const c = source[i];
    if (c === '\\') {
      const next = source[i + 1];
      if (next === 's') out += '\\p{White_Space}';
      else if (next === 'S' && !inClass) out += '\\P{White_Space}';
      else out += c + next;
      i += 1;
    } else {
      if (c === '[') inClass = true;
      else if (c === ']') inClass = false;
      out += c;
    }
  }
  return out;
}

// The pre-tokenizers whose own pattern is written with JavaScript's \s (a Split's is
// translated by the library already).
const OWN_PATTERN = ['ByteLevel', 'BertPreTokenizer'];

// config: the tokenizer.json's pre_tokenizer entry for this object (the page loads the
// minified library, whose class names say nothing).
function mendPatterns(preTokenizer, config) {
  if (!preTokenizer || !config) return;
  (preTokenizer.tokenizers || []).forEach((child, i) => mendPatterns(child, (config.pretokenizers || [])[i]));
  if (OWN_PATTERN.includes(config.type) && preTokenizer.pattern instanceof RegExp) {
    const { source, flags } = preTokenizer.pattern;
    preTokenizer.pattern = new RegExp(onigurumaSpaces(source), flags);
  }
}

// lib: the module vendor/tokenizers.min.mjs; json: the tokenizer.json, parsed.
export function createTokenizer(lib, json) {
  const tokenizer = new lib.Tokenizer(json, {});
  mend(tokenizer.normalizer);
  mendPatterns(tokenizer.pre_tokenizer, json.pre_tokenizer);
  return tokenizer;
}

// --- offsets: where each token's characters are in the typed text (what NER needs) ----------
// The library gives tokens without offsets. For WordPiece tokenizers (BERT and its kin) they
// are found as HF tokenizers finds them: each typed character normalized on its own (the
// normalized text must equal the whole text's normalization, or this refuses), each
// pre-token found in order in the normalized text, each word piece inside its pre-token
// (an unknown word covers the whole word). Offsets count code points, as Python's do.
export function offsetsSupported(json) {
  return json?.model?.type === 'WordPiece';
}

function findFrom(haystack, needle, from, what) {
  const at = haystack.indexOf(needle, from);
  if (at < 0) throw new Error(`the token offsets could not be aligned (${what})`);
  return at;
}

// The library's own trimming beside added tokens that lstrip or rstrip (Tokenizer.encode_text).
function stripped(tok, sections) {
  const out = sections.slice();
  out.forEach((section, i) => {
    const added = tok.added_tokens_map.get(section);
    if (!added) return;
    if (added.lstrip && i > 0) out[i - 1] = out[i - 1].trimEnd();
    if (added.rstrip && i < out.length - 1) out[i + 1] = out[i + 1].trimStart();
  });
  return out;
}

export function contentWithOffsets(tok, text) {
  const cps = Array.from(text);
  const starts = [];  // UTF-16 index of each code point
  let u = 0;
  for (const c of cps) { starts.push(u); u += c.length; }
  const cpAt = (utf16) => {  // the code point that starts at or covers a UTF-16 index
    let lo = 0; let hi = starts.length - 1;
    while (lo < hi) { const mid = (lo + hi + 1) >> 1; if (starts[mid] <= utf16) lo = mid; else hi = mid - 1; }
    return lo;
  };
  const tokens = [];
  const offsets = [];
  const prefix = tok.model.config.continuing_subword_prefix ?? '##';
  const unk = tok.model.unk_token;
  let cursor = 0;
  for (const section of stripped(tok, tok.splitter_unnormalized.split(text))) {
    if (!section.length) continue;
    const at = findFrom(text, section, cursor, 'a section');
    cursor = at + section.length;
    const added = tok.added_tokens_map.get(section);
    if (added) {
      tokens.push(section);
      offsets.push([cpAt(at), cpAt(at + section.length - 1) + 1]);
      continue;
    }
    // one character at a time: normalized text, and for each of its UTF-16 units the typed code point
    let normalized = '';
    const origin = [];
    let u16 = at;
    for (const c of section) {
      const n = tok.normalizer ? tok.normalizer(c) : c;
      for (let k = 0; k < n.length; k += 1) origin.push(cpAt(u16));
      normalized += n;
      u16 += c.length;
    }
    const whole = tok.normalizer ? tok.normalizer(section) : section;
    if (whole !== normalized) throw new Error('the token offsets could not be aligned (normalization is not per character)');
    let from = 0;
    for (const sub of stripped(tok, tok.splitter_normalized.split(normalized))) {
      if (!sub.length) continue;
      const subAt = findFrom(normalized, sub, from, 'a normalized section');
      from = subAt + sub.length;
      if (tok.added_tokens_map.has(sub)) {
        tokens.push(sub);
        offsets.push([origin[subAt], origin[subAt + sub.length - 1] + 1]);
        continue;
      }
      const words = tok.pre_tokenizer ? tok.pre_tokenizer(sub) : [sub];
      let wordFrom = 0;
      for (const word of words) {
        const wordAt = subAt + findFrom(sub, word, wordFrom, 'a word');
        wordFrom = wordAt - subAt + word.length;
        const pieces = tok.model([word]);
        let pieceAt = wordAt;
        for (const piece of pieces) {
          if (piece === unk) {
            tokens.push(piece);
            offsets.push([origin[wordAt], origin[wordAt + word.length - 1] + 1]);
            continue;
          }
          const bare = pieceAt > wordAt && piece.startsWith(prefix) ? piece.slice(prefix.length) : piece;
          tokens.push(piece);
          offsets.push([origin[pieceAt], origin[pieceAt + bare.length - 1] + 1]);
          pieceAt += bare.length;
        }
      }
    }
  }
  return { tokens, offsets };
}
