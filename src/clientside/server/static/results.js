// Renders one card per input: the upload, what the model saw, the label, top 3, timing.

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

// The prepared tensor of one image ([h, w, 1] in 0..1) drawn as a small grey image.
function tensorCanvas(values, height, width) {
  const canvas = el('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d');
  const img = ctx.createImageData(width, height);
  for (let i = 0; i < width * height; i += 1) {
    const v = Math.max(0, Math.min(255, Math.round(values[i] * 255)));
    img.data.set([v, v, v, 255], i * 4);
  }
  ctx.putImageData(img, 0, 0);
  return canvas;
}

export function topK(probs, k) {
  return Array.from(probs, (p, i) => [i, p]).sort((a, b) => b[1] - a[1]).slice(0, k);
}

export function renderResult({ name, previewUrl, prepared, shape, probs, labels, ms, batchSize }) {
  const item = el('li', 'result');
  item.dataset.file = name;
  const [, height, width] = shape;
  const seen = tensorCanvas(prepared, height, width);
  seen.title = 'What the model saw';
  if (previewUrl) {
    const img = el('img');
    img.src = previewUrl;
    img.alt = name;
    item.append(img);
  } else {
    item.append(seen);
  }
  const top = topK(probs, 3);
  const head = el('div');
  const label = el('div', 'label', labels[top[0][0]] ?? String(top[0][0]));
  label.dataset.testid = 'label';
  head.append(label, el('div', 'name', name));
  const per = batchSize > 1 ? ` (batch of ${batchSize}: ${(ms / batchSize).toFixed(2)} ms each)` : '';
  head.append(el('div', 'time', `predicted in ${ms.toFixed(1)} ms${per}`));
  item.append(head);
  const bars = el('div', 'bars');
  for (const [index, p] of top) {
    const bar = el('div', 'bar');
    const track = el('div', 'track');
    const fill = el('div', 'fill');
    fill.style.width = `${(p * 100).toFixed(1)}%`;
    track.append(fill);
    bar.append(el('span', '', labels[index] ?? String(index)), track, el('span', '', `${(p * 100).toFixed(1)}%`));
    bars.append(bar);
  }
  item.append(bars);
  if (previewUrl) {
    seen.classList.add('seen');
    bars.before(seen);
  }
  return item;
}
