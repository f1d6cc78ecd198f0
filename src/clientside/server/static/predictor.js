// The page's handle on the prediction worker: one request at a time in, answers matched
// by id, progress passed to callbacks.

export class Predictor {
  // The worker sits beside this module, wherever the app or a static build puts them.
  // backend: force one ('wasm', 'webgl', 'cpu'). boot: the worker boot.js started early
  // (already loading the model), with the messages it sent before this existed.
  constructor({ backend, workerUrl = new URL('./worker.js', import.meta.url), boot = null } = {}) {
    this.worker = boot ? boot.worker : new Worker(workerUrl);
    this.preferred = backend;
    this.booted = Boolean(boot);
    this.early = null;  // the init call's answer, when it came before load() asked
    this.pending = new Map();
    this.nextId = 1;
    this.onProgress = () => {};
    this.onWarning = () => {};
    this.worker.onmessage = ({ data }) => this.#receive(data);
    this.worker.onerror = (event) => {
      const error = new Error(`the prediction worker failed: ${event.message || 'unknown error'}`);
      for (const { reject } of this.pending.values()) reject(error);
      this.pending.clear();
    };
    if (boot) boot.buffered.splice(0).forEach((msg) => this.#receive(msg));
  }

  #receive(msg) {
    if (msg.type === 'progress') { this.onProgress(msg); return; }
    if (msg.type === 'warning') { this.onWarning(msg.message); return; }
    const id = msg.type === 'ready' ? 0 : msg.id;  // 0 is the init call
    const waiter = this.pending.get(id);
    if (!waiter) {
      if (id === 0) this.early = msg;
      return;
    }
    this.pending.delete(id);
    if (msg.type === 'error') waiter.reject(Object.assign(new Error(msg.message), { input: Boolean(msg.input) }));
    else waiter.resolve(msg);
  }

  #initAnswer() {
    if (this.early) {
      const msg = this.early;
      this.early = null;
      return msg.type === 'error' ? Promise.reject(new Error(msg.message)) : Promise.resolve(msg);
    }
    return new Promise((resolve, reject) => this.pending.set(0, { resolve, reject }));
  }

  #call(message, id, transfer = []) {
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ ...message, id }, transfer);
    });
  }

  // Loads the runtime, picks its backend and loads the model (cache first). id 0 is the init call.
  async load({ contract, sizes = {} }) {
    const ready = await (this.booted ? this.#initAnswer()
      : this.#call({ type: 'init', baseUrl: document.baseURI, contract, backend: this.preferred, sizes }, 0));
    this.backend = ready.backend;
    this.source = ready.source;
    return ready;
  }

  // items: {inputName: [item, ...]}; mode: 'browser' or 'server' (where inputs are prepared).
  // Resolves to {outputs: {name: {data, shape}}, feeds: {name: {data, shape}}, ms}.
  // transfer: ImageBitmaps (camera frames) handed over to the worker, not copied.
  predict(items, mode, transfer = []) {
    const id = this.nextId++;
    return this.#call({ type: 'predict', items, mode }, id, transfer)
      .then(({ outputs, feeds, ms }) => ({ outputs, feeds, ms }));
  }

  numTensors() {
    const id = this.nextId++;
    return this.#call({ type: 'memory' }, id).then((msg) => msg.numTensors);
  }
}
