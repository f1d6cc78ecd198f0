// embedding: one vector per item (a sentence embedding). Each card shows its size, norm and
// first values, with a JSON download; across the items, summary() shows the cosine
// similarity of every pair (the lines typed, side by side) and downloads them all.
import { downloadLink, el, formatNumber, row } from './common.js';

const SHOWN = 6;

function norm(v) {
  let s = 0;
  for (const x of v) s += x * x;
  return Math.sqrt(s);
}

export function cosine(a, b) {
  let dot = 0;
  for (let k = 0; k < a.length; k += 1) dot += a[k] * b[k];
  const n = norm(a) * norm(b);
  return n === 0 ? 0 : dot / n;
}

function brief(values) {
  const head = Array.from(values.subarray(0, SHOWN), formatNumber);
  return `[${head.join(', ')}${values.length > SHOWN ? `, … ${values.length - SHOWN} more` : ''}]`;
}

export function render(spec, output, i) {
  const values = row(output, i);
  const node = el('div', 'output embedding');
  const label = el('div', 'label small', `${values.length} numbers, length ${formatNumber(norm(values))}`);
  label.dataset.testid = 'label';
  node.append(label, el('code', 'vector', brief(values)),
    downloadLink('Download as JSON', `${spec.name}-${i + 1}.json`, JSON.stringify(Array.from(values)), 'application/json'));
  return node;
}

export function columns(spec, output, i) {
  const values = row(output, i);
  return [{ header: `${spec.name} (JSON)`, shown: brief(values), value: JSON.stringify(Array.from(values)) }];
}

// names: what each item is called (a line's start), for the rows and columns of the matrix.
export function summary(spec, output, { n, names }) {
  const vectors = Array.from({ length: n }, (_, i) => row(output, i));
  const wrap = el('div', 'table-result similarity');
  const all = { items: names, [spec.name]: vectors.map((v) => Array.from(v)) };
  wrap.append(el('div', 'name', n > 1 ? `Cosine similarity between the ${n} items` : '1 item'),
    downloadLink(`Download ${n === 1 ? 'the embedding' : `all ${n} embeddings`} as JSON`, `${spec.name}s.json`,
      JSON.stringify(all), 'application/json'));
  if (n < 2) return wrap;
  const grid = el('table', 'results-table');
  const head = el('tr');
  head.append(el('th', '', ''));
  names.forEach((name, j) => head.append(Object.assign(el('th', '', `${j + 1}`), { scope: 'col', title: name })));
  grid.append(head);
  vectors.forEach((a, i) => {
    const tr = el('tr');
    tr.append(Object.assign(el('th', '', `${i + 1}. ${names[i]}`), { scope: 'row' }));
    vectors.forEach((b, j) => {
      const c = cosine(a, b);
      const td = el('td', i === j ? 'self' : '', c.toFixed(3));
      td.style.setProperty('--similarity', Math.max(0, c).toFixed(3));
      tr.append(td);
    });
    grid.append(tr);
  });
  const scroller = el('div', 'table-scroll');
  scroller.tabIndex = 0;
  scroller.setAttribute('aria-label', 'cosine similarity between the items');
  scroller.append(grid);
  wrap.append(scroller);
  return wrap;
}
