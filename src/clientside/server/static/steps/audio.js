// Audio inputs in the page: the same steps, parameters and arithmetic as clientside/steps/audio.py,
// in float64 (JavaScript's numbers) until the batch is made. A clip arrives decoded at the file's
// own rate ({channels: [Float32Array, ...], rate}: the page's decoder, or a recording); the steps
// make it what the model takes. FFTs: npm fourier-transform (float64) for power-of-two sizes, and
// for others (Whisper's 400) the chirp-z transform (Bluestein) over its power-of-two complex FFT.
// The FFT module is handed in (useFFT), as the tokenizer library is to the text steps: the
// worker imports it from the page's vendor files, Node from node_modules.
import { InputError, typedArray } from './common.js';

let fourier = null;

// lib: the module vendor/fourier-transform.mjs (npm fourier-transform: fft, cfft, cifft).
export function useFFT(lib) {
  fourier = lib;
}

function fftModule() {
  if (!fourier) throw new Error('the audio steps need their FFT first: useFFT(await import(\'vendor/fourier-transform.mjs\'))');
  return fourier;
}

export const DEFAULT_MAX_SECONDS = 60;
const need = (signal, what, op) => {
  if (!what.includes(signal.what)) throw new Error(`${op} takes ${what.join(' or ')}, not ${signal.what} (put it where the steps give that)`);
};

// A Signal: {data: [rows of Float64Array], rate, what: 'clip' | 'frames' | 'spectrum', nFft, scale}.
// A clip's rows are its channels; frames' rows its windows; a spectrum's rows its bins.
const rows = (count, length) => Array.from({ length: count }, () => new Float64Array(length));

export function clip(channels, rate) {
  return { data: channels.map((c) => Float64Array.from(c)), rate, what: 'clip', nFft: 0, scale: 'linear' };
}

function mono(signal) {
  need(signal, ['clip'], 'mono');
  const { data } = signal;
  const out = new Float64Array(data[0].length);
  for (let i = 0; i < out.length; i += 1) {
    let sum = 0;
    for (const channel of data) sum += channel[i];
    out[i] = sum / data.length;
  }
  return { ...signal, data: [out] };
}

// ---- resample: SciPy's resample_poly (a Kaiser-windowed sinc, firwin; then upfirdn) ----------

const gcd = (a, b) => (b ? gcd(b, a % b) : a);

function besselI0(x) {  // the power series: exact to float64 for the beta here (5)
  let sum = 1;
  let term = 1;
  const q = (x * x) / 4;
  for (let k = 1; k < 200; k += 1) {
    term *= q / (k * k);
    sum += term;
    if (term < sum * 1e-17) break;
  }
  return sum;
}

const sinc = (x) => (x === 0 ? 1 : Math.sin(Math.PI * x) / (Math.PI * x));

// firwin(numtaps, cutoff, window=('kaiser', beta)): a low-pass filter, scaled to unit gain at 0.
function firwin(numtaps, cutoff, beta) {
  const alpha = 0.5 * (numtaps - 1);
  const h = new Float64Array(numtaps);
  const i0beta = besselI0(beta);
  let total = 0;
  for (let n = 0; n < numtaps; n += 1) {
    const m = n - alpha;
    const ratio = (n - alpha) / alpha;
    const window = besselI0(beta * Math.sqrt(Math.max(0, 1 - ratio * ratio))) / i0beta;
    h[n] = cutoff * sinc(cutoff * m) * window;
    total += h[n];
  }
  for (let n = 0; n < numtaps; n += 1) h[n] /= total;
  return h;
}

const filters = new Map();  // (up, down) -> {h, preRemove}: designed once per rate pair

function design(up, down) {
  const key = `${up}/${down}`;
  if (filters.has(key)) return filters.get(key);
  const maxRate = Math.max(up, down);
  const halfLen = 10 * maxRate;
  const taps = firwin(2 * halfLen + 1, 1 / maxRate, 5.0);
  const prePad = down - (halfLen % down);
  const h = new Float64Array(prePad + taps.length);
  for (let i = 0; i < taps.length; i += 1) h[prePad + i] = taps[i] * up;
  const found = { h, prePad, halfLen };
  filters.set(key, found);
  return found;
}

function resamplePoly(x, up, down) {
  const nIn = x.length;
  let nOut = nIn * up;
  nOut = Math.floor(nOut / down) + (nOut % down ? 1 : 0);
  const { h, prePad, halfLen } = design(up, down);
  // SciPy pads the filter with zeros after it until upfirdn's output is long enough: zeros add
  // nothing to a sum, and each output here is computed where it falls, so none are needed.
  const preRemove = Math.floor((halfLen + prePad) / down);
  const out = new Float64Array(nOut);
  for (let o = 0; o < nOut; o += 1) {
    const t = (o + preRemove) * down;  // the output's place in the upsampled signal
    // y[t] = sum over j of h[t - up * j] * x[j], for 0 <= t - up*j < len(h) and 0 <= j < nIn
    const jMax = Math.min(nIn - 1, Math.floor(t / up));
    const jMin = Math.max(0, Math.ceil((t - h.length + 1) / up));
    let sum = 0;
    for (let j = jMin; j <= jMax; j += 1) sum += h[t - up * j] * x[j];
    out[o] = sum;
  }
  return out;
}

function resample(signal, { rate }) {
  need(signal, ['clip'], 'resample');
  if (!(rate > 0)) throw new Error(`resample: rate must be positive, got ${rate}`);
  if (signal.rate === rate) return signal;
  const g = gcd(signal.rate, rate);
  return { ...signal, data: signal.data.map((c) => resamplePoly(c, rate / g, signal.rate / g)), rate };
}

function padOrTrim(signal, { seconds, samples }) {
  need(signal, ['clip'], 'pad_or_trim');
  if ((seconds === null || seconds === undefined) === (samples === null || samples === undefined)) {
    throw new Error('pad_or_trim takes one of seconds or samples');
  }
  const n = (samples !== null && samples !== undefined) ? samples : Math.floor(seconds * signal.rate);
  if (!(n > 0)) throw new Error(`pad_or_trim: the length must be positive, got ${n}`);
  return {
    ...signal,
    data: signal.data.map((c) => {
      const out = new Float64Array(n);
      out.set(c.subarray(0, Math.min(n, c.length)));
      return out;
    }),
  };
}

function frames(signal, { window, hop, pad_end: padEnd }) {
  need(signal, ['clip'], 'frames');
  if (!(window > 0 && hop > 0)) throw new Error(`frames: window and hop must be positive, got ${window} and ${hop}`);
  if (signal.data.length !== 1) throw new Error('frames takes a mono clip: put mono before it');
  const x = signal.data[0];
  const n = x.length;
  const steps = padEnd ? Math.ceil((n - window) / hop) : Math.floor((n - window) / hop);
  const count = 1 + Math.max(0, steps);
  const out = rows(count, window);
  for (let f = 0; f < count; f += 1) {
    const start = f * hop;
    out[f].set(x.subarray(start, Math.min(n, start + window)));
  }
  return { ...signal, data: out, what: 'frames' };
}

// ---- stft ----------------------------------------------------------------------------------

export function hann(length) {  // periodic, as scipy.signal.get_window('hann', length)
  const w = new Float64Array(length);
  for (let i = 0; i < length; i += 1) w[i] = 0.5 - 0.5 * Math.cos((2 * Math.PI * i) / length);
  return w;
}

const isPowerOfTwo = (n) => n >= 2 && (n & (n - 1)) === 0;

// The DFT of a real frame of any size n: bins 0..n/2 as [re, im]. A power of two goes to
// fourier-transform's real FFT; other sizes through Bluestein's chirp-z: a convolution with a
// chirp, done by its complex FFT at a power of two of at least 2n - 1.
const chirps = new Map();

function chirpFor(n) {
  if (chirps.has(n)) return chirps.get(n);
  let m = 2;
  while (m < 2 * n - 1) m *= 2;
  const cos = new Float64Array(n);
  const sin = new Float64Array(n);
  for (let k = 0; k < n; k += 1) {
    const angle = (Math.PI * ((k * k) % (2 * n))) / n;  // k^2 mod 2n keeps the angle exact
    cos[k] = Math.cos(angle);
    sin[k] = Math.sin(angle);
  }
  // b[k] = exp(+i*pi*k^2/n), placed at k and m - k, transformed once
  const bRe = new Float64Array(m);
  const bIm = new Float64Array(m);
  for (let k = 0; k < n; k += 1) {
    bRe[k] = cos[k];
    bIm[k] = sin[k];
    if (k) {
      bRe[m - k] = cos[k];
      bIm[m - k] = sin[k];
    }
  }
  fftModule().cfft(bRe, bIm);
  const found = { m, cos, sin, bRe, bIm, aRe: new Float64Array(m), aIm: new Float64Array(m) };
  chirps.set(n, found);
  return found;
}

export function realDft(frame) {
  const n = frame.length;
  const half = Math.floor(n / 2) + 1;
  if (isPowerOfTwo(n)) {
    const [re, im] = fftModule().fft(frame);
    return [Float64Array.from(re), Float64Array.from(im)];
  }
  const { m, cos, sin, bRe, bIm, aRe, aIm } = chirpFor(n);
  aRe.fill(0);
  aIm.fill(0);
  for (let k = 0; k < n; k += 1) {  // a[k] = x[k] * exp(-i*pi*k^2/n)
    aRe[k] = frame[k] * cos[k];
    aIm[k] = -frame[k] * sin[k];
  }
  fftModule().cfft(aRe, aIm);
  for (let k = 0; k < m; k += 1) {
    const re = aRe[k] * bRe[k] - aIm[k] * bIm[k];
    const im = aRe[k] * bIm[k] + aIm[k] * bRe[k];
    aRe[k] = re;
    aIm[k] = im;
  }
  fftModule().cifft(aRe, aIm);
  const re = new Float64Array(half);
  const im = new Float64Array(half);
  for (let k = 0; k < half; k += 1) {  // X[k] = exp(-i*pi*k^2/n) * conv[k]
    re[k] = aRe[k] * cos[k] + aIm[k] * sin[k];
    im[k] = aIm[k] * cos[k] - aRe[k] * sin[k];
  }
  return [re, im];
}

function reflectPad(x, pad) {
  const n = x.length;
  const out = new Float64Array(n + 2 * pad);
  out.set(x, pad);
  for (let i = 1; i <= pad; i += 1) {
    out[pad - i] = x[i];
    out[pad + n - 1 + i] = x[n - 1 - i];
  }
  return out;
}

function stft(signal, { n_fft: nFft, hop_length: hop, win_length: winLength, center, pad_mode: padMode, power, drop_last: dropLast }) {
  need(signal, ['clip'], 'stft');
  if (signal.data.length !== 1) throw new Error('stft takes a mono clip: put mono before it');
  if (!['reflect', 'constant'].includes(padMode)) throw new Error(`stft: pad_mode is reflect or constant, got ${padMode}`);
  if (power !== 1 && power !== 2) throw new Error(`stft: power is 1 (magnitude) or 2 (power), got ${power}`);
  const win = winLength || nFft;
  if (!(win > 0 && win <= nFft && hop > 0)) throw new Error(`stft: need 0 < win_length <= n_fft and hop_length > 0 (got ${win}, ${nFft}, ${hop})`);
  const window = new Float64Array(nFft);
  window.set(hann(win), Math.floor((nFft - win) / 2));
  let x = signal.data[0];
  if (center) {
    const pad = Math.floor(nFft / 2);
    if (padMode === 'reflect') {
      if (x.length <= pad) throw new InputError(`the clip is ${x.length} samples: too short for a reflect-padded STFT of ${nFft}`);
      x = reflectPad(x, pad);
    } else {
      const padded = new Float64Array(x.length + 2 * pad);
      padded.set(x, pad);
      x = padded;
    }
  }
  if (x.length < nFft) throw new InputError(`the clip is ${x.length} samples, shorter than one STFT window of ${nFft}`);
  let count = 1 + Math.floor((x.length - nFft) / hop);
  const bins = Math.floor(nFft / 2) + 1;
  if (dropLast) count -= 1;
  const out = rows(bins, count);
  const frame = new Float64Array(nFft);
  for (let t = 0; t < count; t += 1) {
    for (let i = 0; i < nFft; i += 1) frame[i] = x[t * hop + i] * window[i];
    const [re, im] = realDft(frame);
    for (let k = 0; k < bins; k += 1) {
      const p = re[k] * re[k] + im[k] * im[k];
      out[k][t] = power === 2 ? p : Math.sqrt(p);
    }
  }
  return { ...signal, data: out, what: 'spectrum', nFft, scale: 'linear' };
}

// ---- mel: librosa.filters.mel ---------------------------------------------------------------

const F_SP = 200 / 3;
const MIN_LOG_HZ = 1000;
const MIN_LOG_MEL = MIN_LOG_HZ / F_SP;
const LOGSTEP = Math.log(6.4) / 27;

export function hzToMel(hz, htk) {
  if (htk) return 2595 * Math.log10(1 + hz / 700);
  return hz >= MIN_LOG_HZ ? MIN_LOG_MEL + Math.log(hz / MIN_LOG_HZ) / LOGSTEP : hz / F_SP;
}

export function melToHz(mel, htk) {
  if (htk) return 700 * (10 ** (mel / 2595) - 1);
  return mel >= MIN_LOG_MEL ? MIN_LOG_HZ * Math.exp(LOGSTEP * (mel - MIN_LOG_MEL)) : F_SP * mel;
}

export function melFilters(rate, nFft, nMels, fmin, fmax, htk, norm) {
  const top = fmax ?? rate / 2;
  const bins = Math.floor(nFft / 2) + 1;
  const fftFreqs = Float64Array.from({ length: bins }, (_, k) => (k * rate) / nFft);
  const low = hzToMel(fmin, htk);
  const high = hzToMel(top, htk);
  const points = nMels + 2;
  // np.linspace: start + step * i, the last point exactly the end
  const melF = Float64Array.from({ length: points }, (_, i) => melToHz(
    i === points - 1 ? high : low + ((high - low) / (points - 1)) * i, htk));
  const weights = rows(nMels, bins);
  for (let m = 0; m < nMels; m += 1) {
    const lowerDiff = melF[m + 1] - melF[m];
    const upperDiff = melF[m + 2] - melF[m + 1];
    const enorm = norm === 'slaney' ? 2 / (melF[m + 2] - melF[m]) : 1;
    for (let k = 0; k < bins; k += 1) {
      const lower = -(melF[m] - fftFreqs[k]) / lowerDiff;
      const upper = (melF[m + 2] - fftFreqs[k]) / upperDiff;
      weights[m][k] = Math.max(0, Math.min(lower, upper)) * enorm;
    }
  }
  return weights;
}

function mel(signal, { n_mels: nMels, fmin, fmax, htk, norm }) {
  need(signal, ['spectrum'], 'mel');
  if (signal.scale !== 'linear') throw new Error('mel takes a linear spectrogram (from stft), not one already on the mel scale');
  if (norm !== 'slaney' && norm !== null) throw new Error(`mel: norm is 'slaney' or null, got ${norm}`);
  if (fmax !== null && !(fmin < fmax && fmax <= signal.rate / 2)) {
    throw new Error(`mel: need fmin < fmax <= ${signal.rate / 2} (half the rate), got ${fmin}, ${fmax}`);
  }
  const filters = melFilters(signal.rate, signal.nFft, nMels, fmin, fmax, htk, norm);
  const time = signal.data[0].length;
  const out = rows(nMels, time);
  for (let m = 0; m < nMels; m += 1) {
    const f = filters[m];
    const row = out[m];
    for (let k = 0; k < f.length; k += 1) {
      const w = f[k];
      if (w === 0) continue;  // adds nothing: the same sum as the matrix product's
      const bin = signal.data[k];
      for (let t = 0; t < time; t += 1) row[t] += w * bin[t];
    }
  }
  return { ...signal, data: out, scale: 'mel' };
}

// ---- log, normalize, transpose --------------------------------------------------------------

const eachValue = (data, fn) => data.map((row) => row.map(fn));
const maxOf = (data) => data.reduce((m, row) => row.reduce((a, v) => (v > a ? v : a), m), -Infinity);

function log(signal, { kind, ref, amin, top_db: topDb }) {
  need(signal, ['spectrum', 'frames'], 'log');
  let out;
  if (kind === 'db') {
    if (ref !== 'max' && !(typeof ref === 'number' && ref > 0)) throw new Error(`log: ref is a positive number or 'max', got ${ref}`);
    const base = ref === 'max' ? maxOf(signal.data) : ref;
    const offset = 10 * Math.log10(Math.max(amin, base));
    out = eachValue(signal.data, (v) => 10 * Math.log10(Math.max(amin, v)) - offset);
    if (topDb !== null) {
      const floor = maxOf(out) - topDb;
      out = eachValue(out, (v) => Math.max(v, floor));
    }
  } else if (kind === 'ln') {
    out = eachValue(signal.data, (v) => Math.log(Math.max(v, amin)));
  } else if (kind === 'log10') {
    out = eachValue(signal.data, (v) => Math.log10(Math.max(v, amin)));
  } else if (kind === 'whisper') {
    const logged = eachValue(signal.data, (v) => Math.log10(Math.max(v, 1e-10)));
    const floor = maxOf(logged) - 8;
    out = eachValue(logged, (v) => (Math.max(v, floor) + 4) / 4);
  } else {
    throw new Error(`log: kind is one of db, ln, log10, whisper, got ${kind}`);
  }
  return { ...signal, data: out };
}

function normalize(signal, { kind, mean, std }) {
  const all = signal.data;
  let out;
  if (kind === 'standard') {
    let count = 0;
    let sum = 0;
    for (const row of all) for (const v of row) { sum += v; count += 1; }
    const mu = sum / count;
    let sq = 0;
    for (const row of all) for (const v of row) sq += (v - mu) * (v - mu);
    const scale = Math.sqrt(sq / count + 1e-7);
    out = eachValue(all, (v) => (v - mu) / scale);
  } else if (kind === 'peak') {
    let peak = 0;
    for (const row of all) for (const v of row) peak = Math.max(peak, Math.abs(v));
    out = peak > 0 ? eachValue(all, (v) => v / peak) : all.map((row) => Float64Array.from(row));
  } else if (kind === 'affine') {
    if (!std) throw new Error('normalize: std must not be 0');
    out = eachValue(all, (v) => (v - mean) / std);
  } else {
    throw new Error(`normalize: kind is one of standard, peak, affine, got ${kind}`);
  }
  return { ...signal, data: out };
}

function transpose(signal) {
  const { data } = signal;
  const out = rows(data[0].length, data.length);
  for (let i = 0; i < data.length; i += 1) for (let j = 0; j < data[i].length; j += 1) out[j][i] = data[i][j];
  return { ...signal, data: out };
}

function decode(signal) {
  need(signal, ['clip'], 'decode');
  return signal;
}

export const STEPS = {
  decode: { params: {}, run: decode },
  frames: { params: { window: null, hop: null, pad_end: false }, run: frames },
  log: { params: { kind: 'db', ref: 1.0, amin: 1e-10, top_db: 80.0 }, run: log },
  mel: { params: { n_mels: null, fmin: 0.0, fmax: null, htk: false, norm: 'slaney' }, run: mel },
  mono: { params: {}, run: mono },
  normalize: { params: { kind: 'standard', mean: 0.0, std: 1.0 }, run: normalize },
  pad_or_trim: { params: { seconds: null, samples: null }, run: padOrTrim },
  resample: { params: { rate: null }, run: resample },
  stft: {
    params: { n_fft: null, hop_length: null, win_length: null, center: true, pad_mode: 'constant', power: 2.0, drop_last: false },
    run: stft,
  },
  transpose: { params: {}, run: transpose },
};

export function runSteps(signal, steps) {
  let out = signal;
  for (const { op, ...params } of steps) {
    const step = STEPS[op];
    if (!step) throw new Error(`unknown audio step ${op}. Known steps: ${Object.keys(STEPS).sort().join(', ')}`);
    out = step.run(out, { ...step.params, ...params });
  }
  return out;
}

// The steps' result as the model's item shape, where only axes of 1 differ (Python's fit()).
export function fit(signal, spec, name) {
  const shape = [signal.data.length, signal.data[0].length];
  const want = spec.shape.slice(1);
  const core = shape.filter((d) => d !== 1);
  const wanted = want.filter((d) => d !== 1);
  const fits = core.length === wanted.length && wanted.every((w, i) => w === null || w === core[i]);
  if (!fits) {
    throw new InputError(`${name}: the steps give [${shape.join(', ')}] (${signal.what}); the model takes `
      + `[${want.map((d) => d ?? 'any').join(', ')}] per item`);
  }
  const sizes = core[Symbol.iterator]();
  const itemShape = want.map((d) => (d !== null ? d : (sizes.next().value ?? 1)));
  return { values: signal.data, itemShape };
}

// items: [{channels: [Float32Array, ...], rate}] -> {data, shape} for the batch.
export function prepare(spec, items) {
  const seconds = spec.max_seconds ?? DEFAULT_MAX_SECONDS;
  let shape = null;
  const made = items.map((item, i) => {
    const name = `${spec.name}[${i}]`;
    const length = item.channels[0]?.length ?? 0;
    if (!length) throw new InputError(`${name} holds no samples`);
    if (length > seconds * item.rate) throw new InputError(`${name} is ${(length / item.rate).toFixed(1)} s long; this model takes at most ${seconds} s`);
    let out;
    try {
      out = fit(runSteps(clip(item.channels, item.rate), spec.steps), spec, name);
    } catch (err) {
      if (err instanceof InputError) throw err;
      throw new InputError(`${name}: ${err.message}`);
    }
    if (shape && shape.join() !== out.itemShape.join()) {
      throw new InputError(`${spec.name}: the clips give different shapes: give the steps a pad_or_trim`);
    }
    shape = out.itemShape;
    return out.values;
  });
  const size = shape.reduce((a, b) => a * b, 1);
  const data = typedArray(spec.dtype, size * items.length);
  made.forEach((values, i) => {
    let at = i * size;
    for (const row of values) { data.set(row, at); at += row.length; }
  });
  return { data, shape: [items.length, ...shape] };
}
