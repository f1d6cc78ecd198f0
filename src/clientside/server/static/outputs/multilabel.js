// multilabel: an independent probability per label (sigmoid), on at or above the threshold.
import { bar, el, percent, row, sigmoid } from './common.js';

export function scores(spec, values) {
  return Array.from(values, (v) => (spec.scores === 'logits' ? sigmoid(v) : v));
}

const name = (spec, i) => (spec.labels && spec.labels[i] !== undefined ? spec.labels[i] : String(i));

function on(spec, probs) {
  const threshold = spec.threshold ?? 0.5;
  return probs.map((p, i) => [i, p]).filter(([, p]) => p >= threshold).map(([i]) => name(spec, i));
}

export function render(spec, output, i) {
  const probs = scores(spec, row(output, i));
  const node = el('div', 'output multilabel');
  const chosen = on(spec, probs);
  const label = el('div', 'label small', chosen.length ? chosen.join(', ') : 'none');
  label.dataset.testid = 'label';
  const bars = el('div', 'bars');
  probs.forEach((p, k) => {
    const b = bar(name(spec, k), p);
    if (p >= (spec.threshold ?? 0.5)) b.classList.add('on');
    bars.append(b);
  });
  node.append(label, el('div', 'note', `labels at or above ${spec.threshold ?? 0.5}`), bars);
  return node;
}

// The table's and the CSV's columns: the labels on, then every label's probability.
export function columns(spec, output, i) {
  const probs = scores(spec, row(output, i));
  const chosen = on(spec, probs).join('; ');
  return [
    { header: 'labels', shown: chosen || 'none', value: chosen },
    ...probs.map((q, k) => ({ header: `probability of ${name(spec, k)}`, shown: percent(q), value: q })),
  ];
}
