"""Where ONNX Runtime Web's time goes, per operator, against native onnxruntime on the same
file: ORT's own profiler on both sides (the browser's through the session option
enableProfiling, in a cross-origin isolated page with 2 threads; Python's through
SessionOptions.enable_profiling, on all cores), for a graph as exported without optimization
(`optimize=False`) and as clientside saves it (runtimes/onnx/optimize.py)."""
from __future__ import annotations

import json
import statistics
import time
from collections import Counter
from pathlib import Path

from browser_bench import FLAGS, serve
from onnx_bench import _fulfil

from clientside import create_app, load_bundle

HERE = Path(__file__).resolve().parent
RUNS = 20
WARMUP = 3
THREADS = 2


def per_operator(events: list[dict], runs: int) -> tuple[dict[str, float], int]:
    """{op type: ms per run} over the last `runs` model runs of an ORT profile, and the nodes
    per run (the kernels' times; what runs between them is not in it)."""
    windows = sorted((e["ts"], e["ts"] + e["dur"]) for e in events
                     if e.get("cat") == "Session" and e.get("name") == "model_run")[-runs:]
    total: Counter[str] = Counter()
    nodes = 0
    for e in events:
        if e.get("cat") == "Node" and e.get("name", "").endswith("_kernel_time") and any(
                start <= e["ts"] <= end for start, end in windows):
            total[e["args"]["op_name"]] += e["dur"] / 1000 / len(windows)
            nodes += 1
    return dict(total), nodes // max(len(windows), 1)


def native(onnx_file: Path, shape: list[int]) -> dict:
    """Python's onnxruntime on the file: ms per prediction (median of RUNS), then its profile."""
    import numpy as np
    import onnxruntime

    x = np.random.default_rng(0).random((1, *shape), np.float32)

    def session(profile: bool, level=onnxruntime.GraphOptimizationLevel.ORT_ENABLE_ALL):
        options = onnxruntime.SessionOptions()
        options.enable_profiling = profile
        options.graph_optimization_level = level
        options.profile_file_prefix = str(onnx_file.parent / "clientside-bench-profile")
        return onnxruntime.InferenceSession(str(onnx_file), options, providers=["CPUExecutionProvider"])

    def times(s) -> list[float]:
        name = s.get_inputs()[0].name
        for _ in range(WARMUP):
            s.run(None, {name: x})
        out = []
        for _ in range(RUNS):
            start = time.perf_counter()
            s.run(None, {name: x})
            out.append(1000 * (time.perf_counter() - start))
        return out

    single = times(session(False))
    # without the layout the web build lacks (NCHWc, its highest level): how much of the gap is layout
    flat = times(session(False, onnxruntime.GraphOptimizationLevel.ORT_ENABLE_EXTENDED))
    profiled = session(True)
    name = profiled.get_inputs()[0].name
    for _ in range(WARMUP + RUNS):
        profiled.run(None, {name: x})
    written = Path(profiled.end_profiling())
    events = json.loads(written.read_text())
    written.unlink()
    ops, nodes = per_operator(events, RUNS)
    return {"single": single, "flat": flat, "ops": ops, "nodes": nodes}


def browser(bundle: Path, chromium) -> dict:
    """The bundle's graph in ORT Web's wasm, in a worker of a cross-origin isolated page."""
    read = load_bundle(bundle)
    shape = [int(d) for d in read.inputs[0]["shape"][1:]]
    server, url = serve(create_app(bundle, isolate=True))
    context = chromium.new_context()
    try:
        page = context.new_page()
        page.route("**/bench-ort_profile_worker.js", _fulfil((HERE / "ort_profile_worker.js").read_text()))
        page.goto(url + "?sw=off")
        assert page.evaluate("() => self.crossOriginIsolated"), "the page is not cross-origin isolated"
        got = page.evaluate("""(job) => new Promise((resolve) => {
            const worker = new Worker('bench-ort_profile_worker.js', { type: 'module' });
            const timer = setTimeout(() => { worker.terminate(); resolve({ error: 'no answer in 300 s' }); }, 300000);
            worker.onmessage = ({ data }) => { clearTimeout(timer); worker.terminate(); resolve(data); };
            worker.onerror = (e) => { clearTimeout(timer); resolve({ error: e.message || 'worker failed' }); };
            worker.postMessage(job);
        })""", {"vendor": url + "vendor/", "modelUrl": url + f"model/{read.files[0].path}", "threads": THREADS,
                "inputShape": shape, "runs": RUNS})
    finally:
        context.close()
        server.shutdown()
    if got.get("error"):
        return got
    ops, nodes = per_operator(got["events"], RUNS)
    return {"single": got["single"], "ops": ops, "nodes": nodes, "threads": got["threads"], "offered": got["offered"]}


def run(cases: list[tuple[str, Path]], chromium=None) -> tuple[str, dict]:
    """cases: (label, ONNX bundle), e.g. the same model exported with optimize=False and as
    clientside saves it. Returns the section and {label: (web median, native median)}."""
    if chromium is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                return run(cases, launched)
            finally:
                launched.close()
    lines, figures, offered = [], {}, {}
    summary = ["| graph | nodes (web / native, after each one's own optimizer) | ORT Web, ms | onnxruntime, ms "
               "| ORT Web / native | onnxruntime without NCHWc, ms | ORT Web / that |", "|---|---|---|---|---|---|---|"]
    for label, bundle in cases:
        read = load_bundle(bundle)
        web = browser(bundle, chromium)
        if web.get("error"):
            summary.append(f"| {label} | unavailable: {web['error']} | | | | | |")
            continue
        offered = web["offered"]
        here = native(read.root / read.files[0].path, [int(d) for d in read.inputs[0]["shape"][1:]])
        w, n, flat = (statistics.median(v) for v in (web["single"], here["single"], here["flat"]))
        figures[label] = (w, n)
        summary.append(f"| {label} | {web['nodes']} / {here['nodes']} | {w:.2f} | {n:.2f} | {w / n:.1f}x "
                       f"| {flat:.2f} | {w / flat:.1f}x |")
        lines += [f"#### {label}", "", "| operator | ORT Web, ms per run | onnxruntime, ms per run |", "|---|---|---|"]
        for op in sorted(set(web["ops"]) | set(here["ops"]), key=lambda o: -web["ops"].get(o, 0)):
            lines.append(f"| {op} | {web['ops'].get(op, 0):.2f} | {here['ops'].get(op, 0):.2f} |")
        lines.append(f"| all kernels | {sum(web['ops'].values()):.2f} | {sum(here['ops'].values()):.2f} |")
        lines.append("")
    return "\n".join([
        "## ONNX Runtime Web against native, per operator", "",
        f"ORT's own profiler on both sides, {RUNS} runs after {WARMUP}: ORT Web's wasm in a worker of a "
        f"cross-origin isolated page ({THREADS} threads), Python's onnxruntime on all cores. Times per "
        "prediction (batch 1) are medians from a session without profiling; the per-operator table sums the "
        "kernels' times (ms per run) from a second, profiled session, so it leaves out what runs between "
        "kernels. Native onnxruntime runs its NCHWc layout (Conv in blocks of 8 or 16 channels, "
        "ReorderInput/ReorderOutput around them), which the web build does not have.", "",
        *summary, "",
        "The CPU execution providers ORT has beside its own kernels, asked for in the same worker: "
        f"XNNPACK: {offered.get('xnnpack', 'not asked')}; "
        f"WebNN (Chromium's, CPU): {offered.get('webnn', 'not asked')}.",
        "", *lines]), figures
