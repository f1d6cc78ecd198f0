// A sound file as PCM at its own rate: the browser's own decoder (decodeAudioData) on a context
// of the file's rate, read from the file's header, so that the browser never resamples (its
// resampler differs by browser; the steps' resample is the project's, the same as Python's).
// WAV and FLAC decode to the same PCM as Python's soundfile (8- and 16-bit integers set right:
// see exactIntegers); MP3, Ogg and WebM close to it.
//   decodeFile(file) -> {channels: [Float32Array, ...], rate, seconds}

// {rate, integerBits}: the rate a decoder gives, from the file's header (null where the page
// cannot tell); integerBits, for WAV and FLAC holding integers, the bits of the integers the
// decoder hands on (FLAC's decoder gives 16 for any depth up to 16).
export function headerFormat(bytes) {
  const b = new Uint8Array(bytes);
  const view = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const text = (at, n) => String.fromCharCode(...b.subarray(at, at + n));
  if (b.length >= 12 && text(0, 4) === 'RIFF' && text(8, 4) === 'WAVE') {
    for (let at = 12; at + 8 <= b.length;) {  // chunks: id, size, body (padded to even)
      const size = view.getUint32(at + 4, true);
      if (text(at, 4) === 'fmt ' && at + 24 <= b.length) {
        let tag = view.getUint16(at + 8, true);  // 1: integers, 3: floats, 0xfffe: its sub-format says
        if (tag === 0xfffe && at + 34 <= b.length) tag = view.getUint16(at + 32, true);
        const bits = view.getUint16(at + 22, true);
        return { rate: view.getUint32(at + 12, true), integerBits: tag === 1 ? bits : null };
      }
      at += 8 + size + (size % 2);
    }
    return { rate: null };
  }
  if (b.length >= 22 && text(0, 4) === 'fLaC') {  // STREAMINFO: 20 bits of rate at byte 18, then channels, bits
    const bits = (((b[20] & 1) << 4) | (b[21] >> 4)) + 1;
    return { rate: (b[18] << 12) | (b[19] << 4) | (b[20] >> 4), integerBits: bits <= 16 ? 16 : bits };
  }
  if (b.length >= 4 && text(0, 4) === 'OggS') {
    const vorbis = findBytes(b, [0x01, 0x76, 0x6f, 0x72, 0x62, 0x69, 0x73]);  // "\x01vorbis"
    if (vorbis >= 0 && vorbis + 16 <= b.length) return { rate: view.getUint32(vorbis + 12, true) };
    // OpusHead: Opus is decoded at 48 kHz
    if (findBytes(b, [0x4f, 0x70, 0x75, 0x73, 0x48, 0x65, 0x61, 0x64]) >= 0) return { rate: 48000 };
    return { rate: null };
  }
  if (b.length >= 4 && view.getUint32(0) === 0x1a45dfa3) {  // EBML: WebM (Opus, as recorders write it)
    return { rate: findBytes(b, [0x41, 0x5f, 0x4f, 0x50, 0x55, 0x53]) >= 0 ? 48000 : null };  // codec id A_OPUS
  }
  return { rate: mp3Rate(b) };
}

function findBytes(b, pattern, limit = 1 << 16) {
  const end = Math.min(b.length - pattern.length, limit);
  outer: for (let i = 0; i <= end; i += 1) {
    for (let k = 0; k < pattern.length; k += 1) if (b[i + k] !== pattern[k]) continue outer;
    return i;
  }
  return -1;
}

const MP3_RATES = { 3: [44100, 48000, 32000], 2: [22050, 24000, 16000], 0: [11025, 12000, 8000] };

function mp3Rate(b) {
  let at = 0;
  if (b.length >= 10 && b[0] === 0x49 && b[1] === 0x44 && b[2] === 0x33) {  // an ID3v2 tag first
    at = 10 + ((b[6] & 0x7f) << 21 | (b[7] & 0x7f) << 14 | (b[8] & 0x7f) << 7 | (b[9] & 0x7f));
  }
  for (const end = Math.min(b.length - 4, at + (1 << 16)); at <= end; at += 1) {
    if (b[at] === 0xff && (b[at + 1] & 0xe0) === 0xe0) {
      const version = (b[at + 1] >> 3) & 3;
      const layer = (b[at + 1] >> 1) & 3;
      const index = (b[at + 2] >> 2) & 3;
      if (version !== 1 && layer !== 0 && index !== 3) return MP3_RATES[version][index];
    }
  }
  return null;
}

export const ACCEPT = 'audio/*,.wav,.flac,.mp3,.ogg,.oga,.opus,.webm';

// The rates Python's decoder takes too (steps/audio.py: MIN_RATE, MAX_RATE).
const MIN_RATE = 3000;
const MAX_RATE = 384000;

export async function decodeFile(file) {
  const bytes = await file.arrayBuffer();
  const { rate, integerBits } = headerFormat(bytes);
  if (!rate) {
    throw new Error(`${file.name} is not a WAV, FLAC, MP3, Ogg or WebM file this page can read at its own rate`);
  }
  if (rate < MIN_RATE || rate > MAX_RATE) {
    throw new Error(`${file.name}: a sampling rate of ${rate} Hz is not one a recording has (3,000 to 384,000 Hz)`);
  }
  let buffer;
  try {
    buffer = await new OfflineAudioContext(1, 1, rate).decodeAudioData(bytes);
  } catch (err) {
    throw new Error(`${file.name} could not be decoded by this browser (${err.message || err.name})`, { cause: err });
  }
  const channels = Array.from({ length: buffer.numberOfChannels }, (_, c) => buffer.getChannelData(c));
  if (integerBits === 8 || integerBits === 16) await exactIntegers(channels, integerBits);
  return { channels, rate: buffer.sampleRate, seconds: buffer.duration };
}

// Python's decoders (soundfile, torchaudio) turn an n-bit integer v into v / 2^(n-1) on both
// sides of zero. Chromium turns 8- and 16-bit ones into v / 2^(n-1) below zero and
// v / (2^(n-1) - 1) above (media/base/audio_sample_types.h), so 0.0007 of a step apart; FLAC's
// 8 bits reach it as 16. Where this browser does so (probed once, on a WAV of one sample),
// positive samples are set back to the integer's v / 2^(n-1): then WAV and FLAC are exact.
async function exactIntegers(channels, bits) {
  if (!(await asymmetric(bits))) return;
  const scale = 2 ** (bits - 1);
  for (const x of channels) {
    for (let i = 0; i < x.length; i += 1) if (x[i] > 0) x[i] = Math.round(x[i] * (scale - 1)) / scale;
  }
}

const probes = new Map();

// Whether this browser decodes the largest `bits`-bit integer of a WAV file to exactly 1.
function asymmetric(bits) {
  if (!probes.has(bits)) {
    const view = new DataView(new ArrayBuffer(44 + bits / 8));
    header(view, { rate: 8000, channels: 1, bits, tag: 1, samples: 1 });
    if (bits === 8) view.setUint8(44, 255); else view.setInt16(44, 32767, true);
    probes.set(bits, new OfflineAudioContext(1, 1, 8000).decodeAudioData(view.buffer)
      .then((decoded) => decoded.getChannelData(0)[0] === 1, () => false));
  }
  return probes.get(bits);
}

// A canonical 44-byte WAV header.
function header(view, { rate, channels, bits, tag, samples }) {
  const put = (at, s) => { for (let i = 0; i < s.length; i += 1) view.setUint8(at + i, s.charCodeAt(i)); };
  const block = channels * bits / 8;
  put(0, 'RIFF');
  view.setUint32(4, 36 + samples * block, true);
  put(8, 'WAVEfmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, tag, true);
  view.setUint16(22, channels, true);
  view.setUint32(24, rate, true);
  view.setUint32(28, rate * block, true);
  view.setUint16(32, block, true);
  view.setUint16(34, bits, true);
  put(36, 'data');
  view.setUint32(40, samples * block, true);
}

// A recording or a decoded clip as a 32-bit float WAV file, every sample as the model had it:
// what a visitor plays back or downloads, and what the server prepares in server mode.
export function wavBlob(channels, rate) {
  const n = channels[0].length;
  const count = channels.length;
  const view = new DataView(new ArrayBuffer(44 + n * count * 4));
  header(view, { rate, channels: count, bits: 32, tag: 3, samples: n });
  let at = 44;
  for (let i = 0; i < n; i += 1) {
    for (let c = 0; c < count; c += 1) {
      view.setFloat32(at, channels[c][i], true);
      at += 4;
    }
  }
  return new Blob([view], { type: 'audio/wav' });
}
