// The page: collects inputs (files, drops, drawing) and hands them to the prediction
// worker, which prepares them (in the browser by default, or through the server's
// /api/prepare) and predicts the whole batch in one call; then shows each result.
import { Predictor } from './predictor.js';
import { DrawingPad } from './draw.js';
import { renderResult } from './results.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), error: $('error'), results: $('results'), predict: $('predict'),
  files: $('files'), drop: $('drop'), chosen: $('chosen'), clear: $('clear'), progress: $('progress'),
};
const state = { predictor: null, meta: null, pending: [], busy: false, lastTimings: null };
const params = new URLSearchParams(location.search);

function setState(name) { document.body.dataset.state = name; }

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
}

function showProgress(done, total) {
  ui.progress.hidden = done >= total;
  ui.progress.max = total;
  ui.progress.value = done;
}

function updateButton() {
  ui.predict.disabled = state.busy || !state.predictor || (!state.pending.length && !pad.hasInk);
}

const pad = new DrawingPad($('pad'), { onChange: updateButton });

function choose(files) {
  state.pending = Array.from(files);
  ui.chosen.textContent = state.pending.length
    ? `${state.pending.length} file${state.pending.length > 1 ? 's' : ''} ready: press Predict` : '';
  showError('');
  updateButton();
}

async function predict() {
  if (state.busy) return;
  const fromFiles = state.pending.length > 0;
  const inputs = fromFiles
    ? state.pending.map((file) => ({ blob: file, name: file.name }))
    : [{ blob: await pad.toBlob(), name: 'drawing.png' }];
  state.busy = true;
  updateButton();
  showError('');
  const n = inputs.length;
  ui.status.textContent = `Predicting ${n} image${n > 1 ? 's' : ''}…`;
  try {
    const { rows, values, shape, ms } = await state.predictor.predict(inputs, state.meta.prepare);
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    const labels = state.meta.labels || [];
    const cards = inputs.map(({ blob, name }, i) => renderResult({
      name,
      previewUrl: URL.createObjectURL(blob),
      prepared: values.subarray(i * size, (i + 1) * size),
      shape,
      probs: rows[i],
      labels,
      ms: ms.predict,
      batchSize: n,
    }));
    ui.results.prepend(...cards);
    performance.mark('clientside:shown');
    state.lastTimings = ms;
    ui.status.textContent = `Predicted ${n} in ${ms.predict.toFixed(1)} ms on ${state.predictor.backend} `
      + `(prepared in the ${state.meta.prepare} in ${ms.prepare.toFixed(0)} ms).`;
    if (fromFiles) {
      ui.files.value = '';
      choose([]);
    }
  } catch (err) {
    showError(err.message);
    ui.status.textContent = `Ready (${state.predictor.backend}).`;
  } finally {
    showProgress(1, 1);
    state.busy = false;
    updateButton();
    setState('ready');
  }
}

function wire() {
  ui.files.addEventListener('change', () => choose(ui.files.files));
  if (ui.files.files.length) choose(ui.files.files);  // chosen before this script ran
  ui.clear.addEventListener('click', () => pad.clear());
  ui.predict.addEventListener('click', predict);
  for (const type of ['dragenter', 'dragover']) {
    ui.drop.addEventListener(type, (e) => { e.preventDefault(); ui.drop.classList.add('over'); });
  }
  for (const type of ['dragleave', 'drop']) {
    ui.drop.addEventListener(type, () => ui.drop.classList.remove('over'));
  }
  ui.drop.addEventListener('drop', (e) => {
    e.preventDefault();
    choose(e.dataTransfer.files);
  });
}

async function start() {
  wire();
  try {
    // boot.js has started the worker already, unless it could not run
    const boot = window.clientsideBoot || null;
    state.meta = boot ? boot.info : JSON.parse(document.getElementById('model-info').textContent);
    const predictor = new Predictor({ backend: params.get('backend') || undefined, boot });
    predictor.onProgress = (p) => {
      if (p.phase === 'download') {
        ui.status.textContent = `Downloading the model… ${Math.round(p.fraction * 100)}%`;
        showProgress(p.fraction, 1);
      } else if (p.phase === 'prepare') {
        ui.status.textContent = `Preparing ${p.done} of ${p.total}…`;
        showProgress(p.done, p.total);
      }
    };
    predictor.onWarning = (message) => console.warn(message);
    const ready = await predictor.load({ modelUrl: 'model/model.json', info: state.meta });
    state.predictor = predictor;  // from now on Predict is enabled
    performance.mark('clientside:ready');
    showProgress(1, 1);
    ui.status.textContent = `Model ready (${ready.source === 'cache' ? 'from the browser cache' : 'downloaded'}, `
      + `${ready.ms.toFixed(0)} ms). Backend: ${ready.backend}.`;
    Object.assign(document.body.dataset, { backend: ready.backend, modelSource: ready.source, prepare: state.meta.prepare });
    setState('ready');
    if ('serviceWorker' in navigator && params.get('sw') !== 'off') {
      // Registered once the model is loaded, so its downloads hit the HTTP cache instead of
      // competing with the model's. Keeps the page and TF.js for offline use; the model
      // itself lives in IndexedDB.
      navigator.serviceWorker.register('sw.js').catch((err) => console.warn(`offline mode unavailable: ${err.message}`));
    }
  } catch (err) {
    showError(`The model failed to load: ${err.message}`);
    ui.status.textContent = 'Not ready.';
    setState('error');
  }
  updateButton();
}

// A small handle for people debugging in the console (and for the tests).
window.clientside = { numTensors: () => state.predictor.numTensors(), state };

start();
