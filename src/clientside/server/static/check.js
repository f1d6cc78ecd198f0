// The bundle's self-check (contract.check, written by contract/check.py): its input item, made
// again here exactly as Python made it (values as stored, or mulberry32 from a seed), run by
// the runtime on a backend, and the outputs compared with the framework's. A backend is taken
// only if they agree within the check's tolerance; the verdict is kept per model and backend
// (Cache Storage), so a returning visit does not run it again.
import { typedArray, typedFrom } from './steps/common.js';

export function seeded(count, seed, low, high, integer = false) {
  const out = new Float64Array(count);
  let a = seed >>> 0;
  for (let i = 0; i < count; i++) {
    a = (a + 0x6D2B79F5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a) >>> 0;
    t = ((t + (Math.imul(t ^ (t >>> 7), 61 | t) >>> 0)) >>> 0 ^ t) >>> 0;
    const u = ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    const value = low + (high - low) * u;
    out[i] = integer ? Math.floor(value) : value;
  }
  return out;
}

// {inputName: {data, shape}} for the runtime: the check's item, constants at their value.
export function checkFeeds(contract) {
  const feeds = {};
  for (const spec of contract.inputs) {
    const entry = contract.check.inputs[spec.name];
    if (!entry) {
      const shape = spec.shape.map((d) => d ?? 1);
      feeds[spec.name] = { data: typedArray(spec.dtype, shape.reduce((a, b) => a * b, 1)).fill(spec.value), shape };
      continue;
    }
    const count = entry.shape.reduce((a, b) => a * b, 1);
    const integer = !['float32', 'float64'].includes(spec.dtype);
    const values = entry.values ?? seeded(count, entry.seed, entry.low, entry.high, integer);
    feeds[spec.name] = { data: typedFrom(spec.dtype, values), shape: entry.shape };
  }
  return feeds;
}

// The largest difference over the largest expected magnitude (contract/check.py: difference).
export function difference(check, outputs) {
  let worst = 0;
  let scale = 0;
  for (const [name, want] of Object.entries(check.outputs)) {
    const got = outputs[name].data;
    want.values.forEach((v, i) => {
      worst = Math.max(worst, Math.abs(Number(got[i * want.every]) - v));
      scale = Math.max(scale, Math.abs(v));
    });
    if (!want.values.every((_, i) => Number.isFinite(Number(got[i * want.every])))) worst = Infinity;
  }
  return worst / Math.max(scale, 1e-6);
}

// Where verdicts are kept, opened once per worker; none without Cache Storage (an insecure
// context): the check then runs every visit.
let store = null;
function verdicts() {
  store ??= (self.caches ? caches.open('clientside-checks') : Promise.resolve(null)).catch(() => null);
  return store;
}

const keyOf = (contract, backend, base) => new URL(`clientside-check/${contract.content_hash}/${backend}`, base).href;

// The verdict an earlier visit reached on this backend ({ok, difference, ms, cached: true}), or
// null: a backend already turned down is skipped without being loaded.
export async function remembered(contract, backend, base) {
  const kept = await verdicts();
  const hit = kept && await kept.match(keyOf(contract, backend, base));
  return hit ? { ...(await hit.json()), cached: true } : null;
}

// {ok, difference, ms, cached: false}: the check run on this runtime's backend, and kept (the
// worker asks remembered() first, so a returning visit does not run it again).
export async function verdict(contract, runtime, base) {
  const key = keyOf(contract, runtime.backend, base);
  const kept = await verdicts();
  const started = performance.now();
  const found = difference(contract.check, await runtime.predict(checkFeeds(contract)));
  const result = { ok: found <= contract.check.tolerance, difference: found, ms: performance.now() - started };
  try {
    if (kept) await kept.put(key, new Response(JSON.stringify(result), { headers: { 'Content-Type': 'application/json' } }));
  } catch {
    // a full storage: the verdict is not kept, and the next visit checks again
  }
  return { ...result, cached: false };
}
