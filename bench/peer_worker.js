// Benchmark worker: the peer, Transformers.js (bench/peer/package-lock.json), in a module worker
// as its own examples run it, on the same ONNX file and tokenizer.json as clientside's page.
// Served by bench/hf_bench.py from its own origin; never part of the app.
let lib = null;
let tokenizer = null;
let model = null;

async function library(base) {
  if (lib) return lib;
  lib = await import(`${base}transformers/transformers.min.js`);
  lib.env.allowRemoteModels = false;  // never the Hub: the files this origin serves
  lib.env.allowLocalModels = true;
  lib.env.localModelPath = new URL(`${base}models/`).pathname;  // a path: it joins it with '/' and would break a URL
  lib.env.backends.onnx.wasm.wasmPaths = `${base}ort/`;  // not its default, a CDN
  lib.env.backends.onnx.wasm.numThreads = 1;  // as clientside's page without --isolate
  return lib;
}

const toArray = (tensor) => Array.from(tensor.data, Number);

const jobs = {
  // Loads the tokenizer and the model (dtype fp32: onnx/model.onnx, q8: onnx/model_quantized.onnx).
  async load({ base, name, dtype }) {
    const t0 = performance.now();
    const { AutoTokenizer, AutoModelForSequenceClassification } = await library(base);
    tokenizer = await AutoTokenizer.from_pretrained(name);
    model = await AutoModelForSequenceClassification.from_pretrained(name, { dtype, device: 'wasm' });
    return { ms: performance.now() - t0 };
  },
  // Tokenizes a batch (padded, truncated to the model's maximum) and runs the model, timed apart.
  async predict({ texts }) {
    const t0 = performance.now();
    const inputs = tokenizer(texts, { padding: true, truncation: true });
    const t1 = performance.now();
    const { logits } = await model(inputs);
    const data = toArray(logits);
    return { tokenize: t1 - t0, infer: performance.now() - t1, total: performance.now() - t0, logits: data,
             shape: logits.dims, ids: toArray(inputs.input_ids) };
  },
  // One tokenizer folder's ids for each line, special tokens added, no truncation.
  async ids({ base, name, lines }) {
    const { AutoTokenizer } = await library(base);
    const tok = await AutoTokenizer.from_pretrained(name);
    const t0 = performance.now();
    const ids = lines.map((line) => tok.encode(line));
    return { ids, ms: performance.now() - t0 };
  },
};

self.onmessage = async ({ data }) => {
  try {
    self.postMessage(await jobs[data.job](data));
  } catch (err) {
    self.postMessage({ error: err && err.message ? err.message : String(err) });
  }
};
