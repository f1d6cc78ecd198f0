// The page: collects inputs (files, drops, drawing), has the server prepare them in ONE
// request, predicts the batch in ONE call in the browser, and shows each result.
import { createPredictor } from './predictor.js';
import { DrawingPad } from './draw.js';
import { renderResult } from './results.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), error: $('error'), results: $('results'), predict: $('predict'),
  files: $('files'), drop: $('drop'), chosen: $('chosen'), clear: $('clear'),
};
const state = { predictor: null, meta: null, pending: [], busy: false };

function setState(name) { document.body.dataset.state = name; }

function showError(message) {
  ui.error.textContent = message;
  ui.error.hidden = !message;
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

async function errorMessage(response) {
  try {
    const body = await response.json();
    if (body?.error?.message) return body.error.message;
  } catch { /* not JSON */ }
  return `the server answered HTTP ${response.status}`;
}

// All inputs in one multipart request; the answer is a raw float32 tensor.
async function prepare(inputs) {
  const form = new FormData();
  for (const { blob, name } of inputs) form.append('file', blob, name);
  let response;
  try {
    response = await fetch('api/prepare', {
      method: 'POST', body: form, headers: { Accept: 'application/octet-stream' },
    });
  } catch {
    throw new Error('The server could not be reached to prepare the images.');
  }
  if (!response.ok) throw new Error(await errorMessage(response));
  const shape = response.headers.get('X-Tensor-Shape').split(',').map(Number);
  return { values: new Float32Array(await response.arrayBuffer()), shape };
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
  ui.status.textContent = `Preparing ${inputs.length} image${inputs.length > 1 ? 's' : ''}…`;
  try {
    const { values, shape } = await prepare(inputs);
    const { rows, ms } = await state.predictor.predict(values, shape);
    const size = shape.slice(1).reduce((a, b) => a * b, 1);
    const labels = state.meta.labels || [];
    const cards = inputs.map(({ blob, name }, i) => renderResult({
      name,
      previewUrl: URL.createObjectURL(blob),
      prepared: values.subarray(i * size, (i + 1) * size),
      shape,
      probs: rows[i],
      labels,
      ms,
      batchSize: inputs.length,
    }));
    ui.results.prepend(...cards);
    ui.status.textContent = `Predicted ${inputs.length} in ${ms.toFixed(1)} ms on ${state.predictor.backend}.`;
    if (fromFiles) {
      ui.files.value = '';
      choose([]);
    }
  } catch (err) {
    showError(err.message);
    ui.status.textContent = `Ready (${state.predictor.backend}).`;
  } finally {
    state.busy = false;
    updateButton();
    setState('ready');
  }
}

function wire() {
  ui.files.addEventListener('change', () => choose(ui.files.files));
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
    const response = await fetch('api/model');
    if (!response.ok) throw new Error(await errorMessage(response));
    state.meta = await response.json();
    state.predictor = await createPredictor({ modelUrl: 'model/model.json' });
    ui.status.textContent = `Model ready. Backend: ${state.predictor.backend}.`;
    document.body.dataset.backend = state.predictor.backend;
    setState('ready');
  } catch (err) {
    showError(`The model failed to load: ${err.message}`);
    ui.status.textContent = 'Not ready.';
    setState('error');
  }
  updateButton();
}

start();
