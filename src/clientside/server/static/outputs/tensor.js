// tensor: anything else, shown in short and downloadable as JSON.
import { downloadLink, el, formatNumber, row } from './common.js';

function nest(values, shape) {
  if (shape.length <= 1) return Array.from(values);
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return Array.from({ length: shape[0] }, (_, k) => nest(values.subarray(k * size, (k + 1) * size), shape.slice(1)));
}

export function render(spec, output, i) {
  const values = row(output, i);
  const shape = output.shape.slice(1);
  const node = el('div', 'output tensor');
  const head = Array.from(values.subarray(0, 8), formatNumber).join(', ');
  const summary = el('div', 'label small', `[${shape.join('×')}] ${head}${values.length > 8 ? ', …' : ''}`);
  summary.dataset.testid = 'label';
  node.append(summary, downloadLink('Download JSON', `${spec.name}-${i + 1}.json`,
    JSON.stringify({ name: spec.name, shape, values: nest(values, shape) }), 'application/json'));
  return node;
}

export function columns(spec, output, i) {
  const text = JSON.stringify(Array.from(row(output, i)));
  return [{ header: spec.name, shown: text.length > 80 ? `${text.slice(0, 80)}…` : text, value: text }];
}
