// Which backend runs a model: the one rule, written once for every runtime (as Transformers.js
// maps its devices onto one runtime). A runtime lists its backends in its order of preference,
// each with the device it needs (BACKENDS: [{name, device: 'webgpu' | 'webgl' | 'cpu'}]); the
// worker probes the devices once, and plan() orders the backends and says why. The worker then
// loads the first and runs the bundle's self-check on it, going down the order where a backend
// fails to load or disagrees (worker.js).
//
// The rule: a GPU backend goes first only on a hardware GPU. A software one (SwiftShader,
// llvmpipe, WARP: a GPU emulated on the CPU) is slower than WebAssembly, so its
// backends come last, as fallbacks that the self-check still accepts or refuses. Otherwise the
// CPU backends go in the runtime's order (wasm before TF.js's plain JavaScript).

const SOFTWARE = /swiftshader|llvmpipe|lavapipe|software|basic render|warp/i;
const PROBE_MS = 3000;  // a browser that never answers requestAdapter() must not hang the page

const PROBES = { webgpu: probeWebGpu, webgl: probeWebGl };
const probed = {};

// {webgpu: null | {software, name, f16, maxBufferSize}, webgl: null | {software, name}}, of
// the devices a runtime's backends need (BACKENDS): ONNX Runtime Web never opens a WebGL context.
export async function probe(backends = [{ device: 'webgpu' }, { device: 'webgl' }]) {
  const wanted = [...new Set(backends.map((b) => b.device))].filter((d) => PROBES[d]);
  for (const d of wanted) probed[d] ??= PROBES[d]();
  return Object.fromEntries(await Promise.all(wanted.map(async (d) => [d, await probed[d]])));
}

async function probeWebGpu() {
  if (!self.navigator?.gpu) return null;
  try {
    const adapter = await Promise.race([
      navigator.gpu.requestAdapter(),
      new Promise((resolve) => { setTimeout(() => resolve(null), PROBE_MS); }),
    ]);
    if (!adapter) return null;
    const info = adapter.info || {};
    const name = [info.vendor, info.architecture, info.description].filter(Boolean).join(' ') || 'unnamed adapter';
    return {
      software: Boolean(info.isFallbackAdapter ?? adapter.isFallbackAdapter) || SOFTWARE.test(name),
      name,
      f16: adapter.features.has('shader-f16'),
      maxBufferSize: adapter.limits.maxBufferSize,
    };
  } catch {
    return null;
  }
}

function probeWebGl() {
  try {
    const gl = new OffscreenCanvas(1, 1).getContext('webgl2');
    if (!gl) return null;
    const info = gl.getExtension('WEBGL_debug_renderer_info');
    const name = String(info ? gl.getParameter(info.UNMASKED_RENDERER_WEBGL) : gl.getParameter(gl.RENDERER));
    gl.getExtension('WEBGL_lose_context')?.loseContext();
    return { software: SOFTWARE.test(name), name };
  } catch {
    return null;
  }
}

// {order: [backend names], why: words for the page, after 'chosen because'} for a runtime's BACKENDS on these devices;
// forced (?backend=): that one alone, when the runtime has it.
export function plan(backends, devices, forced) {
  if (forced) {
    if (!backends.some((b) => b.name === forced)) {
      throw new Error(`this model's runtime has no backend "${forced}" (it has ${backends.map((b) => b.name).join(', ')}): `
        + 'change ?backend= in the address');
    }
    return { order: [forced], why: `the address asks for it: ?backend=${forced}` };
  }
  const hardware = backends.filter((b) => b.device !== 'cpu' && devices[b.device] && !devices[b.device].software);
  const cpu = backends.filter((b) => b.device === 'cpu');
  const software = backends.filter((b) => b.device !== 'cpu' && devices[b.device]?.software);
  const order = [...hardware, ...cpu, ...software].map((b) => b.name);
  return { order, why: why(backends, devices, hardware) };
}

function why(backends, devices, hardware) {
  if (hardware.length) return `this browser has a hardware GPU (${devices[hardware[0].device].name})`;
  const gpus = [...new Set(backends.map((b) => b.device).filter((d) => d !== 'cpu'))];
  if (!gpus.length) return 'this runtime runs on the CPU only';
  const software = gpus.map((d) => devices[d]).find((d) => d?.software);
  if (software) return `this browser's GPU is software (${software.name}), slower than WebAssembly`;
  return `this browser offers no ${gpus.map((d) => ({ webgpu: 'WebGPU adapter', webgl: 'WebGL GPU' }[d])).join(' or ')}`;
}
