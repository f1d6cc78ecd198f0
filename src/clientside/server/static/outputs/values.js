// values: regression outputs, each with its name and unit from the contract.
import { el, formatNumber, row } from './common.js';

const name = (spec, k, n) => (spec.names && spec.names[k]) || (n === 1 ? spec.name : `${spec.name}[${k}]`);
const unit = (spec, k) => (spec.units && spec.units[k] ? ` ${spec.units[k]}` : '');

export function render(spec, output, i) {
  const values = row(output, i);
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
  return Array.from(values, (v, k) => ({ header: name(spec, k, values.length) + unit(spec, k), shown: formatNumber(v), value: v }));
}
