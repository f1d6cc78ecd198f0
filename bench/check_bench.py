"""The self-check in the page: what it costs on a first visit (the check's own run, against
the whole load), that a returning visit takes the verdict from the cache, and each backend's
answer on it, WebGPU included. WebGPU here is SwiftShader, a GPU emulated on the CPU: its
answers are reported, its times are not (they would say nothing of a GPU)."""
from __future__ import annotations

import statistics
from pathlib import Path

from browser_bench import FLAGS, serve

from clientside import create_app, load_bundle

RUNS = 5
#: WebGPU through SwiftShader: Chromium's GPU process on, WebGPU allowed.
GPU_FLAGS = [f for f in FLAGS if f != "--disable-gpu"] + ["--enable-unsafe-webgpu"]
BACKENDS = {"tfjs": ("wasm", "webgpu"), "onnx": ("wasm", "webgpu")}


def _visit(browser, url: str, backend: str) -> list[dict]:
    """A cold visit (a fresh profile) and a warm one (a reload): what the worker said each time."""
    context = browser.new_context()
    try:
        page = context.new_page()
        found = []
        for go in (lambda: page.goto(f"{url}?sw=off&backend={backend}"), page.reload):
            go()
            page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=180_000)
            if page.evaluate("document.body.dataset.state") == "error":
                return [{"error": page.inner_text("#error")}]
            found.append(page.evaluate("window.clientside.state.ready"))
        return found
    finally:
        context.close()


def _range(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def run(cases: list[tuple[str, Path]], browser=None) -> tuple[str, dict]:
    """cases: (label, float32 bundle with a check); browser: a Chromium launched with
    GPU_FLAGS (else one is). Returns the section and, per (label, runtime, backend), the
    medians: check_ms, ready_ms (cold), and the difference."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=GPU_FLAGS)
            try:
                return run(cases, launched)
            finally:
                launched.close()
    rows, figures = [], {}
    for label, bundle in cases:
        runtime = load_bundle(bundle).runtime
        server, url = serve(create_app(bundle))
        try:
            for backend in BACKENDS[runtime]:
                visits = [_visit(browser, url, backend) for _ in range(RUNS if backend == "wasm" else 1)]
                errors = [v[0]["error"] for v in visits if "error" in v[0]]
                if errors:
                    rows.append(f"| {label} | {runtime} | {backend} | did not run: {errors[0][:120]} | | | |")
                    continue
                cold = [v[0] for v in visits]
                warm = [v[1] for v in visits]
                difference = max(c["check"]["difference"] for c in cold)
                tolerance = load_bundle(bundle).contract["check"]["tolerance"]
                cached = all(w["check"]["cached"] for w in warm)
                if backend == "webgpu":  # SwiftShader: its answers, never its times
                    rows.append(f"| {label} | {runtime} | webgpu (SwiftShader: correctness only) | not timed | "
                                f"not timed | {'yes' if cached else 'NO'} | {difference:.2g} ({tolerance:g}) |")
                    figures[label, runtime, backend] = {"difference": difference, "cached": cached}
                    continue
                check_ms = [c["check"]["ms"] for c in cold]
                ready_ms = [c["ms"] for c in cold]
                share = statistics.median(c / r for c, r in zip(check_ms, ready_ms))
                figures[label, runtime, backend] = {"check_ms": statistics.median(check_ms), "cached": cached,
                                                    "ready_ms": statistics.median(ready_ms),
                                                    "difference": difference}
                rows.append(f"| {label} | {runtime} | {backend} | {_range(check_ms)} | {_range(ready_ms)} "
                            f"({share:.0%}) | {'yes' if cached else 'NO'} | {difference:.2g} ({tolerance:g}) |")
        finally:
            server.shutdown()
    return "\n".join([
        "## The self-check in the page", "",
        f"Float32 bundles (the check is not written for quantized ones), each page in a fresh "
        f"profile: {RUNS} cold visits on WebAssembly, each followed by a reload. Cold: the check's "
        "own run (its input made, one prediction, the comparison) and the worker's whole load "
        "(runtime, model, check), medians with (min-max), the check's share in brackets. Warm: "
        "whether the reload took the verdict from the cache instead of running the check. WebGPU "
        "is SwiftShader here (a GPU emulated on the CPU, `--enable-unsafe-webgpu`): one visit, "
        "forced with `?backend=webgpu`, for its answer only; its times would say nothing of a GPU. "
        "Difference: the check's largest difference from the framework's outputs over their "
        "largest magnitude, against the bundle's tolerance.", "",
        "| model | runtime | backend | cold: check ms | cold: ms to model ready (check's share) | "
        "warm: verdict cached | difference (tolerance) |",
        "|---|---|---|---|---|---|---|", *rows, ""]), figures
