// What the output renderers share: elements, scores, downloads.

export function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// RGBA bytes [h, w, 4] as a canvas of their size.
export function canvasOf(rgba, h, w) {
  const canvas = el('canvas');
  canvas.width = w;
  canvas.height = h;
  canvas.getContext('2d').putImageData(new ImageData(rgba, w, h), 0, 0);
  return canvas;
}

// Row i of a batch output [n, ...]: the values of one prediction.
export function row({ data, shape }, i) {
  const size = shape.slice(1).reduce((a, b) => a * b, 1);
  return data.subarray(i * size, (i + 1) * size);
}

export function softmax(values) {
  const max = Math.max(...values);
  const exps = Array.from(values, (v) => Math.exp(v - max));
  const total = exps.reduce((a, b) => a + b, 0);
  return exps.map((e) => e / total);
}

export const sigmoid = (v) => 1 / (1 + Math.exp(-v));

export function topK(probs, k) {
  return Array.from(probs, (p, i) => [i, p]).sort((a, b) => b[1] - a[1]).slice(0, k);
}

export const percent = (p) => `${(p * 100).toFixed(1)}%`;

export function bar(name, p) {
  const node = el('div', 'bar');
  const track = el('div', 'track');
  const fill = el('div', 'fill');
  fill.style.width = percent(p);
  track.append(fill);
  node.append(el('span', '', name), track, el('span', '', percent(p)));
  return node;
}

export function downloadLink(text, filename, blobOrString, type) {
  const link = el('a', 'download', text);
  const blob = blobOrString instanceof Blob ? blobOrString : new Blob([blobOrString], { type });
  link.href = URL.createObjectURL(blob);
  link.download = filename;
  return link;
}

export function formatNumber(v) {
  if (!Number.isFinite(v)) return String(v);
  const a = Math.abs(v);
  return a !== 0 && (a >= 1e6 || a < 1e-3) ? v.toExponential(4) : String(Number(v.toPrecision(6)));
}
