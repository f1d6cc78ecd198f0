// values: regression outputs, each with its name and unit from the contract. More than
// LISTED unnamed numbers (a detector's 100 scores, a 1024-wide feature) are shown as a tensor is.
import { el, formatNumber, row } from './common.js';
import * as tensor from './tensor.js';

const LISTED = 16;
const long = (spec, values) => values.length > LISTED && !spec.names;

const name = (spec, k, n) => (spec.names && spec.names[k]) || (n === 1 ? spec.name : `${spec.name}[${k}]`);
const unit = (spec, k) => (spec.units && spec.units[k] ? ` ${spec.units[k]}` : '');

export function render(spec, output, i) {
  const values = row(output, i);
  if (long(spec, values)) return tensor.render(spec, output, i);
  const node = el('div', 'output values');
  const list = el('dl');
  values.forEach((v, k) => {
    const dd = el('dd', '', `${formatNumber(v)}${unit(spec, k)}`);
    if (k === 0) dd.dataset.testid = 'label';
    list.append(el('dt', '', name(spec, k, values.length)), dd);
  });
  node.append(list);
  return node;
}

export function columns(spec, output, i) {
  const values = row(output, i);
  if (long(spec, values)) return tensor.columns(spec, output, i);
  return Array.from(values, (v, k) => ({ header: name(spec, k, values.length) + unit(spec, k), shown: formatNumber(v), value: v }));
}
