// classes: one label per unit; probabilities or logits (softmax is applied) per the contract.
import { bar, el, percent, row, softmax, topK } from './common.js';

export function scores(spec, values) {
  return spec.scores === 'logits' ? softmax(values) : Array.from(values);
}

const name = (spec, i) => (spec.labels && spec.labels[i] !== undefined ? spec.labels[i] : String(i));

// scores "index": the unit is the class's number itself (an int64 label output): its name, no bars.
const index = (spec, output, i) => Math.round(row(output, i)[0]);

export function render(spec, output, i) {
  if (spec.scores === 'index') {
    const node = el('div', 'output classes');
    const label = el('div', 'label', name(spec, index(spec, output, i)));
    label.dataset.testid = 'label';
    node.append(label);
    return node;
  }
  const probs = scores(spec, row(output, i));
  const top = topK(probs, Math.min(spec.top_k || 3, probs.length));
  const node = el('div', 'output classes');
  const label = el('div', 'label', name(spec, top[0][0]));
  label.dataset.testid = 'label';
  const bars = el('div', 'bars');
  for (const [index, p] of top) bars.append(bar(name(spec, index), p));
  node.append(label, bars);
  return node;
}

// The table's and the CSV's columns: the class, its probability, then every class's.
export function columns(spec, output, i) {
  if (spec.scores === 'index') {
    const best = name(spec, index(spec, output, i));
    return [{ header: 'predicted class', shown: best, value: best }];
  }
  const probs = scores(spec, row(output, i));
  const [[best, p]] = topK(probs, 1);
  return [
    { header: 'predicted class', shown: name(spec, best), value: name(spec, best) },
    { header: 'probability', shown: percent(p), value: p },
    ...probs.map((q, k) => ({ header: `probability of ${name(spec, k)}`, shown: percent(q), value: q })),
  ];
}
