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
    rows, figures = [], {}
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
    finally:
        server.shutdown()
    return "\n".join([
        "## ONNX Runtime Web's warm start", "",
        f"The MNIST demo exported with --runtime onnx --quantize uint8, returning visits in one "
        f"browser profile; medians of {RUNS} profiles, ms. The first three columns count from the "
        "start of the runtime's load() in the worker and end where each step is done: ORT's module "
        "imported; the model's files read from IndexedDB; ORT's wasm compiled and started and the "
        "model's session created (ORT starts its wasm in its first session; starting it early, "
        "with a one-node model while the files are read, was measured and gave nothing on these "
        "two cores, where the compile takes both). Then the worker's whole load, and the page's "
        "own marks from navigation start: model ready, first prediction shown. A return is timed "
        f"back to back, or after {DWELL_MS / 1000:.0f} s on the page.", "",
        "| runtime served by | visit | import | files | wasm and session | worker ready | page ready | "
        "first prediction shown |",
        "|---|---|---|---|---|---|---|---|", *rows, ""]), figures
