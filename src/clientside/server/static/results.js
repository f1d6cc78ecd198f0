// Shows predictions: one card per item (its inputs as the model saw them, then each
// output drawn by its kind's renderer), or, for many table rows, one table with a CSV
// download.
import { renderer } from './outputs/index.js';
import { el, row } from './outputs/common.js';
import { canvasOf } from './outputs/image.js';
import { truncation } from './steps/text.js';

// Longer texts show their start, with a toggle for the rest: a 1 MB line must not make the
// page a kilometre long.
const SHOWN_CHARACTERS = 160;

function longText(text) {
  if (text.length <= SHOWN_CHARACTERS * 1.5) return el('blockquote', 'text-item', text);
  const box = el('details', 'text-item long');
  const summary = el('summary', '', `${text.slice(0, SHOWN_CHARACTERS)}… `);
  summary.append(el('span', 'more', `(show all ${text.length.toLocaleString('en')} characters)`));
  const rest = el('blockquote', 'text-item');
  box.append(summary, rest);
  box.addEventListener('toggle', () => { if (box.open && !rest.textContent) rest.textContent = text; });
  return box;
}

// total: the tokens a tokenizer step made of the text before truncation (the worker's, or the server's)
function textPreview(spec, text, total) {
  const nodes = [longText(text)];
  const cut = truncation(text, spec.steps || [], total);
  if (cut) {
    const unit = cut.unit ?? 'words';
    const note = el('p', 'note truncated', `${unit === 'tokens' ? `Truncated to ${cut.used} tokens. ` : ''}`
      + `Only the ${cut.kept} ${cut.used} of its ${cut.total.toLocaleString('en')} ${unit} were used: `
      + `the model reads ${cut.used} at most.`);
    note.dataset.testid = 'truncated';
    nodes.push(note);
  }
  return nodes;
}

// The prepared image as a picture: undo the final normalize step if there is one, else
// read 0..1 or 0..255; one channel grey, three colour.
export function seenCanvas(values, [h, w, c], steps = []) {
  const last = steps.length ? steps[steps.length - 1] : null;
  let toPixel;
  if (last && last.op === 'normalize') {
    const { scale = 1 / 255, mean = [0], std = [1] } = last;
    toPixel = (v, k) => (v * std[k % std.length] + mean[k % mean.length]) / scale;
  } else {
    let max = 0;
    for (let i = 0; i < values.length; i += 1) if (values[i] > max) max = values[i];
    toPixel = max <= 1.5 ? (v) => v * 255 : (v) => v;
  }
  const rgba = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p += 1) {
    for (let j = 0; j < 3; j += 1) {
      const k = c >= 3 ? j : 0;
      rgba[p * 4 + j] = Math.round(toPixel(values[p * c + k], k));
    }
    rgba[p * 4 + 3] = c === 4 ? Math.round(toPixel(values[p * c + 3], 3)) : 255;
  }
  const canvas = canvasOf(rgba, h, w);
  canvas.classList.add('seen');
  canvas.title = 'What the model saw';
  return canvas;
}

function preview(spec, item, feed, i) {
  if (spec.kind === 'image') {
    const nodes = [];
    const img = el('img');
    img.src = URL.createObjectURL(item.blob);
    img.alt = item.name;
    nodes.push(img);
    if (feed && feed.shape.length === 4) {
      const [, a, b, c] = feed.shape;
      let values = row(feed, i);
      let shape = [a, b, c];
      if (spec.layout === 'nchw') {  // back to [h, w, c] to draw it
        const hw = new Float32Array(values.length);
        for (let k = 0; k < a; k += 1) for (let p = 0; p < b * c; p += 1) hw[p * a + k] = values[k * b * c + p];
        values = hw;
        shape = [b, c, a];
      }
      nodes.push(seenCanvas(values, shape, spec.steps));
    }
    return nodes;
  }
  if (spec.kind === 'text') return textPreview(spec, item, feed?.totals?.[i]);
  if (spec.kind === 'table') {
    const list = el('dl', 'row-item');
    for (const [k, v] of Object.entries(item)) {
      const blank = v === null || v === undefined || /^[ \t]*$/.test(String(v));  // a missing value, sent as NaN
      list.append(el('dt', '', k), blank ? el('dd', 'missing', 'missing') : el('dd', '', String(v)));
    }
    return [list];
  }
  if (spec.kind === 'audio') {  // the clip itself, to play back beside what the model made of it
    const player = el('audio');
    player.controls = true;
    player.preload = 'metadata';
    player.src = URL.createObjectURL(item.blob);
    player.setAttribute('aria-label', `Play ${item.name}`);
    return [el('div', 'name', item.name), player];
  }
  const text = JSON.stringify(item);
  return [el('code', 'tensor-item', text.length > 80 ? `${text.slice(0, 80)}…` : text)];
}

export function itemName(spec, item, i) {
  if (spec.kind === 'image' || spec.kind === 'audio') return item.name;
  if (spec.kind === 'text') return item.length > 40 ? `${item.slice(0, 40)}…` : item;
  return `${spec.name} ${i + 1}`;
}

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
      const nodes = preview(spec, items[spec.name][i], feeds[spec.name], i);
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
