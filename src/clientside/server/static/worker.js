// The prediction worker: loads the runtime the bundle's contract names (runtimes/*.js),
// prepares each input with its kind's steps (steps/*.js, or the server's /api/prepare),
// and predicts, off the main thread so the page never freezes. A classic worker, so a
// runtime can importScripts its UMD files; the modules are imported dynamically.
'use strict';

// The contract's runtime name -> its adapter: load({base, contract, backend, post, sizes}) ->
// {backend, detail, source, assets, predict(feeds), warm(), numTensors()} (sizes: the runtime's files,
// uncompressed, for progress; detail: what runs the model, in words). Python's table is
// clientside/runtimes/__init__.py; a test keeps the two equal.
const RUNTIMES = { tfjs: './runtimes/tfjs.js', onnx: './runtimes/onnx.js', 'tfjs-graph': './runtimes/tfjs-graph.js' };

let runtime = null;
let contract = null;
let base = null;
let kinds = null;
let checking = null;  // the import of check.js, when the bundle carries a check

const post = (msg, transfer = []) => self.postMessage(msg, transfer);

async function init({ baseUrl, contract: given, backend, sizes }) {
  base = baseUrl;
  contract = given;
  const started = performance.now();
  const adapter = RUNTIMES[contract.runtime];
  if (!adapter) throw new Error(`this page cannot run a "${contract.runtime}" model (it knows ${Object.keys(RUNTIMES).join(', ')})`);
  // the audio steps' FFT (a small npm module), with them, where the bundle takes sound
  const hearing = contract.inputs.some((spec) => spec.kind === 'audio');
  const steps = Promise.all([import('./steps/index.js'), hearing ? import('../vendor/fourier-transform.mjs') : null])
    .then(async ([loaded, fft]) => {
      await loaded.loadKinds(contract.inputs.map((spec) => spec.kind));  // the bundle's kinds only
      if (fft) loaded.kind('audio').useFFT(fft);
      return loaded;
    });
  checking = contract.check ? import('./check.js') : null;  // fetched while the runtime loads
  const [module, devices] = await Promise.all([import(adapter), import('./runtimes/devices.js')]);
  const [found, loadedKinds] = await Promise.all([devices.probe(module.BACKENDS), steps]);
  const plan = devices.plan(module.BACKENDS, found, backend);
  kinds = loadedKinds;
  const warming = warmPreprocessing();  // runs while IndexedDB or the network answers
  const args = { base, contract, post, sizes };
  const [check] = await Promise.all([accepted(module, plan, args, Boolean(backend)), warming]);
  await loadTokenizers(runtime.assets);
  post({ type: 'ready', backend: runtime.backend, detail: runtime.detail, source: runtime.source, check,
         why: plan.why, devices: found, timings: runtime.timings, ms: performance.now() - started });
  // A visitor needs longer than this to choose a file; a prediction asked for meanwhile waits.
  runtime.warm();
}

// The first backend of the plan (devices.js) that loads and passes the bundle's self-check
// (check.js): where one fails to load or disagrees, the runtime is loaded again on the next,
// and the page is told, with the difference. A backend forced by ?backend= is kept (the
// visitor asked for it), with a warning. Returns what the page shows of the check (null: the
// bundle carries none).
async function accepted(module, plan, args, forced) {
  const failed = [];
  for (const name of plan.order) {
    const known = checking && await (await checking).remembered(contract, name, base);
    if (known && !known.ok && !forced) {
      failed.push({ backend: name, ...known });
      continue;
    }
    try {
      const previous = runtime;
      runtime = null;
      previous?.dispose?.();  // a layers model's weight names are registered once per TF.js
      runtime = await module.load({ ...args, backend: name });
    } catch (err) {
      if (forced) throw err;
      failed.push({ backend: name, error: err.message });
      continue;
    }
    if (!checking) {
      if (failed.length) post({ type: 'warning', message: `${sentence(failed)}: it runs on ${runtime.backend} instead.` });
      return null;
    }
    const { verdict } = await checking;
    const found = { backend: runtime.backend, ...(known || await verdict(contract, runtime, base)) };
    if (found.ok || forced) {
      if (!found.ok) {
        post({ type: 'warning', message: `${sentence([found])}, the backend you chose: `
          + "its predictions may differ from the model's own." });
      } else if (failed.length) {
        post({ type: 'warning', message: `${sentence(failed)}: it runs on ${found.backend} instead, where it agrees.` });
      }
      return { ...found, failed };
    }
    failed.push(found);
  }
  if (!checking || failed.every((f) => f.error)) throw new Error(`no backend runs this model here: ${failed.map(said).join('; ')}`);
  throw new Error(`this browser does not compute what the model computes: ${failed.map(said).join('; ')}`);
}

// What went wrong on one backend, in words: it did not load, or it disagreed with the check.
const said = (f) => (f.error ? `${f.backend} did not start (${f.error})`
  : `the model's self-check failed on ${f.backend} (largest difference ${f.difference.toPrecision(2)} `
    + `against the tolerance ${contract.check.tolerance})`);
const sentence = (failed) => {
  const text = failed.map(said).join('; ');
  return text[0].toUpperCase() + text.slice(1);
};

// The tokenizer.json files the text inputs name: bundle files, cached and checked with the
// model's (runtime.assets: path -> ArrayBuffer), read by the vendored @huggingface/tokenizers.
async function loadTokenizers(assets) {
  const wanted = contract.inputs.filter((spec) => spec.kind === 'text').flatMap((spec) => kinds.kind('text').tokenizerFiles(spec));
  if (!wanted.length) return;
  const lib = await import('../vendor/tokenizers.min.mjs');
  for (const file of wanted) {
    const bytes = assets && assets.get(file);
    if (!bytes) throw new Error(`the bundle's tokenizer file ${file} was not loaded with the model`);
    kinds.kind('text').useTokenizer(file, kinds.kind('text').createTokenizer(lib, JSON.parse(new TextDecoder().decode(bytes))));
  }
}

// A spans output (NER) is grouped into entities here, where the tokenizer is (its decoder
// makes the words): outputs[name].entities, one list per item.
async function findSpans(outputs, feeds, items) {
  const specs = contract.outputs.filter((s) => s.kind === 'spans');
  if (!specs.length) return;
  const spans = await import('./outputs/spans.js');
  for (const spec of specs) {
    const input = contract.inputs.find((s) => s.name === spec.of);
    const feed = feeds[spec.of];
    const tok = kinds.kind('text').tokenizerOf(input);
    if (!feed.offsets) throw new Error(`${spec.name}: the prepared ${spec.of} carries no token offsets`);
    const decode = (tokens) => (tok.decoder ? tok.decoder(tokens) : tokens.join(' '));
    outputs[spec.name].entities = items[spec.of].map((text, i) => spans.entities(
      spec, outputs[spec.name], i,
      { ids: Array.from(feed.data.subarray(i * feed.shape[1], (i + 1) * feed.shape[1])), tokens: feed.tokens[i],
        offsets: feed.offsets[i], special: feed.special[i] },
      text, { decode, unkId: tok.model.unk_token_id }));
  }
}

// Inputs made by another input's tokenizer (an attention mask, token types): no items of their own.
const made = (spec) => spec.from !== undefined;
// A constant (a sampling rate, a recurrent state at its start): no items; its value, free sizes 1.
const fixed = (spec) => spec.value !== undefined;

function constantFeed(spec) {
  const shape = spec.shape.map((d) => d ?? 1);
  const data = kinds.typedArray(spec.dtype, shape.reduce((a, b) => a * b, 1)).fill(spec.value);
  return { data, shape };
}

// The first image would otherwise pay for compiling the decoder and every step (about
// 15 ms for a digit): run them once on a synthetic picture (a dark block on white).
async function warmPreprocessing() {
  if (contract.prepare === 'server') return;
  for (const spec of contract.inputs.filter((s) => s.kind === 'image')) {
    try {
      const canvas = new OffscreenCanvas(192, 192);  // big enough for the loops to get optimised
      const ctx = canvas.getContext('2d');
      ctx.fillStyle = '#fff';
      ctx.fillRect(0, 0, 192, 192);
      ctx.fillStyle = '#000';
      ctx.fillRect(64, 48, 64, 96);
      await kinds.kind('image').prepareImage(await canvas.convertToBlob({ type: 'image/png' }), spec.steps, 'warm-up');
    } catch { /* a pipeline may refuse this picture; warming up is only an optimisation */ }
  }
}

async function errorMessage(response) {
  let message = `the server answered HTTP ${response.status}`;
  try { message = (await response.json()).error.message || message; } catch { /* not JSON */ }
  return message;
}

async function serverPost(body, headers = {}) {
  let response;
  try {
    response = await fetch(new URL('api/prepare', base), { method: 'POST', body, headers });
  } catch {
    throw new Error('The server could not be reached to prepare the inputs.');
  }
  if (!response.ok) throw new Error(await errorMessage(response));
  return response;
}

const megabytes = (n) => `${(n / 2 ** 20).toFixed(1)} MB`;

// Files (images, sound files) go to the server as they are, one multipart request per input.
const FILE_KINDS = ['image', 'audio'];

async function serverPrepareFiles(spec, files) {
  const form = new FormData();
  form.append('input', spec.name);
  for (const { blob, name } of files) form.append('file', blob, name);
  let response;
  try {
    response = await serverPost(form, { Accept: 'application/octet-stream' });
  } catch (err) {
    if (!/larger than the server's limit/.test(err.message)) throw err;
    // the server cannot name the files of a request it refused to read: the page can
    const largest = files.reduce((a, b) => (b.blob.size > a.blob.size ? b : a));
    const total = files.reduce((n, f) => n + f.blob.size, 0);
    throw new Error(`${err.message} (${files.length > 1 ? `${files.length} files, ${megabytes(total)}; the largest is ` : ''}`
      + `${largest.name}, ${megabytes(largest.blob.size)})`, { cause: err });
  }
  const shape = response.headers.get('X-Tensor-Shape').split(',').map(Number);
  return { data: new Float32Array(await response.arrayBuffer()), shape };
}

// specs: the inputs sent; parts: the inputs the server makes with them (an attention mask).
async function serverPrepareJson(specs, items, parts = []) {
  const inputs = Object.fromEntries(specs.map((s) => [s.name, items[s.name]]));
  const response = await serverPost(JSON.stringify({ inputs }), { 'Content-Type': 'application/json' });
  const answer = (await response.json()).inputs;
  return Object.fromEntries([...specs, ...parts].map((s) => {
    const { tensor, shape, ...extra } = answer[s.name];  // totals; offsets, special, tokens for spans
    const data = kinds.typedFrom(s.dtype, tensor.flat(Infinity));
    delete extra.dtype;
    return [s.name, { data, shape, ...extra }];
  }));
}

// items: {inputName: [item, ...]} (files [{blob, name}] for images, strings, rows, arrays).
async function prepareAll(id, items, mode) {
  const feeds = {};
  if (mode === 'server') {
    const others = contract.inputs.filter((s) => !FILE_KINDS.includes(s.kind) && !made(s) && !fixed(s));
    if (others.length) Object.assign(feeds, await serverPrepareJson(others, items, contract.inputs.filter(made)));
    for (const spec of contract.inputs.filter((s) => FILE_KINDS.includes(s.kind))) {
      feeds[spec.name] = await serverPrepareFiles(spec, items[spec.name]);
    }
    for (const spec of contract.inputs.filter(fixed)) feeds[spec.name] = constantFeed(spec);
    return feeds;
  }
  for (const spec of contract.inputs.filter(fixed)) feeds[spec.name] = constantFeed(spec);
  for (const spec of contract.inputs.filter((s) => !made(s) && !fixed(s))) {
    const list = items[spec.name];
    const onEach = (done, total) => {
      if (total > 20 && done % 10 === 0) post({ type: 'progress', id, phase: 'prepare', done, total });
    };
    feeds[spec.name] = spec.kind === 'image'
      ? await kinds.kind('image').prepare(spec, list, { onEach })
      : kinds.kind(spec.kind).prepare(spec, list);
  }
  for (const spec of contract.inputs.filter(made)) feeds[spec.name] = feeds[spec.from].parts[spec.part];
  for (const feed of Object.values(feeds)) delete feed.parts;
  return feeds;
}

async function predict({ id, items, mode }) {
  const t0 = performance.now();
  const feeds = await prepareAll(id, items, mode);
  const t1 = performance.now();
  const outputs = await runtime.predict(feeds);
  await findSpans(outputs, feeds, items);
  const t2 = performance.now();
  const transfer = Object.values(outputs).map((o) => o.data.buffer);
  post({ type: 'result', id, outputs, feeds, ms: { prepare: t1 - t0, predict: t2 - t1 } }, transfer);
}

self.onmessage = async ({ data }) => {
  try {
    if (data.type === 'init') await init(data);
    else if (data.type === 'predict') await predict(data);
    else if (data.type === 'memory') post({ type: 'memory', id: data.id, numTensors: runtime.numTensors() });
  } catch (err) {
    const input = Boolean(kinds && err instanceof kinds.InputError);  // this input's fault, not the model's
    post({ type: 'error', id: data.id, phase: data.type, input, message: err && err.message ? err.message : String(err) });
  }
};
