// A text input: a text box; with "multiline", one prediction per non-empty line.
import { truncation } from '../steps/text.js';
import { el, idFor, InputMissing, title } from './common.js';

// Longer texts show their start, with a toggle for the rest: a 1 MB line must not make the
// page a kilometre long.
const SHOWN_CHARACTERS = 160;

function longText(text) {
  if (text.length <= SHOWN_CHARACTERS * 1.5) return el('blockquote', { class: 'text-item', text });
  const rest = el('blockquote', { class: 'text-item' });
  const summary = el('summary', { text: `${text.slice(0, SHOWN_CHARACTERS)}… ` },
    el('span', { class: 'more', text: `(show all ${text.length.toLocaleString('en')} characters)` }));
  const box = el('details', { class: 'text-item long' }, summary, rest);
  box.addEventListener('toggle', () => { if (box.open && !rest.textContent) rest.textContent = text; });
  return box;
}

// The text on its result card, and what of it the model read. feed.totals: the tokens a
// tokenizer step made of each text before truncation (the worker's, or the server's).
export function preview(spec, text, feed, i) {
  const nodes = [longText(text)];
  const cut = truncation(text, spec.steps || [], feed?.totals?.[i]);
  if (cut) {
    const unit = cut.unit ?? 'words';
    nodes.push(el('p', {
      class: 'note truncated',
      'data-testid': 'truncated',
      text: `${unit === 'tokens' ? `Truncated to ${cut.used} tokens. ` : ''}`
        + `Only the ${cut.kept} ${cut.used} of its ${cut.total.toLocaleString('en')} ${unit} were used: `
        + `the model reads ${cut.used} at most.`,
    }));
  }
  return nodes;
}

export const itemName = (spec, text) => (text.length > 40 ? `${text.slice(0, 40)}…` : text);

export function create(spec, { index, onChange }) {
  const root = el('div', { class: 'widget text', 'data-input': spec.name });
  const id = idFor('text', index);
  root.append(el('label', { for: id, text: spec.multiline ? `${title(spec)} (one per line)` : title(spec) }));
  const box = spec.multiline ? el('textarea', { id, rows: 6 }) : el('textarea', { id, rows: 3 });
  box.setAttribute('spellcheck', 'false');
  box.addEventListener('input', onChange);
  root.append(box);
  const lines = () => (spec.multiline ? box.value.split(/\r?\n/).filter((l) => l.trim()) : [box.value]);
  return {
    element: root,
    spec,
    ready: () => box.value.trim().length > 0,
    count: () => Math.max(1, lines().length),
    async items() {
      if (!box.value.trim()) throw new InputMissing(`${title(spec)}: type some text.`);
      return lines();
    },
    done() {},
  };
}
