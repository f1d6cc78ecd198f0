// An image input: upload (choose or drop files), paste from the clipboard, draw (where the
// contract asks for it), and the camera (live prediction from getUserMedia).
import { DrawingPad } from '../draw.js';
import { canvasOf, row } from '../outputs/common.js';
import { el, idFor, InputMissing, title } from './common.js';

// The camera: a live view, and prediction on each frame as fast as the model allows
// (live.start runs that loop; it stops when the camera does).
function camera(spec, index, live) {
  const video = el('video', { id: idFor('camera', index), muted: true, playsinline: true, class: 'camera' });
  video.hidden = true;
  const toggle = el('button', { type: 'button', id: idFor('camera-toggle', index), text: 'Start camera' });
  const box = el('div', { class: 'camera-box' }, toggle, video);
  let stream = null;
  async function stop() {
    live.stop();
    if (stream) stream.getTracks().forEach((t) => t.stop());
    stream = null;
    video.hidden = true;
    toggle.textContent = 'Start camera';
  }
  toggle.addEventListener('click', async () => {
    if (stream) { await stop(); return; }
    try {
      stream = await navigator.mediaDevices.getUserMedia({ video: { facingMode: 'environment' }, audio: false });
    } catch (err) {
      live.error(`The camera could not be started: ${err.message}`);
      return;
    }
    video.srcObject = stream;
    video.hidden = false;
    await video.play();
    toggle.textContent = 'Stop camera';
    // each frame once: a model faster than the camera waits for the next frame
    const nextFrame = () => new Promise((resolve) => {
      if (video.requestVideoFrameCallback) video.requestVideoFrameCallback(() => resolve());
      else requestAnimationFrame(() => resolve());
    });
    const frames = {
      unit: 'frames',
      async next() {
        await nextFrame();
        if (video.paused || video.readyState < 2) return null;
        const bitmap = await createImageBitmap(video);
        return { item: { bitmap, name: 'camera frame' }, transfer: [bitmap] };
      },
    };
    live.start(spec, frames).catch((err) => live.error(err.message)).finally(() => { if (stream) stop(); });
  });
  return box;
}

// What picture the model expects, in words, from its steps: the size it sees, colour or
// grey, and whether the steps find the mark on the paper for you.
export function describe(spec) {
  const steps = spec.steps || [];
  const sized = [...steps].reverse().find((s) => ['pad', 'resize', 'fit', 'center_crop'].includes(s.op) && s.size);
  const [h, w] = sized ? sized.size : (spec.layout === 'nchw' ? spec.shape.slice(2, 4) : spec.shape.slice(1, 3));
  const grey = steps.some((s) => s.op === 'grayscale') || (spec.layout === 'nchw' ? spec.shape[1] : spec.shape[3]) === 1;
  const size = h && w ? `${w}×${h} ` : '';
  const picture = `The model sees a ${size}${grey ? 'greyscale' : 'colour'} picture`;
  if (steps.some((s) => s.op === 'crop_to_ink')) {
    return `${picture}: one mark (a digit, a letter) on plain paper, dark or light ink; it is found, cropped and `
      + 'centred for you, so any photo or scan of it will do.';
  }
  if (!size) {
    const most = spec.max_pixels ? ` of up to ${(spec.max_pixels / 1e6).toLocaleString('en')} megapixels` : '';
    return `${picture} at its own size: any ${grey ? 'image' : 'photo'}${most}.`;
  }
  const how = { fit: 'fitted', center_crop: 'resized and its middle cropped' }[sized && sized.op] || 'resized';
  return `${picture}: any ${grey ? 'image' : 'photo'} is ${how} to it.`;
}

export function create(spec, { index, showTitle, onChange, live }) {
  const widgets = spec.widgets || ['upload', 'paste'];
  const root = el('div', { class: 'widget image', 'data-input': spec.name });
  if (showTitle) root.append(el('h2', { text: title(spec) }));
  const state = { files: [], pad: null };
  const row = el('div', { class: 'row' });
  const expects = el('p', { class: 'expects', id: idFor('expects', index), text: describe(spec) });
  root.append(expects, row);

  if (widgets.includes('draw')) {
    const canvas = el('canvas', { id: idFor('pad', index), width: 280, height: 280, class: 'pad-canvas',
      'aria-label': 'Drawing area: draw with the mouse, a pen or a finger', 'aria-describedby': expects.id });
    const clear = el('button', { type: 'button', id: idFor('clear', index), text: 'Clear drawing' });
    const caption = el('figcaption', { text: 'Draw here with the mouse, a pen or a finger, then press Predict.' });
    row.append(el('figure', { class: 'pad' }, canvas, caption, clear));
    state.pad = new DrawingPad(canvas, { onChange: () => { if (state.files.length === 0) onChange(); } });
    clear.addEventListener('click', () => state.pad.clear());
  }
  // one file control: the native input is kept (the keyboard and screen readers reach it) but
  // drawn as the drop zone's "Choose files" button
  const files = el('input', { id: idFor('files', index), type: 'file', accept: 'image/*', multiple: true,
    class: 'visually-hidden', 'aria-describedby': expects.id });
  const chosen = el('span', { id: idFor('chosen', index), class: 'chosen', 'aria-live': 'polite' });
  const hint = widgets.includes('paste') ? 'Drop or paste images here, or ' : 'Drop images here, or ';
  const drop = el('label', { id: idFor('drop', index), class: 'drop', for: files.id },
    el('span', {}, hint, el('span', { class: 'button-like', text: 'choose files' })), files, chosen);
  if (widgets.includes('upload') || widgets.includes('paste') || !widgets.includes('draw')) row.append(drop);
  if (widgets.includes('camera') && live && navigator.mediaDevices) row.append(camera(spec, index, live));

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

// The prepared image as a picture: undo the final normalize step if there is one, else
// read 0..1 or 0..255; one channel grey, three colour.
function seenCanvas(values, [h, w, c], steps = []) {
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

// The image on its result card (first: the card's background for outputs drawn over it),
// then what the model saw of it (the prepared tensor [1, h, w, c], or NCHW).
export function preview(spec, item, feed, i) {
  const nodes = [el('img', { src: URL.createObjectURL(item.blob), alt: item.name })];
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

export const itemName = (spec, item) => item.name;
