// What the worker is downloading, in parts (the runtime, the model), with the bytes that
// cross the network, posted to the page as one progress message: a first visit that waits for
// ONNX Runtime's wasm says so, instead of "model 100%".
//   const downloads = new Downloads(post); const onBytes = downloads.part('model', total);
//   fetchRuntimeFile(url, {size, downloads, label}) -> ArrayBuffer

export class Downloads {
  constructor(post) {
    this.post = post;
    this.parts = [];
  }

  // A part of `total` bytes; returns onBytes(n), called as bytes arrive.
  part(label, total) {
    const part = { label, loaded: 0, total };
    this.parts.push(part);
    this.#send();
    return (n) => {
      part.loaded = Math.min(part.total, part.loaded + n);
      this.#send();
    };
  }

  #send() {
    const loaded = this.parts.reduce((n, p) => n + p.loaded, 0);
    const total = this.parts.reduce((n, p) => n + p.total, 0);
    this.post({
      type: 'progress', phase: 'download', loaded, total, fraction: total ? loaded / total : 1,
      // the runtime first, the model last, whichever answered first
      parts: this.parts.map((p) => ({ ...p })).sort((a, b) => (a.label === 'model') - (b.label === 'model')),
    });
  }
}

// A runtime file (ONNX Runtime's wasm), streamed. `size` is its size uncompressed (the page
// knows it); the network may carry it compressed, and the stream gives it uncompressed, so
// progress is counted in the bytes that cross the network: Content-Length times the share received.
export async function fetchRuntimeFile(url, { size, downloads, label }) {
  let response;
  try {
    response = await fetch(url);
  } catch {
    throw new Error(`${label} could not be downloaded (the server cannot be reached)`);
  }
  if (!response.ok) throw new Error(`${label} could not be downloaded (HTTP ${response.status})`);
  const length = Number(response.headers.get('Content-Length')) || 0;
  const encoded = Boolean(response.headers.get('Content-Encoding'));
  const wire = encoded ? length || size : size;
  const onBytes = downloads.part(label, wire);
  const chunks = [];
  let received = 0;
  let counted = 0;
  const reader = response.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    received += value.length;
    const now = size ? Math.round((Math.min(received, size) / size) * wire) : 0;
    onBytes(now - counted);
    counted = now;
  }
  onBytes(wire - counted);
  const bytes = new Uint8Array(received);
  let at = 0;
  for (const c of chunks) { bytes.set(c, at); at += c.length; }
  return bytes.buffer;
}
