// The preprocessing pipeline in the browser: the same steps, parameters and arithmetic as
// clientside/steps/image.py, so the browser's tensor matches the server's. Works in a
// window and in a worker (createImageBitmap + OffscreenCanvas).
//
// An image is {data, height, width, channels} in 0..255 (row-major HWC); data is the
// decoder's Uint8ClampedArray at first, a Float32Array after the first step that computes.

import { InputError, runStep, typedArray } from './common.js';

export class PreprocessError extends InputError {}

// op -> {params: defaults, run(img, params)}: the kind registry's view of this module.
export const STEPS = {};

export function registerStep(name, params, run) { STEPS[name] = { params, run }; }

const roundHalfUp = (x) => Math.floor(x + 0.5);

// One canvas to read pixels through, reused while pictures keep their size (camera frames,
// a batch of photos): allocating one per picture costs more than the read itself.
let scratchCtx = null;
function scratch(width, height) {
  if (!scratchCtx || scratchCtx.canvas.width !== width || scratchCtx.canvas.height !== height) {
    scratchCtx = new OffscreenCanvas(width, height).getContext('2d', { willReadFrequently: true });
  }
  return scratchCtx;
}

// An image file (Blob) or a picture already decoded (an ImageBitmap: a camera frame, a
// picture the page decoded) -> RGBA image, EXIF orientation applied, no colour management
// (Pillow does none either).
export async function decode(source, name = 'upload', maxPixels = 40_000_000) {
  let bitmap = source;
  if (source instanceof Blob) {
    if (!source.size) throw new PreprocessError(`${name} is empty.`);
    try {
      bitmap = await createImageBitmap(source, {
        imageOrientation: 'from-image', premultiplyAlpha: 'none', colorSpaceConversion: 'none',
      });
    } catch {
      throw new PreprocessError(`${name} could not be decoded: it is not an image, or it is truncated or corrupt.`);
    }
  }
  const { width, height } = bitmap;
  if (width * height > maxPixels) {
    bitmap.close();
    throw new PreprocessError(`${name} is ${width}x${height} pixels; the limit is ${maxPixels.toLocaleString('en')} pixels.`);
  }
  const ctx = scratch(width, height);
  ctx.clearRect(0, 0, width, height);
  ctx.drawImage(bitmap, 0, 0);
  bitmap.close();
  const rgba = ctx.getImageData(0, 0, width, height).data;
  return { data: rgba, height, width, channels: 4 };  // steps read any typed array, write Float32Array
}

// flatten_alpha then resize on an opaque picture: flatten_alpha would copy the colours as
// they are, so resize reads them straight from the decoded RGBA (same numbers, one
// full-size pass fewer).
function fused(img, step, next) {
  if (step.op !== 'flatten_alpha' || !next || next.op !== 'resize' || !opaque(img)) return null;
  const { size, resample, precision } = { ...STEPS.resize.params, ...next };
  if (precision !== 'float') return null;
  return resize(img, size[0], size[1], 3, 4, resample);
}

export function run(image, steps, name = 'upload') {
  let out = image;
  for (let i = 0; i < steps.length; i += 1) {
    const step = steps[i];
    try {
      const both = fused(out, step, steps[i + 1]);
      if (both) {
        out = both;
        i += 1;
        continue;
      }
      out = runStep(STEPS, out, step);
    } catch (err) {
      if (err instanceof PreprocessError) throw new PreprocessError(`${name}: ${err.message}`);
      throw err;
    }
  }
  return out;
}

export async function prepareImage(source, steps, name, maxPixels) {
  return run(await decode(source, name, maxPixels), steps, name);
}

// Pictures [{blob or bitmap, name}] -> the model-ready batch {data, shape}; each must fit
// the input's shape (a dynamic height or width takes the picture at its own size).
// [height, width, channels] of one picture, whatever the input's layout.
export function itemShape(spec) {
  const s = spec.shape;
  return spec.layout === 'nchw' ? [s[2], s[3], s[1]] : s.slice(1);
}

// [n, h, w, c] -> [n, c, h, w] for channels-first models (PyTorch).
function channelsFirst(data, [n, h, w, c]) {
  const out = new data.constructor(data.length);
  for (let i = 0; i < n; i += 1) {
    const base = i * h * w * c;
    for (let p = 0; p < h * w; p += 1) for (let k = 0; k < c; k += 1) out[base + k * h * w + p] = data[base + p * c + k];
  }
  return out;
}

export async function prepare(spec, files, { maxPixels = spec.max_pixels, onEach = () => {} } = {}) {
  const want = itemShape(spec);
  let data = null;
  let got0 = null;
  for (const [i, { blob, bitmap, name }] of files.entries()) {
    const img = await prepareImage(blob || bitmap, spec.steps || [], name, maxPixels);
    const got = [img.height, img.width, img.channels];
    if (!want.every((d, k) => d === null || d === got[k])) {
      throw new PreprocessError(`${name}: the preprocessing made ${got.join('x')}, the model expects `
        + `${want.map((d) => d ?? '?').join('x')}`);
    }
    if (got0 && got0.join() !== got.join()) {
      throw new PreprocessError(`${name} is ${got.join('x')} after preprocessing, the others ${got0.join('x')}: `
        + 'this model takes pictures at their own size, so predict them one at a time');
    }
    got0 = got;
    const size = got[0] * got[1] * got[2];
    if (!data) data = typedArray(spec.dtype, files.length * size);
    data.set(img.data, i * size);
    onEach(i + 1, files.length);
  }
  const [h, w, c] = got0;
  if (spec.layout === 'nchw') return { data: channelsFirst(data, [files.length, h, w, c]), shape: [files.length, c, h, w] };
  return { data, shape: [files.length, h, w, c] };
}

function make(height, width, channels, fill = 0) {
  const data = new Float32Array(height * width * channels);
  if (fill) data.fill(fill);
  return { data, height, width, channels };
}

function border(img) {
  // Same order as Python's _border: top row, bottom row, left column, right column (channel 0).
  const { data, height: h, width: w, channels: c } = img;
  const out = [];
  for (let x = 0; x < w; x += 1) out.push(data[x * c]);
  for (let x = 0; x < w; x += 1) out.push(data[((h - 1) * w + x) * c]);
  for (let y = 1; y < h - 1; y += 1) out.push(data[y * w * c]);
  for (let y = 1; y < h - 1; y += 1) out.push(data[(y * w + w - 1) * c]);
  return out;
}

function median(values) {
  const s = Float64Array.from(values).sort();
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

registerStep('flatten_alpha', { background: 255 }, (img, { background }) => {
  if (img.channels !== 4) return img;
  const out = make(img.height, img.width, 3);
  const n = img.height * img.width;
  for (let i = 0; i < n; i += 1) {
    const a = img.data[i * 4 + 3] / 255;
    if (a === 1) {  // opaque: the formula gives the colour itself
      out.data[i * 3] = img.data[i * 4]; out.data[i * 3 + 1] = img.data[i * 4 + 1]; out.data[i * 3 + 2] = img.data[i * 4 + 2];
    } else {
      for (let k = 0; k < 3; k += 1) out.data[i * 3 + k] = img.data[i * 4 + k] * a + background * (1 - a);
    }
  }
  return out;
});

registerStep('grayscale', {}, (img) => {
  if (img.channels === 1) return img;
  const out = make(img.height, img.width, 1);
  const c = img.channels;
  for (let i = 0; i < img.height * img.width; i += 1) {
    out.data[i] = img.data[i * c] * 0.299 + img.data[i * c + 1] * 0.587 + img.data[i * c + 2] * 0.114;
  }
  return out;
});

// Whether the ink is darker than the paper, exactly as Python's ink_is_dark: the paper is the
// border's median; the ink the pixels farther from it than half the largest distance either
// way; the side with more of them wins; no ink (or a tie): the border's mean decides.
function inkIsDark(img) {
  const b = border(img);
  const paper = median(b);
  const { data, channels: c } = img;
  const n = img.height * img.width;
  let lo = Infinity;
  let hi = -Infinity;
  for (let i = 0; i < n; i += 1) {
    const v = data[i * c];
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const half = Math.max(paper - lo, hi - paper) / 2;
  let dark = 0;
  let light = 0;
  if (half > 0) {
    for (let i = 0; i < n; i += 1) {
      const v = data[i * c];
      if (v < paper - half) dark += 1;
      else if (v > paper + half) light += 1;
    }
  }
  if (dark === light) return b.reduce((s, v) => s + v, 0) / b.length > 127.5;
  return dark > light;
}

registerStep('invert', { when: 'light_background' }, (img, { when }) => {
  if (!['always', 'never', 'light_background'].includes(when)) throw new Error(`invert: unknown rule when=${when}`);
  if (when === 'always' || (when === 'light_background' && inkIsDark(img))) {
    const data = new Float32Array(img.data.length);
    for (let i = 0; i < data.length; i += 1) data[i] = 255 - img.data[i];
    return { ...img, data };
  }
  return img;
});

registerStep('normalize_contrast', { min_range: 24 }, (img, { min_range: minRange }) => {
  const background = median(border(img));
  let peak = -Infinity;
  for (let i = 0; i < img.data.length; i += 1) if (img.data[i] > peak) peak = img.data[i];
  if (peak - background < minRange) throw new PreprocessError('the image is blank: no digit was found in it.');
  const k = 255 / (peak - background);
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i += 1) data[i] = Math.min(255, Math.max(0, (img.data[i] - background) * k));
  return { ...img, data };
});

registerStep('clear_margin', { fraction: 0.03 }, (img, { fraction }) => {
  const { height: h, width: w, channels: c } = img;
  const my = Math.max(1, Math.ceil(h * fraction));
  const mx = Math.max(1, Math.ceil(w * fraction));
  if (2 * my >= h || 2 * mx >= w) return img;
  const out = make(h, w, c);
  for (let y = my; y < h - my; y += 1) {
    const row = (y * w) * c;
    out.data.set(img.data.subarray(row + mx * c, row + (w - mx) * c), row + mx * c);
  }
  return out;
});

registerStep('crop_to_ink', { threshold: 0.1 }, (img, { threshold }) => {
  const { height: h, width: w, channels: c } = img;
  const limit = threshold * 255;
  let top = h; let bottom = -1; let left = w; let right = -1;
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      let max = -Infinity;
      for (let k = 0; k < c; k += 1) max = Math.max(max, img.data[(y * w + x) * c + k]);
      if (max > limit) {
        if (y < top) top = y;
        if (y > bottom) bottom = y;
        if (x < left) left = x;
        if (x > right) right = x;
      }
    }
  }
  if (bottom < 0) throw new PreprocessError('the image is blank: no digit was found in it.');
  const out = make(bottom - top + 1, right - left + 1, c);
  for (let y = top; y <= bottom; y += 1) {
    out.data.set(img.data.subarray((y * w + left) * c, (y * w + right + 1) * c), (y - top) * out.width * c);
  }
  return out;
});

// Pillow's filters (Resample.c): the support and the kernel, by the names the steps use.
const FILTERS = {
  bilinear: { support: 1, kernel: (t) => { const x = Math.abs(t); return x < 1 ? 1 - x : 0; } },
  bicubic: {
    support: 2,
    kernel: (t) => {
      const a = -0.5;
      const x = Math.abs(t);
      if (x < 1) return ((a + 2) * x - (a + 3)) * x * x + 1;
      if (x < 2) return (((x - 5) * x + 8) * x - 4) * a;
      return 0;
    },
  },
};

function filterOf(name) {
  const f = FILTERS[name];
  if (!f) throw new Error(`resample must be one of ${Object.keys(FILTERS).join(', ')}. Received: ${name}`);
  return f;
}

// Pillow's resampling weights (precompute_coeffs, antialiased): the filter widened by the
// downscaling factor, normalised, in float64, operation for operation as Resample.c does.
// preprocess.py gets the same from Pillow (mode "F": float planes, double sums).
export function resampleWeights(inSize, outSize, resample = 'bilinear') {
  const { support: base, kernel } = filterOf(resample);
  const scale = inSize / outSize;
  const filterScale = Math.max(scale, 1);
  const support = base * filterScale;
  const ss = 1.0 / filterScale;
  const rows = [];
  for (let i = 0; i < outSize; i += 1) {
    const center = (i + 0.5) * scale;
    const start = Math.max(0, Math.trunc(center - support + 0.5));
    const stop = Math.min(inSize, Math.trunc(center + support + 0.5));
    const weights = [];
    let total = 0;
    for (let x = start; x < stop; x += 1) {
      const wgt = kernel((x - center + 0.5) * ss);
      weights.push(wgt);
      total += wgt;
    }
    rows.push({ start, weights: total !== 0 ? weights.map((v) => v / total) : weights });
  }
  return rows;
}

// The weights of resampleWeights as flat typed arrays (fewer lookups in the hot loops).
function weightTable(inSize, outSize, resample = 'bilinear') {
  const rows = resampleWeights(inSize, outSize, resample);
  const taps = Math.max(1, ...rows.map((r) => r.weights.length));
  const start = new Int32Array(outSize);
  const count = new Int32Array(outSize);
  const weights = new Float64Array(outSize * taps);
  rows.forEach((r, i) => { start[i] = r.start; count[i] = r.weights.length; weights.set(r.weights, i * taps); });
  return { start, count, weights, taps };
}

// Rows then columns, as Pillow does. stride: values per pixel in img.data, of which the
// first `channels` are resized: an opaque RGBA image is read as RGB where it lies (the
// fused flatten_alpha + resize), without a full-size copy first.
export function resize(img, outH, outW, channels = img.channels, stride = img.channels, resample = 'bilinear') {
  const { height: h, width: w, data } = img;
  const c = channels;
  const wx = weightTable(w, outW, resample);
  const tmp = new Float64Array(h * outW * c);
  for (let y = 0; y < h; y += 1) {
    const row = y * w * stride;
    for (let x = 0; x < outW; x += 1) {
      const n = wx.count[x];
      const wo = x * wx.taps;
      const out = (y * outW + x) * c;
      let at = row + wx.start[x] * stride;
      if (c === 3) {  // the usual case: three sums side by side over neighbouring bytes
        let s0 = 0; let s1 = 0; let s2 = 0;
        for (let j = 0; j < n; j += 1, at += stride) {
          const k = wx.weights[wo + j];
          s0 += k * data[at]; s1 += k * data[at + 1]; s2 += k * data[at + 2];
        }
        tmp[out] = s0; tmp[out + 1] = s1; tmp[out + 2] = s2;
      } else {
        for (let ch = 0; ch < c; ch += 1) {
          let sum = 0;
          for (let j = 0, a = at + ch; j < n; j += 1, a += stride) sum += wx.weights[wo + j] * data[a];
          tmp[out + ch] = sum;
        }
      }
    }
  }
  // columns: each output row is a weighted sum of whole input rows (contiguous reads)
  const wy = weightTable(h, outH, resample);
  const result = make(outH, outW, c);
  const line = outW * c;
  const acc = new Float64Array(line);
  for (let y = 0; y < outH; y += 1) {
    acc.fill(0);
    const first = wy.start[y];
    for (let j = 0; j < wy.count[y]; j += 1) {
      const k = wy.weights[y * wy.taps + j];
      const from = (first + j) * line;
      for (let i = 0; i < line; i += 1) acc[i] += k * tmp[from + i];
    }
    result.data.set(acc, y * line);
  }
  return result;
}

// Pillow's 8-bit resampling, as it resizes an RGB picture (and so as transformers' image
// processors do): the weights in fixed point (22 bits, rounded away from zero), each sum
// rounded and clipped to 0..255, one pass per axis into an 8-bit picture. The order is
// Pillow 13's: vertical first when the height shrinks by more than twice the width's
// shrink, else horizontal first (Pillow 12 always went horizontal first; resize_step in
// steps/image.py keeps 13's order whatever Pillow is installed). Integer sums in float64
// are exact.
const PRECISION = 2 ** 22;

function fixedWeights(inSize, outSize, resample) {
  const rows = resampleWeights(inSize, outSize, resample);
  return rows.map(({ start, weights }) => ({
    start, weights: weights.map((k) => (k < 0 ? Math.trunc(-0.5 + k * PRECISION) : Math.trunc(0.5 + k * PRECISION))),
  }));
}

const clip8 = (sum) => Math.min(255, Math.max(0, Math.floor(sum / PRECISION)));

export function verticalFirst(h, w, outH, outW) {
  return h - outH > 0 && h - outH > (w - outW) * 2;
}

// One pass along one axis of an 8-bit picture {data, height, width, channels}.
function pass8(img, outSize, resample, axis) {
  const { height: h, width: w, channels: c, data } = img;
  const along = axis === 'x' ? w : h;
  const table = fixedWeights(along, outSize, resample);
  const [outH, outW] = axis === 'x' ? [h, outSize] : [outSize, w];
  const out = new Uint8ClampedArray(outH * outW * c);
  for (let y = 0; y < outH; y += 1) {
    for (let x = 0; x < outW; x += 1) {
      const { start, weights } = table[axis === 'x' ? x : y];
      for (let ch = 0; ch < c; ch += 1) {
        let sum = PRECISION / 2;
        if (axis === 'x') {
          const row = y * w * c;
          for (let j = 0; j < weights.length; j += 1) sum += data[row + (start + j) * c + ch] * weights[j];
        } else {
          for (let j = 0; j < weights.length; j += 1) sum += data[((start + j) * w + x) * c + ch] * weights[j];
        }
        out[(y * outW + x) * c + ch] = clip8(sum);
      }
    }
  }
  return { data: out, height: outH, width: outW, channels: c };
}

export function resize8(img, outH, outW, resample = 'bilinear') {
  let out = img;
  const order = verticalFirst(img.height, img.width, outH, outW) ? ['y', 'x'] : ['x', 'y'];
  for (const axis of order) {
    if (axis === 'x' && out.width !== outW) out = pass8(out, outW, resample, 'x');
    if (axis === 'y' && out.height !== outH) out = pass8(out, outH, resample, 'y');
  }
  return { ...out, data: Float32Array.from(out.data) };
}

function eightBit(img) {
  const { data } = img;
  for (let i = 0; i < data.length; i += 1) {
    const v = data[i];
    if (v < 0 || v > 255 || v !== Math.round(v)) {
      throw new Error("precision='uint8' resizes 8-bit pixels: put the resize before any step that computes "
        + '(normalize, grayscale...)');
    }
  }
  if (img.channels === 4) return dropAlpha(img);  // as Pillow sees a picture it resizes: RGB
  return img;
}

function dropAlpha(img) {
  const { height, width, data } = img;
  const out = new Float32Array(height * width * 3);
  for (let p = 0, q = 0; p < data.length; p += 4, q += 3) {
    out[q] = data[p]; out[q + 1] = data[p + 1]; out[q + 2] = data[p + 2];
  }
  return { data: out, height, width, channels: 3 };
}

const PRECISIONS = ['float', 'uint8'];

function resized(img, outH, outW, resample, precision) {
  filterOf(resample);
  if (!PRECISIONS.includes(precision)) throw new Error(`precision must be one of ${PRECISIONS.join(', ')}. Received: ${precision}`);
  if (precision === 'uint8') {
    const src = eightBit(img);
    if (src.height === outH && src.width === outW) return { ...src, data: Float32Array.from(src.data) };
    return resize8(src, outH, outW, resample);
  }
  return resize(img, outH, outW, img.channels, img.channels, resample);
}

// transformers' get_resize_output_image_size(size, default_to_square=False).
export function shortestEdgeSize(height, width, size) {
  const [short, long] = width <= height ? [width, height] : [height, width];
  const newLong = Math.trunc((size * long) / short);
  return width <= height ? [newLong, size] : [size, newLong];
}

function opaque(img) {
  if (img.channels !== 4) return false;
  const { data } = img;
  for (let i = 3; i < data.length; i += 4) if (data[i] !== 255) return false;
  return true;
}

registerStep('fit', { size: [20, 20] }, (img, { size }) => {
  const [boxH, boxW] = size;
  const ratio = Math.min(boxH / img.height, boxW / img.width);
  return resize(img, Math.max(1, roundHalfUp(img.height * ratio)), Math.max(1, roundHalfUp(img.width * ratio)));
});

registerStep('resize', { size: [224, 224], resample: 'bilinear', precision: 'float' },
  (img, { size, resample, precision }) => resized(img, size[0], size[1], resample, precision));

registerStep('resize_shortest_edge', { size: 224, resample: 'bilinear', precision: 'float' },
  (img, { size, resample, precision }) => {
    const [outH, outW] = shortestEdgeSize(img.height, img.width, size);
    return resized(img, outH, outW, resample, precision);
  });

// transformers' center_crop: top and left rounded down; a smaller picture padded with zeros first.
registerStep('center_crop', { size: [224, 224] }, (img, { size }) => {
  const [cropH, cropW] = size;
  const { height: h, width: w, channels: c } = img;
  let top = Math.floor((h - cropH) / 2);
  let left = Math.floor((w - cropW) / 2);
  let src = img;
  let [srcH, srcW] = [h, w];
  if (!(top >= 0 && left >= 0 && top + cropH <= h && left + cropW <= w)) {
    [srcH, srcW] = [Math.max(cropH, h), Math.max(cropW, w)];
    const topPad = Math.ceil((srcH - h) / 2);
    const leftPad = Math.ceil((srcW - w) / 2);
    src = make(srcH, srcW, c);
    for (let y = 0; y < h; y += 1) {
      for (let i = 0; i < w * c; i += 1) src.data[((topPad + y) * srcW + leftPad) * c + i] = img.data[y * w * c + i];
    }
    top += topPad;
    left += leftPad;
  }
  const y0 = Math.max(0, top);
  const x0 = Math.max(0, left);
  const outH = Math.min(srcH, top + cropH) - y0;
  const outW = Math.min(srcW, left + cropW) - x0;
  const out = make(outH, outW, c);
  for (let y = 0; y < outH; y += 1) {
    for (let i = 0; i < outW * c; i += 1) out.data[y * outW * c + i] = src.data[((y0 + y) * srcW + x0) * c + i];
  }
  return out;
});

// Three colour channels, the alpha dropped (not laid on a background), as Pillow's convert("RGB").
registerStep('rgb', {}, (img) => {
  if (img.channels === 3) return img;
  if (img.channels === 4) return dropAlpha(img);
  const out = make(img.height, img.width, 3);
  for (let p = 0; p < img.height * img.width; p += 1) for (let k = 0; k < 3; k += 1) out.data[p * 3 + k] = img.data[p];
  return out;
});

registerStep('pad', { size: [28, 28], value: 0.0 }, (img, { size, value }) => {
  const [outH, outW] = size;
  const { height: h, width: w, channels: c } = img;
  if (h > outH || w > outW) throw new Error(`pad: image ${h}x${w} is larger than ${outH}x${outW}; fit it first`);
  const out = make(outH, outW, c, value);
  const top = (outH - h) >> 1;
  const left = (outW - w) >> 1;
  for (let y = 0; y < h; y += 1) out.data.set(img.data.subarray(y * w * c, (y + 1) * w * c), ((top + y) * outW + left) * c);
  return out;
});

registerStep('center_of_mass', {}, (img) => {
  const { height: h, width: w, channels: c } = img;
  const rowMass = new Float64Array(h);
  const colMass = new Float64Array(w);
  for (let y = 0; y < h; y += 1) {
    for (let x = 0; x < w; x += 1) {
      let m = 0;
      for (let k = 0; k < c; k += 1) m += img.data[(y * w + x) * c + k];
      rowMass[y] += m;
      colMass[x] += m;
    }
  }
  const total = rowMass.reduce((a, b) => a + b, 0);
  if (total <= 0) return img;
  let cy = 0; let cx = 0;
  rowMass.forEach((m, y) => { cy += m * y; });
  colMass.forEach((m, x) => { cx += m * x; });
  cy /= total; cx /= total;
  const rows = [...rowMass.keys()].filter((y) => rowMass[y] > 0);
  const cols = [...colMass.keys()].filter((x) => colMass[x] > 0);
  const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));
  const dy = clamp(roundHalfUp((h - 1) / 2 - cy), -rows[0], h - 1 - rows[rows.length - 1]);
  const dx = clamp(roundHalfUp((w - 1) / 2 - cx), -cols[0], w - 1 - cols[cols.length - 1]);
  const out = make(h, w, c);
  for (let y = 0; y < h; y += 1) {
    const sy = y - dy;
    if (sy < 0 || sy >= h) continue;
    for (let x = 0; x < w; x += 1) {
      const sx = x - dx;
      if (sx < 0 || sx >= w) continue;
      for (let k = 0; k < c; k += 1) out.data[(y * w + x) * c + k] = img.data[(sy * w + sx) * c + k];
    }
  }
  return out;
});

registerStep('channel_order', { order: 'rgb' }, (img, { order }) => {
  if (order === 'rgb' || img.channels !== 3) return img;
  if (order !== 'bgr') throw new Error(`channel_order: unknown order ${order}`);
  const data = new Float32Array(img.data.length);
  for (let i = 0; i < data.length; i += 3) {
    data[i] = img.data[i + 2]; data[i + 1] = img.data[i + 1]; data[i + 2] = img.data[i];
  }
  return { ...img, data };
});

registerStep('normalize', { scale: 1 / 255, mean: [0.0], std: [1.0] }, (img, { scale, mean, std }) => {
  const c = img.channels;
  const data = new Float32Array(img.data.length);
  for (let k = 0; k < c; k += 1) {
    const m = mean[k % mean.length];
    const d = std[k % std.length];
    for (let i = k; i < data.length; i += c) data[i] = (img.data[i] * scale - m) / d;
  }
  return { ...img, data };
});
