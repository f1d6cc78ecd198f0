// An image input: upload (choose or drop files), paste from the clipboard, draw (where the
// contract asks for it), and the camera (live prediction from getUserMedia).
import { DrawingPad } from '../draw.js';
import { el, idFor, InputMissing, title } from './common.js';

export function create(spec, { index, showTitle, onChange }) {
  const widgets = spec.widgets || ['upload', 'paste'];
  const root = el('div', { class: 'widget image', 'data-input': spec.name });
  if (showTitle) root.append(el('h2', { text: title(spec) }));
  const state = { files: [], pad: null };
  const row = el('div', { class: 'row' });
  root.append(row);

  if (widgets.includes('draw')) {
    const canvas = el('canvas', { id: idFor('pad', index), width: 280, height: 280, class: 'pad-canvas',
      'aria-label': 'Drawing area' });
    const clear = el('button', { type: 'button', id: idFor('clear', index), text: 'Clear drawing' });
    row.append(el('div', { class: 'pad' }, canvas, clear));
    state.pad = new DrawingPad(canvas, { onChange: () => { if (state.files.length === 0) onChange(); } });
    clear.addEventListener('click', () => state.pad.clear());
  }
  const files = el('input', { id: idFor('files', index), type: 'file', accept: 'image/*', multiple: true });
  const chosen = el('span', { id: idFor('chosen', index), class: 'chosen' });
  const hint = widgets.includes('paste') ? 'Drop or paste images here, or ' : 'Drop images here, or ';
  const drop = el('label', { id: idFor('drop', index), class: 'drop', for: files.id },
    el('span', {}, hint, el('u', { text: 'choose files' })), files, chosen);
  if (widgets.includes('upload') || widgets.includes('paste') || !widgets.includes('draw')) row.append(drop);

  function choose(list, how = 'ready') {
    state.files = Array.from(list).filter((f) => f.type === '' || f.type.startsWith('image/') || f.name);
    chosen.textContent = state.files.length
      ? `${state.files.length} file${state.files.length > 1 ? 's' : ''} ${how}: press Predict` : '';
    onChange();
  }
  files.addEventListener('change', () => choose(files.files));
  for (const type of ['dragenter', 'dragover']) {
    drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
  }
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); choose(e.dataTransfer.files); });
  if (widgets.includes('paste') && index === 0) {
    document.addEventListener('paste', (e) => {
      const pasted = Array.from(e.clipboardData.files).filter((f) => f.type.startsWith('image/'));
      if (!pasted.length) return;
      e.preventDefault();
      choose(pasted.map((f, i) => new File([f], f.name && f.name !== 'image.png' ? f.name : `pasted-${i + 1}.png`, { type: f.type })), 'pasted');
    });
  }

  return {
    element: root,
    spec,
    ready: () => state.files.length > 0 || Boolean(state.pad && state.pad.hasInk),
    count: () => (state.files.length || 1),
    async items() {
      if (state.files.length) return state.files.map((file) => ({ blob: file, name: file.name }));
      if (state.pad && state.pad.hasInk) return [{ blob: await state.pad.toBlob(), name: 'drawing.png' }];
      throw new InputMissing(`${title(spec)}: choose, drop${widgets.includes('draw') ? ', draw' : ''} or paste an image.`);
    },
    done() {
      if (state.files.length) {
        files.value = '';
        choose([]);
      }
    },
  };
}
