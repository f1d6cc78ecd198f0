"""The two browser runtimes in one run: TF.js wasm against ONNX Runtime Web's wasm on the
same Keras models (exported both ways), each with and without cross-origin isolation
(`clientside serve --isolate`) and the thread counts in question, against native Python
(Keras/JAX and onnxruntime); an ONNX bundle's visit (bytes as sent, warm time); and what
compression and ORT's other wasm builds would weigh."""
from __future__ import annotations

import gzip
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from browser_bench import serve, visitor
from inference_bench import BATCH, BATCH_BUDGET_MS, BATCH_RUNS, BUDGET_MS, SINGLES, native, p95

from clientside import create_app, load_bundle

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
#: (label, runtime, --isolate, threads; None: the runtime's own default)
CONFIGS = [
    ("TF.js wasm", "tfjs", False, None),
    ("TF.js wasm, isolated, its default threads (cores / 2 = 1 here)", "tfjs", True, None),
    ("TF.js wasm, isolated, 2 threads", "tfjs", True, 2),
    ("ORT Web wasm, 1 thread", "onnx", False, 1),
    ("ORT Web wasm, isolated, 1 thread", "onnx", True, 1),
    ("ORT Web wasm, isolated, 2 threads", "onnx", True, 2),
]
#: A host that sets no headers: the static build made with --isolate-sw isolates its page itself.
SHIM = "ORT Web wasm, isolated by the service-worker shim (python -m http.server), 2 threads"
#: what the app's precompression uses; 35 s a build at 11 (the smoke test lowers it)
BROTLI_QUALITY = 11
ISOLATION = {"Cross-Origin-Embedder-Policy": "require-corp", "Cross-Origin-Opener-Policy": "same-origin",
             "Cross-Origin-Resource-Policy": "same-origin"}


def onnx_bundle(keras_file: Path, out: Path, runtime: str = "onnx", **options) -> Path:
    """The Keras model through the ONNX path (what --runtime onnx writes), or another runtime's."""
    import keras

    from clientside import export

    model = keras.saving.load_model(keras_file, compile=False)
    return export(model, out, runtime=runtime, say=lambda _: None, **options)


def _worker_run(page, script: str, job: dict) -> dict:
    return page.evaluate("""([script, job]) => new Promise((resolve) => {
        const worker = new Worker(script, script.includes('onnx') ? { type: 'module' } : {});
        const timer = setTimeout(() => { worker.terminate(); resolve({ error: 'no answer in 180 s' }); }, 180000);
        worker.onmessage = ({ data }) => { clearTimeout(timer); worker.terminate(); resolve(data); };
        worker.onerror = (e) => {
          clearTimeout(timer); worker.terminate(); resolve({ error: e.message || 'worker failed' });
        };
        worker.postMessage(job);
    })""", [script, job])


def _fulfil(body: str):
    def handler(route, request) -> None:
        route.fulfill(body=body, content_type="text/javascript", headers=ISOLATION)
    return handler


def browser(tfjs: Path, onnx: Path, chromium) -> dict[str, dict]:
    """Each configuration in a fresh worker of a page served plain or isolated."""
    shape = [int(d) for d in load_bundle(tfjs).input_shape[1:]]
    onnx_file = load_bundle(onnx).files[0].path
    results: dict[str, dict] = {}
    for isolate in (False, True):
        servers = {"tfjs": serve(create_app(tfjs, isolate=isolate)), "onnx": serve(create_app(onnx, isolate=isolate))}
        context = chromium.new_context()
        try:
            for runtime, (_, url) in servers.items():
                page = context.new_page()
                for name in ("inference_worker.js", "onnx_worker.js"):
                    page.route(f"**/bench-{name}", _fulfil((HERE / name).read_text()))
                page.goto(url + "?sw=off")
                if isolate:
                    assert page.evaluate("() => self.crossOriginIsolated"), "the page is not cross-origin isolated"
                # the first worker pays for the browser's own start-up: a throwaway run first
                script = "bench-inference_worker.js" if runtime == "tfjs" else "bench-onnx_worker.js"
                common = {"vendor": url + "vendor/", "inputShape": shape, "batch": BATCH, "batchRuns": BATCH_RUNS,
                          "budgetMs": BUDGET_MS, "batchBudgetMs": BATCH_BUDGET_MS, "backend": "wasm"}
                model_url = url + ("model/model.json" if runtime == "tfjs" else f"model/{onnx_file}")
                _worker_run(page, script, {**common, "modelUrl": model_url, "singles": 1, "threads": 1})
                for label, which, isolated, threads in CONFIGS:
                    if which == runtime and isolated == isolate:
                        results[label] = _worker_run(page, script, {**common, "modelUrl": model_url,
                                                                     "singles": SINGLES, "threads": threads})
                page.close()
        finally:
            context.close()
            for server, _ in servers.values():
                server.shutdown()
    return results


def shimmed(onnx: Path, chromium) -> dict:
    """The ONNX bundle's static build made with --isolate-sw, served by `python -m http.server`
    (no COOP/COEP of its own): its page becomes cross-origin isolated through its service worker
    (one reload), and the same worker as above runs in it, its script served through that
    service worker like the page's own."""
    from clientside.deploy.static_site import build

    with tempfile.TemporaryDirectory() as tmp:
        site = build([onnx], Path(tmp) / "site", isolate_sw=True)
        (site / "bench-onnx_worker.js").write_text((HERE / "onnx_worker.js").read_text())
        [vendor] = [p.relative_to(site).as_posix() for p in site.glob("assets/*/vendor")]
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        url = f"http://127.0.0.1:{port}/"
        proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                                 "--directory", str(site)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        context = chromium.new_context()
        try:
            page = context.new_page()
            for _ in range(100):  # the server's start
                try:
                    page.goto(url)
                    break
                except Exception:  # noqa: BLE001 - Playwright's connection refused, until it listens
                    time.sleep(0.2)
            page.wait_for_function("() => self.crossOriginIsolated && document.body.dataset.state === 'ready'",
                                   timeout=120_000)
            shape = [int(d) for d in load_bundle(onnx).input_shape[1:]]
            common = {"vendor": url + vendor + "/", "modelUrl": url + f"model/{load_bundle(onnx).files[0].path}",
                      "inputShape": shape, "batch": BATCH, "batchRuns": BATCH_RUNS, "budgetMs": BUDGET_MS,
                      "batchBudgetMs": BATCH_BUDGET_MS, "backend": "wasm"}
            _worker_run(page, "bench-onnx_worker.js", {**common, "singles": 1, "threads": 1})
            return _worker_run(page, "bench-onnx_worker.js", {**common, "singles": SINGLES, "threads": 2})
        finally:
            context.close()
            proc.terminate()
            proc.wait(10)


def onnxruntime_native(onnx: Path) -> dict:
    """Python's onnxruntime on the same file (its default threads: all cores)."""
    import numpy as np
    import onnxruntime

    bundle = load_bundle(onnx)
    session = onnxruntime.InferenceSession(str(bundle.root / bundle.files[0].path), providers=["CPUExecutionProvider"])
    name = session.get_inputs()[0].name
    shape = [int(d) for d in bundle.inputs[0]["shape"][1:]]
    rng = np.random.default_rng(0)
    one, big = rng.random((1, *shape), np.float32), rng.random((BATCH, *shape), np.float32)

    def timed(x) -> float:
        start = time.perf_counter()
        session.run(None, {name: x})
        return 1000 * (time.perf_counter() - start)

    first = timed(one)
    single, deadline = [], time.monotonic() + BUDGET_MS / 1000
    while len(single) < SINGLES and time.monotonic() < deadline:
        single.append(timed(one))
    timed(big)
    return {"first": first, "single": single, "batched": [timed(big) for _ in range(BATCH_RUNS)]}


def _row(label: str, r: dict) -> str:
    if r.get("error"):
        return f"| {label} | unavailable: {r['error']} | | | | |"
    init = f"{r['init']:.0f}" if "init" in r else "n/a"
    batch = f"{statistics.median(r['batched']):.0f}" if r["batched"] else "not run (over the time budget)"
    return (f"| {label} | {init} | {r['first']:.1f} | {statistics.median(r['single']):.2f} | "
            f"{p95(r['single']):.2f} | {batch} |")


def wasm_sizes() -> list[str]:
    """ORT's wasm builds as the server could send them: raw, gzip -9, brotli."""
    import brotli

    dist = ROOT / "node_modules" / "onnxruntime-web" / "dist"
    rows = []
    for name, what in [("ort-wasm-simd-threaded.wasm", "CPU: every ONNX page"),
                       ("ort-wasm-simd-threaded.jsep.wasm", "WebGPU + WebNN"),
                       ("ort-wasm-simd-threaded.asyncify.wasm", "native WebGPU EP: where WebGPU runs the model"),
                       ("ort-wasm-simd-threaded.jspi.wasm", "JSPI")]:
        path = dist / name
        if not path.is_file():
            rows.append(f"| {name} ({what}) | not in this npm package | | |")
            continue
        data = path.read_bytes()
        rows.append(f"| {name} ({what}) | {len(data) / 1e6:.2f} | {len(gzip.compress(data, 9)) / 1e6:.2f} | "
                    f"{len(brotli.compress(data, quality=BROTLI_QUALITY)) / 1e6:.2f} |")
    tfjs = ROOT / "node_modules" / "@tensorflow" / "tfjs-backend-wasm" / "dist" / "tfjs-backend-wasm-simd.wasm"
    if tfjs.is_file():
        data = tfjs.read_bytes()
        rows.append(f"| tfjs-backend-wasm-simd.wasm (TF.js, for scale) | {len(data) / 1e6:.2f} | "
                    f"{len(gzip.compress(data, 9)) / 1e6:.2f} | "
                    f"{len(brotli.compress(data, quality=BROTLI_QUALITY)) / 1e6:.2f} |")
    return rows


def run(cases: list[tuple[str, Path, Path, Path]], visit: tuple[Path, Path], chromium=None) -> tuple[str, dict]:
    """cases: (label, TF.js bundle, ONNX bundle, keras file); visit: (ONNX MNIST bundle, image).
    Returns the section and the figures the targets read."""
    if chromium is None:
        from browser_bench import FLAGS
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                return run(cases, visit, launched)
            finally:
                launched.close()
    rows, figures = [], {"single": {}, "isolated": {}}
    for label, tfjs, onnx, keras_file in cases:
        found = browser(tfjs, onnx, chromium)
        found[SHIM] = shimmed(onnx, chromium)
        found["Keras/JAX (native)"] = native(keras_file)
        found["onnxruntime, Python (native)"] = onnxruntime_native(onnx)
        for name, r in found.items():
            rows.append(_row(f"{label}: {name}", r))
            if not r.get("error"):
                figures["single"][(label, name)] = statistics.median(r["single"])
                figures["isolated"][(label, name)] = r.get("isolated")
    visit_section, visit_figures = visitor(visit[0], visit[1], chromium,
                                           what=f"The MNIST demo model exported with --runtime onnx --quantize "
                                                f"uint8 (as the demo's TF.js bundle; "
                                                f"{_model_bytes(visit[0]):,} bytes).")
    figures["visit"] = visit_figures
    return "\n".join([
        "## Two runtimes: TF.js against ONNX Runtime Web", "",
        "The same Keras models exported both ways (`--runtime tfjs` and `--runtime onnx`), each "
        "runtime in a fresh worker loading the app's own files, as the page does, on a page "
        "served plain or cross-origin isolated (`clientside serve --isolate`; or, on a host that "
        "sets no headers, `python -m http.server`, by the service worker of a static build made "
        "with `clientside build --isolate-sw`). Init: loading the "
        "runtime (for ORT also fetching the model and creating the session; TF.js's model load "
        f"is not in it). Then up to {SINGLES} single predictions within {BUDGET_MS / 1000:.0f} s "
        f"and a batch of {BATCH} (median of up to {BATCH_RUNS}, run when two fit in "
        f"{BATCH_BUDGET_MS / 1000:.0f} s). Native: Keras 3 on JAX (a jitted call) and Python's "
        "onnxruntime (all cores) on the same .onnx file. Times in ms.", "",
        "| model and runtime | init | first | single median | single p95 | batch median |",
        "|---|---|---|---|---|---|", *rows, "",
        "### An ONNX bundle's visit", "", *visit_section.splitlines()[2:], "",
        "### ONNX Runtime's wasm, as sent", "",
        "Sizes in MB of the builds in npm `onnxruntime-web`; clientside serves the CPU build to "
        "every ONNX page and the WebGPU build (asyncify) where WebGPU runs the model; its server "
        "sends each brotli-compressed (q11, precompressed at start-up) where the "
        "browser accepts it, else gzip.", "",
        f"| file | raw | gzip -9 | brotli q{BROTLI_QUALITY} |", "|---|---|---|---|", *wasm_sizes(), ""]), figures


def _model_bytes(bundle: Path) -> int:
    b = load_bundle(bundle)
    return sum((b.root / s.path).stat().st_size for s in b.files)
