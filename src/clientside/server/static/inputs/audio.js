// An audio input: sound files (chosen or dropped; decoded by the browser at their own rate),
// the microphone (start, stop, a level meter, the recording played back), and live listening
// (a sliding window of the microphone, predicted as fast as the model allows). Each clip is given to
// the worker as {channels, rate, name, blob}: its PCM for the steps, its file for the server.
import { ACCEPT, decodeFile, wavBlob } from './audio-decode.js';
import { el, idFor, InputMissing, title } from './common.js';

// the steps' own default (steps/audio.js, clientside/steps/audio.py: a test keeps the three equal);
// not imported from there, which would load the steps on the page for one number
export const DEFAULT_MAX_SECONDS = 60;
const maxSeconds = (spec) => spec.max_seconds ?? DEFAULT_MAX_SECONDS;
const secondsText = (s) => `${s < 10 ? s.toFixed(1) : Math.round(s)} s`;

// What the model hears, in words, from its steps.
export function describe(spec) {
  const steps = spec.steps || [];
  const rate = steps.find((s) => s.op === 'resample')?.rate;
  const length = steps.find((s) => s.op === 'pad_or_trim');
  const clip = length ? (length.seconds ?? length.samples / (rate || 1)) : null;
  const parts = [];
  parts.push(clip && rate ? `The model hears ${secondsText(clip)} of sound` : 'The model hears the sound');
  if (rate) parts.push(` at ${(rate / 1000).toLocaleString('en')} kHz`);
  if (steps.some((s) => s.op === 'mono')) parts.push(', in mono');
  const longest = `Files and recordings of up to ${secondsText(maxSeconds(spec))}`;
  return `${parts.join('')}. ${longest}${clip ? `; a shorter one is padded with silence, a longer one cut to ${secondsText(clip)}` : ''}.`;
}

// The microphone's PCM, at the device's own rate (the steps resample it), block by block
// (128 samples, every channel) from an AudioWorklet: onBlock(channels). The meter shows each
// block's peak. close() releases the device.
async function openMicrophone(meter, onBlock) {
  const stream = await navigator.mediaDevices.getUserMedia({
    audio: { echoCancellation: false, noiseSuppression: false, autoGainControl: false } });
  const context = new AudioContext();
  await context.audioWorklet.addModule(new URL('./audio-recorder.worklet.js', import.meta.url));
  const node = new AudioWorkletNode(context, 'clientside-recorder', { numberOfOutputs: 0 });
  node.port.onmessage = ({ data }) => {
    let peak = 0;
    for (const v of data[0]) peak = Math.max(peak, Math.abs(v));
    meter.value = peak;
    onBlock(data);
  };
  context.createMediaStreamSource(stream).connect(node);
  meter.hidden = false;
  return {
    rate: context.sampleRate,
    async close() {
      stream.getTracks().forEach((t) => t.stop());
      await context.close();
      meter.hidden = true;
    },
  };
}

const levelMeter = (id) => {
  const meter = el('meter', { id, min: 0, max: 1, value: 0, 'aria-label': 'Microphone level' });
  meter.hidden = true;
  return meter;
};

// Record: start, stop (or the longest clip the model takes), then the clip joins the list.
function recorder(spec, index, add) {
  const toggle = el('button', { type: 'button', id: idFor('record', index), text: 'Record' });
  const meter = levelMeter(idFor('level', index));
  const said = el('span', { class: 'chosen', 'aria-live': 'polite' });
  const box = el('div', { class: 'record-box' }, toggle, meter, said);
  let session = null;
  let count = 0;

  async function stop() {
    if (!session) return;
    const { microphone, chunks, timer } = session;
    session = null;
    clearTimeout(timer);
    await microphone.close();
    toggle.textContent = 'Record';
    const total = chunks.reduce((n, c) => n + c[0].length, 0);
    if (!total) { said.textContent = 'Nothing was recorded.'; return; }
    const channels = chunks[0].map((_, c) => {
      const out = new Float32Array(total);
      let at = 0;
      for (const chunk of chunks) { out.set(chunk[c], at); at += chunk[c].length; }
      return out;
    });
    count += 1;
    said.textContent = '';
    add({ name: `recording-${count}.wav`, channels, rate: microphone.rate, seconds: total / microphone.rate,
      blob: wavBlob(channels, microphone.rate) });
  }

  toggle.addEventListener('click', async () => {
    if (session) { await stop(); return; }
    const chunks = [];
    let microphone;
    try {
      microphone = await openMicrophone(meter, (block) => chunks.push(block));
    } catch (err) {
      said.textContent = `The microphone could not be started: ${err.message}`;
      return;
    }
    // it stops itself at the longest clip the model takes
    session = { microphone, chunks, timer: setTimeout(stop, maxSeconds(spec) * 1000) };
    toggle.textContent = 'Stop recording';
    said.textContent = `Recording (up to ${secondsText(maxSeconds(spec))})…`;
  });
  return box;
}

// How much sound one live prediction hears: the clip the steps make (pad_or_trim), else 2 s.
export function windowSeconds(spec) {
  const steps = spec.steps || [];
  const rate = steps.find((s) => s.op === 'resample')?.rate;
  const length = steps.find((s) => s.op === 'pad_or_trim');
  const clip = length ? (length.seconds ?? (rate ? length.samples / rate : null)) : null;
  return Math.min(clip || 2, maxSeconds(spec));
}

const FRESH_SECONDS = 0.05;  // a live window waits for at least this much new sound

// Listen: the last windowSeconds of the microphone, predicted again as soon as the model is
// free and some new sound has come (live.start runs the loop; one window in flight at a time).
function listener(spec, index, live) {
  const toggle = el('button', { type: 'button', id: idFor('listen', index), text: 'Listen live' });
  const meter = levelMeter(idFor('live-level', index));
  const box = el('div', { class: 'record-box' }, toggle, meter);
  let microphone = null;

  async function stop() {
    live.stop();
    const open = microphone;
    microphone = null;
    toggle.textContent = 'Listen live';
    if (open) await open.close();
  }

  toggle.addEventListener('click', async () => {
    if (microphone) { await stop(); return; }
    let ring = null;  // per channel, the last `size` samples; `at`: where the next one goes
    let at = 0;
    let fresh = 0;
    let wake = null;
    let rate = 0;
    let size = 0;  // set once the device says its rate
    try {
      microphone = await openMicrophone(meter, (block) => {
        if (!size) return;
        if (!ring) ring = block.map(() => new Float32Array(size));
        for (let i = 0; i < block[0].length; i += 1) {
          for (let c = 0; c < ring.length; c += 1) ring[c][at] = (block[c] || block[0])[i];
          at = (at + 1) % size;
        }
        fresh += block[0].length;
        if (wake && fresh >= FRESH_SECONDS * rate) { wake(); wake = null; }
      });
    } catch (err) {
      live.error(`The microphone could not be started: ${err.message}`);
      return;
    }
    rate = microphone.rate;
    size = Math.round(windowSeconds(spec) * rate);
    toggle.textContent = 'Stop listening';
    const windows = {
      unit: 'windows',
      async next() {
        if (fresh < FRESH_SECONDS * rate) await new Promise((resolve) => { wake = resolve; });
        if (!microphone || !ring) return null;
        fresh = 0;
        const channels = ring.map((x) => {  // oldest sample first
          const out = new Float32Array(size);
          out.set(x.subarray(at), 0);
          out.set(x.subarray(0, at), size - at);
          return out;
        });
        return { item: { channels, rate, name: 'microphone', seconds: size / rate }, transfer: [] };
      },
    };
    live.start(spec, windows).catch((err) => live.error(err.message)).finally(() => { if (microphone) stop(); });
  });
  return box;
}

export function create(spec, { index, showTitle, onChange, live }) {
  const widgets = spec.widgets || ['upload', 'record', 'live'];
  const root = el('div', { class: 'widget audio', 'data-input': spec.name });
  if (showTitle) root.append(el('h2', { text: title(spec) }));
  const expects = el('p', { class: 'expects', id: idFor('expects', index), text: describe(spec) });
  const row = el('div', { class: 'row' });
  const list = el('ul', { class: 'clips', id: idFor('clips', index), 'aria-live': 'polite' });
  root.append(expects, row, list);
  const state = { clips: [], decoding: 0 };

  function show() {
    list.replaceChildren(...state.clips.map((clip) => {
      const player = el('audio', { controls: true, preload: 'metadata', 'aria-label': `Play ${clip.name}` });
      player.src = URL.createObjectURL(clip.blob);
      return el('li', {}, el('span', { class: 'name', text: `${clip.name} (${secondsText(clip.seconds)}, `
        + `${(clip.rate / 1000).toLocaleString('en')} kHz, ${clip.channels.length === 1 ? 'mono' : `${clip.channels.length} channels`})` }), player);
    }));
    onChange();
  }
  const add = (clip) => {
    if (clip.seconds > maxSeconds(spec)) {
      throw new Error(`${clip.name} is ${secondsText(clip.seconds)} long; this model takes at most ${secondsText(maxSeconds(spec))}`);
    }
    state.clips.push(clip);
    show();
  };
  const files = el('input', { id: idFor('files', index), type: 'file', accept: ACCEPT, multiple: true,
    class: 'visually-hidden', 'aria-describedby': expects.id });
  const chosen = el('span', { id: idFor('chosen', index), class: 'chosen', 'aria-live': 'polite' });
  const drop = el('label', { id: idFor('drop', index), class: 'drop', for: files.id },
    el('span', {}, 'Drop sound files here (WAV, FLAC, MP3, Ogg, WebM), or ', el('span', { class: 'button-like', text: 'choose files' })),
    files, chosen);

  async function choose(fileList) {
    const chosenFiles = Array.from(fileList);
    if (!chosenFiles.length) return;
    state.clips = [];
    state.decoding += 1;
    chosen.textContent = `Reading ${chosenFiles.length} file${chosenFiles.length > 1 ? 's' : ''}…`;
    onChange();
    const problems = [];
    for (const file of chosenFiles) {
      try {
        add({ name: file.name, blob: file, ...(await decodeFile(file)) });
      } catch (err) {
        problems.push(err.message);
      }
    }
    state.decoding -= 1;
    chosen.textContent = problems.length ? problems.join('; ')
      : `${state.clips.length} file${state.clips.length > 1 ? 's' : ''} ready: press Predict`;
    onChange();
  }
  files.addEventListener('change', () => choose(files.files));
  for (const type of ['dragenter', 'dragover']) drop.addEventListener(type, (e) => { e.preventDefault(); drop.classList.add('over'); });
  for (const type of ['dragleave', 'drop']) drop.addEventListener(type, () => drop.classList.remove('over'));
  drop.addEventListener('drop', (e) => { e.preventDefault(); choose(e.dataTransfer.files); });
  if (widgets.includes('upload')) row.append(drop);
  if (widgets.includes('record') && navigator.mediaDevices && 'AudioWorkletNode' in window) {
    row.append(recorder(spec, index, (clip) => {
      try { add(clip); } catch (err) { chosen.textContent = err.message; }
    }));
  }
  if (widgets.includes('live') && live && navigator.mediaDevices && 'AudioWorkletNode' in window) {
    row.append(listener(spec, index, live));
  }

  return {
    element: root,
    spec,
    ready: () => state.clips.length > 0 && state.decoding === 0,
    count: () => state.clips.length || 1,
    async items() {
      if (!state.clips.length) throw new InputMissing(`${title(spec)}: choose or drop a sound file, or record one.`);
      return state.clips.map(({ channels, rate, name, blob }) => ({ channels, rate, name, blob }));
    },
    done() {
      files.value = '';
      state.clips = [];
      chosen.textContent = '';
      show();
    },
  };
}

// The clip on its result card, to play back beside what the model made of it.
export function preview(spec, item) {
  const player = el('audio', { controls: true, preload: 'metadata', 'aria-label': `Play ${item.name}` });
  player.src = URL.createObjectURL(item.blob);
  return [el('div', { class: 'name', text: item.name }), player];
}

export const itemName = (spec, item) => item.name;
