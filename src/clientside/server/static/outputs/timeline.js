// timeline: an output with a time axis ([items, frames] or [items, frames, tracks]): voice
// activity, a keyword per window, notes as a piano roll. Drawn over time under the clip's
// waveform (the audio input it came from), as lines for a few tracks or a roll for many, with
// the stretches at or above `threshold` said in words; downloadable as CSV.
import { downloadLink, el, formatNumber, row, sigmoid } from './common.js';

const LINES = 8;  // more tracks than this are drawn as a roll
const COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#17becf', '#8c564b', '#e377c2'];
const SVG = 'http://www.w3.org/2000/svg';

function svg(tag, attrs = {}) {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  return node;
}

// {frames, tracks, values: Float64Array [frames * tracks], names}: one item's timeline.
export function tracksOf(spec, output, i) {
  const values = Float64Array.from(row(output, i), (v) => (spec.scores === 'logits' ? sigmoid(v) : v));
  const tracks = output.shape.length > 2 ? output.shape[output.shape.length - 1] : 1;
  const frames = values.length / tracks;
  const names = Array.from({ length: tracks }, (_, k) => spec.labels?.[k] ?? (tracks === 1 ? spec.name : `${spec.name}[${k}]`));
  return { frames, tracks, values, names };
}

const time = (spec, f) => (spec.frame_seconds ? f * spec.frame_seconds : f);
const unit = (spec) => (spec.frame_seconds ? 's' : 'frames');

// The stretches of frames where a track is at or above the threshold: [[start, end), ...].
export function stretches(t, k, threshold) {
  const out = [];
  let start = null;
  for (let f = 0; f <= t.frames; f += 1) {
    const on = f < t.frames && t.values[f * t.tracks + k] >= threshold;
    if (on && start === null) start = f;
    if (!on && start !== null) { out.push([start, f]); start = null; }
  }
  return out;
}

function said(spec, t) {
  if (spec.threshold === undefined) return null;
  const parts = t.names.map((name, k) => {
    const found = stretches(t, k, spec.threshold);
    if (!found.length) return `${name}: none`;
    const shown = found.slice(0, 6).map(([a, b]) => `${formatNumber(time(spec, a))}–${formatNumber(time(spec, b))}`);
    return `${name}: ${shown.join(', ')}${found.length > 6 ? ` and ${found.length - 6} more` : ''} ${unit(spec)}`;
  });
  return el('p', 'timeline-said', `At or above ${spec.threshold}: ${parts.join('; ')}.`);
}

// The clip's waveform, its peak per pixel column, over the same seconds as the timeline.
function waveform(clip, width, height, seconds) {
  const g = svg('g', { class: 'waveform' });
  const x = clip.channels[0];
  const columns = Math.max(1, Math.min(width, x.length));
  const span = clip.rate * seconds;
  const d = [];
  for (let c = 0; c < columns; c += 1) {
    const from = Math.floor((c / columns) * span);
    const to = Math.min(x.length, Math.floor(((c + 1) / columns) * span));
    let peak = 0;
    for (let s = from; s < to; s += 1) peak = Math.max(peak, Math.abs(x[s]));
    const px = (c / columns) * width;
    d.push(`M${px.toFixed(1)} ${(height / 2 - (peak * height) / 2).toFixed(1)}V${(height / 2 + (peak * height) / 2).toFixed(1)}`);
  }
  g.append(svg('line', { x1: 0, x2: width, y1: height / 2, y2: height / 2, class: 'zero' }),
    svg('path', { d: d.join(''), class: 'wave' }));
  return g;
}

export function render(spec, output, i, context = {}) {
  const t = tracksOf(spec, output, i);
  const node = el('div', 'output timeline');
  const width = 600;
  const lineHeight = 120;
  const waveHeight = 40;
  const items = context.items || {};
  const clip = (spec.of && items[spec.of]) || Object.values(items).find((item) => item && item.channels);
  const clipSeconds = clip ? clip.channels[0].length / clip.rate : 0;
  const seconds = Math.max(time(spec, t.frames), spec.frame_seconds ? clipSeconds : 0) || 1;
  const xOf = (f) => (time(spec, f) / seconds) * width;
  const roll = t.tracks > LINES;
  const plotHeight = roll ? Math.max(60, Math.min(240, t.tracks * 3)) : lineHeight;
  const top = clip && spec.frame_seconds ? waveHeight + 6 : 0;
  const chart = svg('svg', { viewBox: `0 0 ${width} ${top + plotHeight + 1}`, class: 'timeline-chart', role: 'img',
    'aria-label': `${spec.label || spec.name} over ${formatNumber(time(spec, t.frames))} ${unit(spec)}` });
  if (top) chart.append(waveform(clip, width, waveHeight, seconds));
  const plot = svg('g', { transform: `translate(0 ${top})` });
  plot.append(svg('rect', { x: 0, y: 0, width, height: plotHeight, class: 'frame' }));
  if (roll) {  // a piano roll: one row per track, the first at the bottom, darker where higher
    const rowHeight = plotHeight / t.tracks;
    for (let k = 0; k < t.tracks; k += 1) {
      for (let f = 0; f < t.frames; f += 1) {
        const v = Math.max(0, Math.min(1, t.values[f * t.tracks + k]));
        if (v < 0.02) continue;
        plot.append(svg('rect', { x: xOf(f).toFixed(2), y: (plotHeight - (k + 1) * rowHeight).toFixed(2),
          width: Math.max(0.5, xOf(f + 1) - xOf(f)).toFixed(2), height: rowHeight.toFixed(2),
          class: 'cell', 'fill-opacity': v.toFixed(2) }));
      }
    }
  } else {
    let lo = 0;
    let hi = 1;
    for (const v of t.values) { lo = Math.min(lo, v); hi = Math.max(hi, v); }
    const yOf = (v) => plotHeight - ((v - lo) / (hi - lo || 1)) * plotHeight;
    if (spec.threshold !== undefined) {
      plot.append(svg('line', { x1: 0, x2: width, y1: yOf(spec.threshold), y2: yOf(spec.threshold), class: 'threshold' }));
    }
    for (let k = 0; k < t.tracks; k += 1) {
      const d = [];
      for (let f = 0; f < t.frames; f += 1) {
        d.push(`${f ? 'L' : 'M'}${xOf(f + 0.5).toFixed(1)} ${yOf(t.values[f * t.tracks + k]).toFixed(1)}`);
      }
      plot.append(svg('path', { d: d.join(''), class: 'track', stroke: COLOURS[k % COLOURS.length] }));
    }
  }
  chart.append(plot);
  // the time axis in the page's own type, so that it stays readable however narrow the chart
  const axis = el('div', 'timeline-axis');
  axis.append(el('span', '', '0'), el('span', '', `${formatNumber(time(spec, t.frames))} ${unit(spec)}`));
  node.append(chart, axis);
  if (!roll && t.tracks > 1) {
    const legend = el('ul', 'legend');
    t.names.forEach((name, k) => {
      const key = el('li', '', name);
      key.style.setProperty('--swatch', COLOURS[k % COLOURS.length]);
      legend.append(key);
    });
    node.append(legend);
  }
  const words = said(spec, t);
  if (words) node.append(words);
  node.append(downloadLink('Download CSV', `${spec.name}-timeline.csv`, csv(spec, t), 'text/csv'));
  return node;
}

export function csv(spec, t) {
  const head = [spec.frame_seconds ? 'seconds' : 'frame', ...t.names];
  const lines = [head.map((h) => `"${String(h).replace(/"/g, '""')}"`).join(',')];
  for (let f = 0; f < t.frames; f += 1) {
    const cells = [formatNumber(time(spec, f))];
    for (let k = 0; k < t.tracks; k += 1) cells.push(String(t.values[f * t.tracks + k]));
    lines.push(cells.join(','));
  }
  return `${lines.join('\n')}\n`;
}

// For the table of many rows: each track's peak, and its stretches at or above the threshold.
export function columns(spec, output, i) {
  const t = tracksOf(spec, output, i);
  return t.names.flatMap((name, k) => {
    let peak = -Infinity;
    for (let f = 0; f < t.frames; f += 1) peak = Math.max(peak, t.values[f * t.tracks + k]);
    const out = [{ header: `${name}: peak`, shown: formatNumber(peak), value: peak }];
    if (spec.threshold !== undefined) {
      const found = stretches(t, k, spec.threshold).map(([a, b]) => `${formatNumber(time(spec, a))}-${formatNumber(time(spec, b))}`);
      out.push({ header: `${name}: at or above ${spec.threshold} (${unit(spec)})`, shown: found.join(' ') || 'none', value: found.join(' ') });
    }
    return out;
  });
}
