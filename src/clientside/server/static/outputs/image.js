// image: image-to-image outputs (super-resolution, denoising, style transfer) drawn from
// their declared range, or segmentation masks (class ids) drawn over the input; each
// downloadable as PNG.
import { canvasOf, downloadLink, el, row } from './common.js';

const PALETTE = [[230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200], [245, 130, 48], [145, 30, 180],
  [70, 240, 240], [240, 50, 230], [210, 245, 60], [250, 190, 212], [0, 128, 128], [220, 190, 255]];

// [h, w, c] values -> RGBA bytes: c = 1 grey, 3 colour, 4 with alpha; range -> 0..255.
export function toRgba(values, h, w, c, [lo, hi] = [0, 1]) {
  const out = new Uint8ClampedArray(h * w * 4);
  const k = 255 / (hi - lo);
  for (let p = 0; p < h * w; p += 1) {
    for (let j = 0; j < 3; j += 1) out[p * 4 + j] = Math.round((values[p * c + (c >= 3 ? j : 0)] - lo) * k);
    out[p * 4 + 3] = c === 4 ? Math.round((values[p * c + 3] - lo) * k) : 255;
  }
  return out;
}

function maskRgba(values, h, w, c) {
  const out = new Uint8ClampedArray(h * w * 4);
  for (let p = 0; p < h * w; p += 1) {
    let cls = 0;
    if (c === 1) cls = Math.round(values[p]);
    else for (let j = 1; j < c; j += 1) if (values[p * c + j] > values[p * c + cls]) cls = j;
    const [r, g, b] = cls === 0 ? [0, 0, 0] : PALETTE[(cls - 1) % PALETTE.length];
    out.set([r, g, b, cls === 0 ? 0 : 150], p * 4);
  }
  return out;
}

export function render(spec, output, i, context = {}) {
  const [, h, w, c = 1] = output.shape;
  const values = row(output, i);
  const node = el('div', 'output image');
  const canvas = canvasOf(spec.mode === 'mask' ? maskRgba(values, h, w, c) : toRgba(values, h, w, c, spec.range || [0, 1]), h, w);
  canvas.className = 'picture';
  canvas.dataset.testid = 'output-image';
  if (spec.mode === 'mask' && context.background) {
    const stack = el('div', 'stack');
    const under = context.background.cloneNode(true);
    stack.append(under, canvas);
    node.append(stack);
  } else {
    node.append(canvas);
  }
  const label = el('div', 'label small', `${w}×${h}`);
  label.dataset.testid = 'label';
  node.append(label);
  canvas.toBlob((blob) => { if (blob) node.append(downloadLink('Download PNG', `${spec.name}-${i + 1}.png`, blob)); }, 'image/png');
  return node;
}

export function columns(spec, output) {
  const text = `image ${output.shape.slice(1, 3).join('×')}`;
  return [{ header: spec.name, shown: text, value: text }];
}
