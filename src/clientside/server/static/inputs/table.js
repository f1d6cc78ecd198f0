// A table input: a form generated from the contract's features (numbers with min, max and
// step; categories with their options), or a CSV file of many rows (parsed by Papa Parse,
// checked here so an error names the file, the row and the column).
import { features, prepare } from '../steps/table.js';
import { el, idFor, InputMissing, title } from './common.js';

const PAPA = new URL('../../vendor/papaparse.min.js', import.meta.url).href;
let papa = null;

function loadPapa() {
  if (!papa) {
    papa = new Promise((resolve, reject) => {
      const script = el('script', { src: PAPA });
      script.onload = () => resolve(window.Papa);
      script.onerror = () => reject(new Error('the CSV reader could not be loaded'));
      document.head.append(script);
    });
  }
  return papa;
}

// The rows, and the line of the file each ends on (a row's cells may span lines when quoted),
// so that an error says "line 4 (row 3)": the line an editor shows, and the row under the header.
function parseCsv(Papa, text) {
  const rows = [];
  const lines = [];
  const errors = [];
  let counted = 0;
  let line = 1;
  Papa.parse(text, {
    header: true,
    skipEmptyLines: 'greedy',
    step: ({ data, errors: found, meta }) => {
      for (; counted < meta.cursor; counted += 1) if (text.charCodeAt(counted) === 10) line += 1;
      const ends = text.charCodeAt(meta.cursor - 1) === 10 ? line - 1 : line;
      for (const e of found) if (e.type !== 'Delimiter') errors.push({ ...e, index: rows.length });
      rows.push(data);
      lines.push(ends);
    },
  });
  return { rows, lines, errors };
}

async function readCsv(file, spec) {
  const Papa = await loadPapa();
  const text = await file.text();
  const header = Papa.parse(text, { preview: 1 }).data[0] || [];
  const { rows, lines, errors } = parseCsv(Papa, text);
  const where = (i) => `${file.name}, line ${lines[i]} (row ${i + 1})`;
  if (errors.length) throw new InputMissing(`${where(errors[0].index)}: ${errors[0].message}.`);
  const columns = header.map(String);
  for (const f of features(spec)) {
    if (!columns.includes(f.name)) {
      throw new InputMissing(`${file.name}: no column '${f.name}' (its columns: ${columns.join(', ') || 'none'}).`);
    }
  }
  if (!rows.length) throw new InputMissing(`${file.name}: no rows under the header.`);
  prepare(spec, rows, where);  // throws with the line, the row and the column
  return { rows, columns };
}

const number = (x) => x.toLocaleString('en', { maximumFractionDigits: 6 });

function field(f, id) {
  const label = `${f.label || f.name}${f.unit ? ` (${f.unit})` : ''}`;
  let input;
  if (f.type === 'category') {
    input = el('select', { id, name: f.name }, ...f.options.map((o) => el('option', { value: o, text: o })));
    if (f.default !== undefined) input.value = String(f.default);
  } else {
    input = el('input', { id, name: f.name, type: 'number', min: f.min, max: f.max, step: f.step ?? 'any',
      value: f.default ?? f.min ?? '' });
  }
  const box = el('div', { class: 'field' }, el('label', { for: id, text: label }), input);
  // The range is advice (what the model saw), not a limit: a value beyond it is sent, and
  // the hint turns to a warning colour (CSS :out-of-range).
  const range = f.min !== undefined && f.max !== undefined ? `Range ${number(f.min)} to ${number(f.max)}` : '';
  const said = [f.description || range, f.missing ? 'may be left empty (a missing value)' : ''].filter(Boolean)
    .join('; ');
  const hint = said.charAt(0).toUpperCase() + said.slice(1);
  if (hint) {
    box.append(el('span', { id: `${id}-hint`, class: 'hint', text: hint }));
    input.setAttribute('aria-describedby', `${id}-hint`);
  }
  return box;
}

export function create(spec, { index, showTitle, onChange }) {
  const root = el('div', { class: 'widget table', 'data-input': spec.name });
  if (showTitle) root.append(el('h2', { text: title(spec) }));
  const form = el('form', { id: idFor('form', index), class: 'fields' });
  features(spec).forEach((f, k) => form.append(field(f, `field-${index}-${k}`)));
  form.addEventListener('input', onChange);
  form.addEventListener('submit', (e) => e.preventDefault());
  // One file control, as for images: the native input hidden but focusable, drawn as the
  // label's button (the native one repeated the file name beside ours).
  const about = el('span', { id: idFor('csv-about', index), text: 'Or many rows from a CSV file (a header row names the columns).' });
  const csv = el('input', { id: idFor('csv', index), type: 'file', accept: '.csv,text/csv', class: 'visually-hidden',
    'aria-describedby': about.id });
  const chosen = el('span', { class: 'chosen', 'aria-live': 'polite' });
  root.append(form, el('div', { class: 'csv' }, about, ' ', csv,
    el('label', { for: csv.id, class: 'button-like', text: 'Choose a CSV file' }), ' ', chosen));
  const state = { file: null };
  csv.addEventListener('change', () => {
    state.file = csv.files[0] || null;
    chosen.textContent = state.file ? `${state.file.name} ready: press Predict` : '';
    onChange();
  });

  function formRow() {
    const row = {};
    for (const f of features(spec)) {
      const value = form.elements[f.name].value;
      if (value === '' && !f.missing) throw new InputMissing(`${title(spec)}: fill in '${f.label || f.name}'.`);
      row[f.name] = value;
    }
    prepare(spec, [row], () => title(spec));  // a clear message before anything is sent
    return row;
  }

  return {
    element: root,
    spec,
    ready: () => true,
    count: () => 1,
    table: null,  // the CSV's rows and columns once read, for the results table
    async items() {
      if (state.file) {
        const { rows, columns } = await readCsv(state.file, spec);
        this.table = { name: state.file.name, rows, columns };
        return rows;
      }
      this.table = null;
      return [formRow()];
    },
    done() {
      if (state.file) {
        csv.value = '';
        state.file = null;
        chosen.textContent = '';
      }
    },
  };
}

// The row on its result card; a blank cell is a missing value (sent as NaN).
export function preview(spec, item) {
  const list = el('dl', { class: 'row-item' });
  for (const [k, v] of Object.entries(item)) {
    const blank = v === null || v === undefined || /^[ \t]*$/.test(String(v));
    list.append(el('dt', { text: k }), blank ? el('dd', { class: 'missing', text: 'missing' }) : el('dd', { text: String(v) }));
  }
  return [list];
}
