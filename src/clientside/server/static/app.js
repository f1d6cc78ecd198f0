// The page: one widget per input of the bundle's contract (inputs/*.js), one renderer per
// output (outputs/*.js). Inputs go to the prediction worker, which prepares them (in the
// browser by default, or through the server's /api/prepare) and predicts the whole batch
// in one call.
import { Predictor } from './predictor.js';
import { InputMissing, loadWidgets, widget } from './inputs/index.js';
import { loadRenderers, renderer } from './outputs/index.js';
import { renderCards, renderSummaries, renderTable } from './results.js';

const $ = (id) => document.getElementById(id);
const ui = {
  status: $('status'), error: $('error'), results: $('results'), predict: $('predict'),
  inputs: $('inputs'), progress: $('progress'), tables: $('tables'), live: $('live'), details: $('details'),
  notice: $('notice'),
};
// ready: what the worker said when the model loaded (backend, why, devices, check), read by
// --verify's run in Chromium (clientside/backend_checks.py).
const state = {
  predictor: null, contract: null, widgets: [], busy: false, lastTimings: null, last: null, loadDetails: [], ready: null,
};
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

// 4800 -> "4.8 KB", 2355011 -> "2.4 MB"
function bytes(n) {
  if (n < 1000) return `${n} bytes`;
  if (n < 1e6) return `${(n / 1e3).toFixed(1)} KB`;
  return `${(n / 1e6).toFixed(1)} MB`;
}

function seconds(ms) { return ms < 1000 ? `${ms.toFixed(0)} ms` : `${(ms / 1000).toFixed(1)} s`; }

// The status line is for the visitor; what a developer wants to know goes behind "Details".
function showDetails(rows) {
  const list = document.createElement('dl');
  for (const [term, value] of rows) {
    const dt = document.createElement('dt');
    const dd = document.createElement('dd');
    dt.textContent = term;
    dd.textContent = value;
    list.append(dt, dd);
  }
  ui.details.querySelector('dl').replaceWith(list);
  ui.details.hidden = false;
}

function updateButton() {
  ui.predict.disabled = state.busy || !state.predictor || !state.widgets.every((w) => w.ready());
}

function buildWidgets(contract) {
  const seen = {};
  // not an attention mask (made from the text), nor a constant (a sampling rate, a recurrent state)
  const shown = contract.inputs.filter((spec) => spec.from === undefined && spec.value === undefined);
  state.widgets = shown.map((spec) => {
    const index = seen[spec.kind] = (seen[spec.kind] ?? -1) + 1;
    const w = widget(spec.kind).create(spec, {
      index, showTitle: shown.length > 1, onChange: () => { showError(''); updateButton(); }, live,
    });
    ui.inputs.append(w.element);
    return w;
  });
}

// Every input gives n items, or one, which goes with each of the others' n.
async function gather() {
  const lists = await Promise.all(state.widgets.map((w) => w.items()));
  const n = Math.max(...lists.map((l) => l.length));
  const items = {};
  state.widgets.forEach((w, k) => {
    const list = lists[k];
    if (list.length !== n && list.length !== 1) {
      throw new InputMissing(`${w.spec.name} has ${list.length} items and another input ${n}: give as many to each, or one.`);
    }
    items[w.spec.name] = list.length === n ? list : Array(n).fill(list[0]);
  });
  return { items, n };
}

async function predict() {
  if (state.busy) return;
  state.busy = true;
  updateButton();
  showError('');
  try {
    const { items, n } = await gather();
    ui.status.textContent = `Predicting ${n} item${n > 1 ? 's' : ''}…`;
    const { outputs, feeds, ms } = await state.predictor.predict(items, state.contract.prepare);
    state.last = { outputs, feeds, n, items };
    const table = state.widgets.find((w) => w.table)?.table;
    if (table) {
      ui.tables.replaceChildren(renderTable({ contract: state.contract, table, outputs, n }));
    } else {
      ui.results.prepend(...renderCards({ contract: state.contract, items, outputs, feeds, n, ms }));
      ui.tables.replaceChildren(...renderSummaries({ contract: state.contract, items, outputs, n }));
    }
    performance.mark('clientside:shown');
    state.lastTimings = ms;
    // The same two figures as each result card's, so the page never gives two times for one thing.
    ui.status.textContent = `Predicted ${n === 1 ? 'it' : `all ${n}`} on this device in ${seconds(ms.prepare + ms.predict)}: `
      + `${ms.prepare.toFixed(1)} ms to prepare the input${n > 1 ? 's' : ''}, ${ms.predict.toFixed(1)} ms to run the model.`;
    showDetails([...state.loadDetails, ['last prediction', `${n} item${n > 1 ? 's' : ''}: prepared in the `
      + `${state.contract.prepare} in ${ms.prepare.toFixed(1)} ms, predicted in ${ms.predict.toFixed(1)} ms`]]);
    state.widgets.forEach((w) => w.done());
  } catch (err) {
    showError(err.message);
    ui.status.textContent = 'Ready.';
  } finally {
    showProgress(1, 1);
    state.busy = false;
    updateButton();
    setState('ready');
  }
}

// Live prediction from a camera or a microphone: one item in flight at a time, so it runs as
// fast as the model (or the source) allows and never queues; the panel shows items per second
// and the outputs. source.next() gives the next item ({item, transfer}), or null when it ends;
// source.unit names what it gives ("frames", "windows"). Live items are prepared in the browser
// whatever the bundle's mode (sending video or sound to the server is not what a visitor expects).
const live = {
  running: false,
  error: (message) => showError(message),
  stop() { this.running = false; },
  async start(spec, source) {
    if (!state.predictor) throw new Error('The model is not loaded yet.');
    this.running = true;
    const others = {};
    for (const w of state.widgets.filter((x) => x.spec !== spec)) others[w.spec.name] = [(await w.items())[0]];
    const stamps = [];
    const fps = document.createElement('div');
    fps.className = 'fps';
    fps.dataset.testid = 'fps';
    const outputs = document.createElement('div');
    ui.live.replaceChildren(fps, outputs);
    ui.live.hidden = false;
    while (this.running) {
      const next = await source.next();
      if (!next || !this.running) break;
      const items = { ...others, [spec.name]: [next.item] };
      let result;
      try {
        result = await state.predictor.predict(items, 'browser', next.transfer);
      } catch (err) {
        if (!err.input) throw err;
        fps.textContent = err.message;  // e.g. nothing to see in this frame: try the next one
        continue;
      }
      state.last = { ...result, items, n: 1 };
      stamps.push(performance.now());
      while (stamps.length > 1 && stamps[stamps.length - 1] - stamps[0] > 2000) stamps.shift();
      const rate = stamps.length > 1 ? ((stamps.length - 1) * 1000) / (stamps[stamps.length - 1] - stamps[0]) : 0;
      fps.textContent = `${rate.toFixed(1)} ${source.unit} per second (${result.ms.predict.toFixed(0)} ms to predict, `
        + `${result.ms.prepare.toFixed(0)} ms to prepare)`;
      fps.dataset.fps = rate.toFixed(2);
      const own = Object.fromEntries(Object.entries(items).map(([name, list]) => [name, list[0]]));
      outputs.replaceChildren(...state.contract.outputs.map((o) => renderer(o.kind).render(o, result.outputs[o.name], 0,
        { items: own })));
    }
    this.running = false;
  },
};

// What the page says of the bundle's self-check on the backend it runs.
function checkText(found, check) {
  const how = found.cached ? 'checked on an earlier visit' : `in ${found.ms.toFixed(0)} ms`;
  return `${found.ok ? 'agrees' : 'DISAGREES'} on ${found.backend} with ${check.made_by || 'the original model'}: `
    + `largest difference ${found.difference.toPrecision(2)} (tolerance ${check.tolerance}), ${how}`;
}

async function start() {
  ui.predict.addEventListener('click', predict);
  try {
    // boot.js has started the worker already, unless it could not run
    const boot = window.clientsideBoot || null;
    if (boot?.isolating) {
      ui.status.textContent = 'Setting up this page to run on every core (it reloads once)…';
      return;
    }
    state.contract = boot ? boot.contract : JSON.parse(document.getElementById('contract').textContent);
    // the modules of the bundle's own kinds only (preloaded by the page), while the model loads
    const kinds = Promise.all([loadWidgets(state.contract.inputs.map((s) => s.kind)),
      loadRenderers(state.contract.outputs.map((s) => s.kind))]).then(() => buildWidgets(state.contract));
    const predictor = new Predictor({ backend: params.get('backend') || undefined, boot });
    predictor.onProgress = (p) => {
      if (p.phase === 'download') {
        const parts = p.parts.map((part) => (part.loaded >= part.total ? `${part.label} ${bytes(part.total)}`
          : `${part.label} ${bytes(part.loaded)} of ${bytes(part.total)}`));
        ui.status.textContent = `Downloading ${parts.join(' · ')}…`;
        showProgress(p.loaded, p.total || 1);
      } else if (p.phase === 'prepare') {
        ui.status.textContent = `Preparing ${p.done} of ${p.total}…`;
        showProgress(p.done, p.total);
      }
    };
    predictor.onWarning = (message) => {
      console.warn(message);
      ui.notice.textContent = message;  // the visitor should know a returning visit will download again
      ui.notice.hidden = false;
    };
    const loading = predictor.load({ contract: state.contract, sizes: JSON.parse($('runtime-files').textContent) });
    const [ready] = await Promise.all([loading, kinds]);
    state.predictor = predictor;  // from now on Predict is enabled
    state.ready = ready;
    performance.mark('clientside:ready');
    showProgress(1, 1);
    ui.status.textContent = ready.source === 'cache'
      ? `Ready: the model was already in this browser (${seconds(ready.ms)}).`
      : `Ready in ${seconds(ready.ms)}. Next time it loads from this browser, and works offline.`;
    state.loadDetails = [
      ['runs on', ready.detail || ready.backend],
      ...(ready.why ? [['chosen because', ready.why]] : []),
      ['model', `${state.contract.files.length} file${state.contract.files.length > 1 ? 's' : ''}, `
        + `${bytes(state.contract.files.reduce((n, f) => n + f.size, 0))}, `
        + `${ready.source === 'cache' ? "from this browser's cache" : 'downloaded'}; ready in ${ready.ms.toFixed(0)} ms`],
      ['inputs prepared', state.contract.prepare === 'server' ? 'by the server (/api/prepare)' : 'in this browser'],
      ...(ready.check ? [['self-check', checkText(ready.check, state.contract.check)]] : []),
    ];
    showDetails(state.loadDetails);
    Object.assign(document.body.dataset, {
      backend: ready.backend, runtime: state.contract.runtime, modelSource: ready.source, prepare: state.contract.prepare,
    });
    setState('ready');
    if ('serviceWorker' in navigator && params.get('sw') !== 'off') {
      // Registered once the model is loaded, so its downloads hit the HTTP cache instead of
      // competing with the model's. Keeps the page and the runtime for offline use; the
      // model itself lives in IndexedDB.
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
Object.defineProperty(state, "live", { get: () => live.running });

start();
