// spans: what a token-classification (NER) model finds in a text: its logits [batch, tokens,
// labels] grouped into entities as transformers' pipeline does with
// aggregation_strategy="simple", then shown as highlighted spans of the typed text.
// entities() runs in the worker, which has the tokenizer (the words are decoded with it);
// render() draws what it found.
import { el, percent } from './common.js';

// transformers' TokenClassificationPipeline.get_tag
function tag(name) {
  if (name.startsWith('B-')) return ['B', name.slice(2)];
  if (name.startsWith('I-')) return ['I', name.slice(2)];
  return ['I', name];
}

function softmax(values) {
  let max = -Infinity;
  for (const v of values) if (v > max) max = v;
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

// Row i: encoding {ids, tokens, offsets, special} of the text (offsets in code points),
// decode(tokens) -> the word the tokenizer's decoder makes of them, unkId: its unknown token.
export function entities(spec, output, i, encoding, text, { decode, unkId }) {
  const [, length, count] = output.shape;
  const labels = spec.labels || [];
  const chars = Array.from(text);
  const found = [];
  encoding.offsets.forEach(([start, end], t) => {
    if (encoding.special[t]) return;
    const at = (i * length + t) * count;
    const scores = softmax(output.data.subarray(at, at + count));
    let best = 0;
    for (let k = 1; k < count; k += 1) if (scores[k] > scores[best]) best = k;
    const word = encoding.ids[t] === unkId ? chars.slice(start, end).join('') : encoding.tokens[t];
    found.push({ entity: labels[best] ?? String(best), score: scores[best], word, start, end });
  });
  const groups = [];
  let run = [];
  const close = () => {
    if (!run.length) return;
    const first = run[0].entity;
    const dash = first.indexOf('-');
    groups.push({
      entity_group: dash < 0 ? first : first.slice(dash + 1),
      score: run.reduce((s, e) => s + e.score, 0) / run.length,
      word: decode(run.map((e) => e.word)),
      start: run[0].start,
      end: run[run.length - 1].end,
    });
  };
  for (const e of found) {
    if (run.length) {
      const [bi, name] = tag(e.entity);
      const [, last] = tag(run[run.length - 1].entity);
      if (name === last && bi !== 'B') { run.push(e); continue; }
      close();
    }
    run = [e];
  }
  close();
  const ignore = spec.ignore ?? ['O'];
  return groups.filter((g) => !ignore.includes(g.entity_group));
}

// The text with its entities marked, then the list of them.
export function render(spec, output, i, context = {}) {
  const node = el('div', 'output spans');
  const found = output.entities?.[i] ?? [];
  const text = context.items?.[spec.of] ?? '';
  const chars = Array.from(text);
  const marked = el('p', 'marked');
  let at = 0;
  for (const e of found) {
    if (e.start > at) marked.append(chars.slice(at, e.start).join(''));
    const mark = el('mark', 'entity', chars.slice(e.start, e.end).join(''));
    mark.dataset.label = e.entity_group;
    mark.title = `${e.entity_group} ${percent(e.score)}`;
    mark.append(el('span', 'entity-label', e.entity_group));
    marked.append(mark);
    at = Math.max(at, e.end);
  }
  if (at < chars.length) marked.append(chars.slice(at).join(''));
  const label = el('div', 'label small', found.length ? `${found.length} found` : 'nothing found');
  label.dataset.testid = 'label';
  const list = el('dl', 'entities');
  for (const e of found) list.append(el('dt', '', e.entity_group), el('dd', '', `${e.word} (${percent(e.score)})`));
  node.append(label, marked, list);
  return node;
}

export function columns(spec, output, i) {
  const found = output.entities?.[i] ?? [];
  const shown = found.map((e) => `${e.entity_group}: ${e.word}`).join('; ');
  return [{ header: 'entities', shown: shown || 'none', value: shown }];
}
