// Shows predictions: one card per item (its inputs as the model saw them, then each
// output drawn by its kind's renderer), or, for many table rows, one table with a CSV
// download.
import { itemName, widget } from './inputs/index.js';
import { renderer } from './outputs/index.js';
import { el } from './outputs/common.js';

// What the kinds that compare items with each other show above the cards (an embedding's
// similarity matrix), each item named as its card is.
export function renderSummaries({ contract, items, outputs, n }) {
  const first = contract.inputs[0];
  const names = Array.from({ length: n }, (_, i) => itemName(first, items[first.name][i], i));
  return contract.outputs.filter((spec) => renderer(spec.kind).summary)
    .map((spec) => renderer(spec.kind).summary(spec, outputs[spec.name], { n, names }));
}

// contract: the bundle's; items: {name: [item]} (broadcast to n); outputs, feeds: the worker's.
export function renderCards({ contract, items, outputs, feeds, n, ms }) {
  const cards = [];
  for (let i = 0; i < n; i += 1) {
    const first = contract.inputs.find((s) => s.value === undefined);
    const card = el('li', contract.inputs.some((s) => s.kind === 'image') ? 'result' : 'result wide');
    card.dataset.file = itemName(first, items[first.name][i], i);
    const previews = el('div', 'previews');
    const background = [];
    for (const spec of contract.inputs.filter((s) => s.from === undefined && s.value === undefined)) {
      const nodes = widget(spec.kind).preview(spec, items[spec.name][i], feeds[spec.name], i);
      if (spec.kind === 'image') background.push(nodes[0]);
      previews.append(...nodes);
    }
    const head = el('div', 'head');
    if (first.kind === 'image') head.append(el('div', 'name', card.dataset.file));  // the others show themselves
    const per = n > 1 ? ` (batch of ${n}: ${(ms.predict / n).toFixed(2)} ms each)` : '';
    head.append(el('div', 'time', `the model ran in ${ms.predict.toFixed(1)} ms${per}`));
    const body = el('div', 'outputs');
    for (const spec of contract.outputs) {
      const own = Object.fromEntries(Object.entries(items).map(([name, list]) => [name, list[i]]));
      const part = renderer(spec.kind).render(spec, outputs[spec.name], i, { background: background[0], items: own });
      if (contract.outputs.length > 1) part.prepend(el('div', 'output-name', spec.label || spec.name));
      body.append(part);
    }
    card.append(previews, head, body);
    cards.push(card);
  }
  return cards;
}

// A number in the CSV: as the model gave it (float32: 7 significant digits), never "97.3%".
const csvValue = (v) => (typeof v === 'number' ? String(Number(v.toPrecision(7))) : v);

// Many table rows: each output's columns first (what the visitor came for: the predicted
// class, its probability, then one column per class or value), then the row's own columns;
// the CSV has the same columns, with numbers as numbers.
export function renderTable({ contract, table, outputs, n }) {
  const several = contract.outputs.length > 1;
  const header = [];
  const csvRows = [];
  const shownRows = [];
  for (let i = 0; i < n; i += 1) {
    const cols = contract.outputs.flatMap((spec) => renderer(spec.kind).columns(spec, outputs[spec.name], i)
      .map((c) => ({ ...c, header: several ? `${spec.label || spec.name}: ${c.header}` : c.header })));
    if (i === 0) header.push(...cols.map((c) => c.header), ...table.columns);
    const own = table.columns.map((c) => table.rows[i][c]);
    csvRows.push([...cols.map((c) => csvValue(c.value)), ...own]);
    shownRows.push([...cols.map((c) => c.shown), ...own]);
  }
  const predictions = header.length - table.columns.length;
  const cell = (tag, k, text) => el(tag, k < predictions ? 'prediction' : '', String(text));
  const grid = el('table', 'results-table');
  const thead = el('tr');
  header.forEach((h, k) => thead.append(Object.assign(cell('th', k, h), { scope: 'col' })));
  grid.append(thead);
  for (const texts of shownRows) {
    const tr = el('tr');
    texts.forEach((v, k) => tr.append(cell('td', k, v)));
    grid.append(tr);
  }
  const wrap = el('div', 'table-result');
  const scroller = el('div', 'table-scroll');
  scroller.tabIndex = 0;  // scrolls with the keyboard
  scroller.setAttribute('aria-label', `${table.name}: predictions`);
  scroller.append(grid);
  const csv = window.Papa.unparse({ fields: header, data: csvRows });
  const link = el('a', 'download', `Download ${n} predictions as CSV`);
  link.href = URL.createObjectURL(new Blob([csv], { type: 'text/csv' }));
  link.download = table.name.replace(/\.csv$/i, '') + '-predictions.csv';
  link.id = 'download-csv';
  wrap.append(el('div', 'name', `${table.name}: ${n} rows`), link, scroller);
  return wrap;
}
