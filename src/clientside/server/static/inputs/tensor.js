// A tensor input: a JSON array of the model's item shape, or a list of them (a batch).
import { el, idFor, InputMissing, title } from './common.js';

function depth(v) {
  let d = 0;
  for (let x = v; Array.isArray(x); x = x[0]) d += 1;
  return d;
}

export function create(spec, { index, onChange }) {
  const root = el('div', { class: 'widget tensor', 'data-input': spec.name });
  const id = idFor('tensor', index);
  const shape = spec.shape.slice(1).map((d) => d ?? 'any').join(' × ');
  root.append(el('label', { for: id, text: `${title(spec)}: a JSON array [${shape}], or a list of them` }));
  const box = el('textarea', { id, rows: 4, spellcheck: 'false' });
  box.addEventListener('input', onChange);
  root.append(box);
  function parse() {
    let value;
    try {
      value = JSON.parse(box.value);
    } catch (err) {
      throw new InputMissing(`${title(spec)}: not valid JSON (${err.message}).`);
    }
    const rank = spec.shape.length - 1;
    return depth(value) === rank + 1 ? value : [value];
  }
  return {
    element: root,
    spec,
    ready: () => box.value.trim().length > 0,
    count: () => { try { return parse().length; } catch { return 1; } },
    async items() {
      if (!box.value.trim()) throw new InputMissing(`${title(spec)}: enter a JSON array.`);
      return parse();
    },
    done() {},
  };
}

// The values on their result card, cut at 80 characters.
export function preview(spec, item) {
  const text = JSON.stringify(item);
  return [el('code', { class: 'tensor-item', text: text.length > 80 ? `${text.slice(0, 80)}…` : text })];
}
