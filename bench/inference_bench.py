"""Inference speed: TF.js in headless Chromium per backend (in a worker, as the page runs
it) against the same model in Python (Keras, JAX backend, the jitted fast path), in the
same run on the same machine."""
from __future__ import annotations

import statistics
import time
from pathlib import Path

from browser_bench import FLAGS, serve

from clientside import create_app, load_bundle

HERE = Path(__file__).resolve().parent
BACKENDS = ("wasm", "webgl", "cpu")
SINGLES = 100
BATCH = 64
BUDGET_MS = 8_000  # singles, per backend: slow backends run fewer predictions
BATCH_BUDGET_MS = 15_000  # batches, per backend: run only if two fit
BATCH_RUNS = 3


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def browser(bundle: Path, chromium) -> dict[str, dict]:
    """One fresh worker per backend: init, first prediction, singles, batch."""
    meta = load_bundle(bundle)
    shape = [int(d) for d in meta.input_shape[1:]]
    server, url = serve(create_app(bundle))
    script = (HERE / "inference_worker.js").read_text()
    results = {}
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.route("**/bench-inference.js", lambda route: route.fulfill(body=script, content_type="text/javascript"))
        page.goto(url + "?sw=off")
        # the first worker pays for the browser's own start-up: a throwaway run first
        for key, backend, singles in [("warm-up", "wasm", 1), *((b, b, SINGLES) for b in BACKENDS)]:
            results[key] = page.evaluate("""(job) => new Promise((resolve) => {
                const worker = new Worker('bench-inference.js');
                worker.onmessage = ({ data }) => { worker.terminate(); resolve(data); };
                worker.onerror = (e) => { worker.terminate(); resolve({ error: e.message }); };
                worker.postMessage(job);
            })""", {"vendor": url + "vendor/", "modelUrl": url + "model/model.json", "backend": backend,
                    "inputShape": shape, "singles": singles, "batch": BATCH, "batchRuns": BATCH_RUNS,
                    "budgetMs": BUDGET_MS, "batchBudgetMs": BATCH_BUDGET_MS})
        del results["warm-up"]
    finally:
        context.close()
        server.shutdown()
    return results


def native(keras_path: Path) -> dict:
    """Keras with JAX: the jitted stateless call (what bench/baseline_app.py serves with)."""
    import jax
    import keras
    import numpy as np

    model = keras.saving.load_model(keras_path, compile=False)
    trainable = [v.value for v in model.trainable_variables]
    non_trainable = [v.value for v in model.non_trainable_variables]
    infer = jax.jit(lambda x: model.stateless_call(trainable, non_trainable, x, training=False)[0])
    shape = tuple(int(d) for d in model.inputs[0].shape[1:])
    rng = np.random.default_rng(0)

    def timed(x) -> float:
        start = time.perf_counter()
        np.asarray(infer(x))
        return 1000 * (time.perf_counter() - start)

    one, big = rng.random((1, *shape), np.float32), rng.random((BATCH, *shape), np.float32)
    first = timed(one)  # includes compilation
    single, deadline = [], time.monotonic() + BUDGET_MS / 1000
    while len(single) < SINGLES and time.monotonic() < deadline:
        single.append(timed(one))
    timed(big)
    batched = [timed(big) for _ in range(BATCH_RUNS)]
    return {"first": first, "single": single, "batched": batched}


def _row(label: str, r: dict) -> str:
    if r.get("error"):
        return f"| {label} | unavailable: {r['error']} | | | | | |"
    single = r["single"]
    init = f"{r['init']:.0f}" if "init" in r else "n/a"
    batch = (f"{statistics.median(r['batched']):.0f}" if r["batched"]
             else "not run (over the time budget)")
    return (f"| {label} | {init} | {r['first']:.1f} | {statistics.median(single):.2f} | "
            f"{p95(single):.2f} | {len(single)} | {batch} |")


def run(cases: list[tuple[str, Path, Path]], chromium=None) -> tuple[str, dict[str, float]]:
    """cases: (label, bundle, keras file). Returns the section and, per model, the ratio
    browser-wasm / native of the median single prediction. chromium: a Playwright browser
    to use (else one is launched)."""
    if chromium is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                return run(cases, launched)
            finally:
                launched.close()
    found_all = {label: browser(bundle, chromium) for label, bundle, _ in cases}
    rows, ratios = [], {}
    for label, _bundle, keras_path in cases:
        found = found_all[label]
        here = native(keras_path)
        for backend in BACKENDS:
            rows.append(_row(f"{label}: TF.js {backend}", found[backend]))
        rows.append(_row(f"{label}: Keras/JAX (native)", here))
        if not found["wasm"].get("error"):
            wasm, nat = statistics.median(found["wasm"]["single"]), statistics.median(here["single"])
            ratios[label] = wasm / nat
            batch = (f"; batch of {BATCH}: "
                     f"{statistics.median(found['wasm']['batched']) / statistics.median(here['batched']):.2f}x"
                     if found["wasm"]["batched"] else "")
            rows.append(f"| {label}: **browser wasm / native** | | | **{ratios[label]:.2f}x** single{batch} | | | |")
    return "\n".join([
        "## Browser inference (headless Chromium, in a worker) against native Keras", "",
        f"Each backend in a fresh worker loading the app's own TF.js files: init (scripts, "
        f"backend), first prediction (kernel compilation), then up to {SINGLES} single "
        f"predictions within {BUDGET_MS / 1000:.0f} s, and a batch of {BATCH} (median of up to "
        f"{BATCH_RUNS} after one untimed, run when two fit in {BATCH_BUDGET_MS / 1000:.0f} s). "
        "Native: the same model in Python, Keras 3 with JAX, a jitted "
        "call (the fast path; `model.predict` adds milliseconds per call). Times in ms; the "
        "webgl backend here runs on SwiftShader (no GPU on this machine), so its figures say "
        "nothing about a real GPU.", "",
        "| model and runtime | init | first | single median | single p95 | singles run | batch median |",
        "|---|---|---|---|---|---|---|", *rows, ""]), ratios
