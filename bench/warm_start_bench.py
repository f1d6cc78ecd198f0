"""ONNX Runtime Web's warm start: where a returning visit's time goes before its first MNIST
prediction (ORT's module imported, the model's files read from IndexedDB, ORT's wasm compiled
and started with the model's session, the page ready, the prediction shown), with the options
the platform gives, measured in one run: the runtime served by the page's service worker
(Cache Storage, as shipped) or by the browser's HTTP cache (?sw=off); a return back to back
after the first visit, or after a dwell of DWELL_MS (V8 writes its cache of compiled wasm only
once a module has run a while: the first return compiles ORT's 14 MB wasm again, the second
finds it compiled)."""
from __future__ import annotations

import statistics
import tempfile
from pathlib import Path

from browser_bench import AUTO_PREDICT, FLAGS, first_prediction, serve

from clientside import create_app

RUNS = 5
DWELL_MS = 4000
#: option -> the query the page is opened with
OPTIONS = {"service worker (as shipped)": "", "HTTP cache (?sw=off)": "?sw=off"}
STEPS = ("import", "files", "session")


def _visits(browser, url: str, image: Path, dwell: int) -> list[dict]:
    """A cold visit and two returns in one profile: the worker's timings and the page's marks."""
    context = browser.new_context()
    context.add_init_script(AUTO_PREDICT)
    try:
        page = context.new_page()
        found = []
        for _ in range(3):
            ready, shown = first_prediction(page, url, image)
            said = page.evaluate("window.clientside.state.ready")
            found.append({**said.get("timings", {}), "worker": said["ms"], "ready": ready, "shown": shown})
            page.wait_for_timeout(dwell)
        return found
    finally:
        context.close()


#: Chrome's trace categories for V8's wasm compile and code cache.
TRACE = ["v8.wasm", "disabled-by-default-v8.wasm.detailed"]


def _traced_return(browser, url: str, image: Path, trace: Path) -> dict:
    """A second return after a dwell, traced: where ORT's wasm start goes, from V8's own
    events (the streaming compile, the code cache read, the functions compiled again because
    the cache holds only optimized code, and that compile's CPU time on background threads)."""
    import json

    context = browser.new_context()
    context.add_init_script(AUTO_PREDICT)
    try:
        page = context.new_page()
        for _ in range(2):
            first_prediction(page, url, image)
            page.wait_for_timeout(DWELL_MS)
        browser.start_tracing(page=None, path=str(trace), categories=TRACE)
        try:
            first_prediction(page, url, image)
        finally:
            browser.stop_tracing()
    finally:
        context.close()
    events = json.loads(trace.read_text())["traceEvents"]
    trace.unlink()
    threads = {(e["pid"], e["tid"]): e["args"]["name"] for e in events if e.get("name") == "thread_name"}

    def spans(name: str, on: str | None = None) -> list[dict]:
        return [e for e in events if e.get("name") == name and e.get("ph") == "X"
                and (on is None or threads.get((e["pid"], e["tid"]), "").startswith(on))]

    start = [e["ts"] for e in events if e.get("name") == "wasm.StartStreamingCompilation"]
    finish = [e["ts"] + e["dur"] for e in spans("wasm.FinishStreaming")]
    again = [e["args"].get("num_eager_functions", 0) for e in events
             if e.get("name") == "wasm.CompilationAfterDeserialization"]
    return {
        "streamed": (max(finish) - min(start)) / 1000 if start and finish else None,
        "deserialized": sum(e["dur"] for e in spans("wasm.Deserialize")) / 1000 if spans("wasm.Deserialize") else None,
        "again": sum(again),
        "background": sum(e["dur"] for name in ("wasm.BaselineCompilation", "wasm.TopTierCompilation")
                          for e in spans(name, "ThreadPool")) / 1000,
        "lazy": sum(e["dur"] for e in spans("wasm.CompileLazy", "DedicatedWorker")) / 1000,
    }


def run(bundle: Path, image: Path, browser=None) -> tuple[str, dict]:
    """bundle: the ONNX MNIST demo bundle. Returns the section and, per (option, visit), the
    medians of each step (ms from the worker's start of load(), and the page's marks)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                return run(bundle, image, launched)
            finally:
                launched.close()
    server, url = serve(create_app(bundle))
    rows, figures, traced = [], {}, []
    try:
        for option, query in OPTIONS.items():
            for dwell, visits in ((0, ("first return, back to back",)), (DWELL_MS, ("first return", "second return"))):
                runs = [_visits(browser, url + query, image, dwell) for _ in range(RUNS)]
                for index, visit in enumerate(visits, start=1):
                    medians = {k: statistics.median(r[index][k] for r in runs)
                               for k in (*STEPS, "worker", "ready", "shown")}
                    label = visit if dwell == 0 else f"{visit}, after {dwell / 1000:.0f} s on the page"
                    figures[option, label] = medians
                    rows.append(f"| {option} | {label} | " + " | ".join(f"{medians[k]:.0f}" for k in STEPS)
                                + f" | {medians['worker']:.0f} | {medians['ready']:.0f} | {medians['shown']:.0f} |")
            with tempfile.TemporaryDirectory() as tmp:
                t = _traced_return(browser, url + query, image, Path(tmp) / "trace.json")
            figures[option, "trace"] = t
            traced.append(f"| {option} | " + " | ".join("none" if t[k] is None else f"{t[k]:.0f}" for k in (
                "streamed", "deserialized")) + f" | {t['again']:,} | {t['background']:.0f} | {t['lazy']:.0f} |")
    finally:
        server.shutdown()
    return "\n".join([
        "## ONNX Runtime Web's warm start", "",
        f"The MNIST demo exported with --runtime onnx --quantize uint8, returning visits in one "
        f"browser profile; medians of {RUNS} profiles, ms. The first three columns count from the "
        "start of the runtime's load() in the worker and end where each step is done: ORT's module "
        "imported; the model's files read from IndexedDB; ORT's wasm compiled and started and the "
        "model's session created (ORT starts its wasm in its first session). Then the worker's "
        "whole load, and the page's "
        "own marks from navigation start: model ready, first prediction shown. A return is timed "
        f"back to back, or after {DWELL_MS / 1000:.0f} s on the page.", "",
        "| runtime served by | visit | import | files | wasm and session | worker ready | page ready | "
        "first prediction shown |",
        "|---|---|---|---|---|---|---|---|", *rows, "",
        "Inside the wasm start, from V8's own trace events (one more profile per option, its second return "
        f"after {DWELL_MS / 1000:.0f} s traced): the streaming compile from the first byte to the module "
        "(ms); the read of V8's cache of compiled code (ms; none: compiled anew); the functions compiled "
        "again after that read (V8 caches only optimized code: a function that ran in baseline code "
        "only, as most of what ORT runs once at its start does, is compiled again on every visit); "
        "that compile's CPU time on V8's background threads (ms, competing for the same two cores); and the "
        "worker's own lazy compiles (ms).", "",
        "| runtime served by | streaming compile | code cache read | functions compiled again | "
        "their compile, CPU ms | lazy compiles on the worker |", "|---|---|---|---|---|---|", *traced, ""]), figures
