// A text input: a text box; with "multiline", one prediction per non-empty line.
import { el, idFor, InputMissing, title } from './common.js';

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
