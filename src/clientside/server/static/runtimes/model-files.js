// A bundle's model files, for every runtime: the files its contract lists (the first is the
// model's entry: model.json, or the .onnx file), from the browser's cache when the bundle's
// content hash matches, else downloaded with progress, each refused unless its size and
// sha256 are the contract's, then cached. Runtimes get them as ArrayBuffers by path.
//   modelFiles({base, contract, post, downloads}) -> {files: Map(path -> ArrayBuffer), source: 'cache' | 'network'}
//   stepFiles(files, contract) -> the files the input steps name (a tokenizer.json), for the
//   worker; the model's own buffers are left to the runtime, which may free them.
// (downloads: a Downloads of downloads.js; the model is its part 'model')

// Served by the app and the static build at <page>/model/<path>.
const FOLDER = 'model/';
const DB = 'clientside-models';
const STORE = 'files';

function openDb() {
  return new Promise((resolve) => {
    let request;
    try {
      request = indexedDB.open(DB, 1);
    } catch {
      resolve(null);
      return;
    }
    request.onupgradeneeded = () => request.result.createObjectStore(STORE);
    request.onerror = () => resolve(null);
    request.onsuccess = () => resolve(request.result);
  });
}

function transaction(db, mode, work) {
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(STORE, mode);
      const result = work(tx.objectStore(STORE));
      tx.oncomplete = () => resolve(result.result ?? null);
      tx.onerror = () => resolve(null);
      tx.onabort = () => resolve(null);
    } catch {
      resolve(null);
    }
  });
}

// Keyed by bundle name and content hash: {files: {path: ArrayBuffer}}. Entries written by
// earlier versions for ONNX bundles hold the one file's ArrayBuffer itself.
function fromCache(entry, listed) {
  if (!entry) return null;
  const stored = entry instanceof ArrayBuffer ? { [listed[0].path]: entry } : entry.files;
  if (!stored || !listed.every((f) => stored[f.path] instanceof ArrayBuffer && stored[f.path].byteLength === f.size)) {
    return null;
  }
  return new Map(listed.map((f) => [f.path, stored[f.path]]));
}

// Other versions of the same bundle name are deleted first (their space is the new one's).
// null when stored, else why not: the page keeps working from memory and says so.
async function keep(db, prefix, key, files) {
  if (!db) return 'this browser gives the page no storage (IndexedDB is off or private)';
  const keys = await transaction(db, 'readonly', (store) => store.getAllKeys());
  await transaction(db, 'readwrite', (store) => {
    for (const old of keys || []) if (String(old).startsWith(prefix) && old !== key) store.delete(old);
    return { result: true };
  });
  return new Promise((resolve) => {
    try {
      const tx = db.transaction(STORE, 'readwrite');
      tx.objectStore(STORE).put({ files: Object.fromEntries(files) }, key);
      tx.oncomplete = () => resolve(null);
      const failed = () => resolve(tx.error && tx.error.name === 'QuotaExceededError'
        ? "this browser's storage for the site is full"
        : `the browser refused to store it (${tx.error ? tx.error.name : 'aborted'}; a private window keeps less)`);
      tx.onerror = failed;
      tx.onabort = failed;
    } catch (err) {
      resolve(err && err.name === 'QuotaExceededError' ? "this browser's storage for the site is full" : `storing it failed (${err})`);
    }
  });
}

export async function sha256Hex(buffer) {
  if (!self.crypto || !self.crypto.subtle) return null;  // only in secure contexts
  const digest = await self.crypto.subtle.digest('SHA-256', buffer);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
}

// One file, streamed into a buffer of the contract's size; onBytes(n) after each chunk.
async function download(base, file, onBytes) {
  let response;
  try {
    response = await fetch(new URL(FOLDER + file.path, base));
  } catch {
    throw new Error(`the model file ${file.path} could not be downloaded (the server cannot be reached)`);
  }
  if (!response.ok) throw new Error(`the model file ${file.path} could not be downloaded (HTTP ${response.status})`);
  const buffer = new Uint8Array(file.size);
  let received = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (received + value.length > file.size) {
      throw new Error(`the model file ${file.path} is larger than ${file.size} bytes: `
        + 'the server has a different version');
    }
    buffer.set(value, received);
    received += value.length;
    onBytes(value.length);
  }
  if (received !== file.size) {
    throw new Error(`the model file ${file.path} is ${received} bytes, expected ${file.size}: `
      + 'the download was cut short or the server has a different version');
  }
  const digest = await sha256Hex(buffer.buffer);
  if (digest && digest !== file.sha256) throw new Error(`the model file ${file.path} is corrupt (its sha256 does not match)`);
  return buffer.buffer;
}

// Whether this browser has the bundle's files already (a returning visitor), without loading them.
export async function isCached(contract) {
  const db = await openDb();
  if (!db) return false;
  const entry = await transaction(db, 'readonly', (store) => store.get(`${contract.name}/${contract.content_hash}`));
  return fromCache(entry, contract.files) !== null;
}

export async function modelFiles({ base, contract, post, downloads }) {
  const listed = contract.files;
  const prefix = `${contract.name}/`;
  const key = prefix + contract.content_hash;
  const db = await openDb();
  const cached = db ? fromCache(await transaction(db, 'readonly', (store) => store.get(key)), listed) : null;
  if (cached) return { files: cached, source: 'cache' };
  const onBytes = downloads.part('model', listed.reduce((n, f) => n + f.size, 0));
  const files = new Map();
  // in parallel, as TF.js's own loader fetches shards; progress counts every file's bytes
  const buffers = await Promise.all(listed.map((f) => download(base, f, onBytes)));
  listed.forEach((f, i) => files.set(f.path, buffers[i]));
  const why = await keep(db, prefix, key, files);
  if (why) {
    post({ type: 'warning', kind: 'storage', message: `The model is not stored in this browser (${why}): it runs from `
      + 'memory now, and the next visit downloads it again.' });
  }
  return { files, source: 'network' };
}

export function stepFiles(files, contract) {
  const named = new Set(contract.inputs.flatMap((spec) => (spec.steps || []).map((s) => s.file).filter(Boolean)));
  return new Map([...files].filter(([path]) => named.has(path)));
}
