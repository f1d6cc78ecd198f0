"""Visitor cost in headless Chromium on loopback: time from navigation to the first
prediction shown (cold and warm visits), bytes the server sent, server requests per
prediction in each preprocessing mode; and the page's own overhead per prediction."""
from __future__ import annotations

import statistics
import threading
from pathlib import Path

from clientside import create_app

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUNS = 7
OVERHEAD_RUNS = 20

# The visitor "clicks" Predict the moment the page allows it: the file is chosen while the
# page loads, and this script (run in the page before its own) clicks once the button is
# enabled. So the time measured is the page's, not the test driver's round trips.
AUTO_PREDICT = """(() => {
  let clicked = false;
  const poke = () => {
    const button = document.getElementById('predict');
    const files = document.getElementById('files');
    if (!clicked && button && !button.disabled && files && files.files.length) {
      clicked = true;
      button.click();
    }
  };
  new MutationObserver(poke).observe(document, { attributes: true, childList: true, subtree: true });
})();"""


class Meter:
    """WSGI middleware: counts requests and body bytes the server sends (as sent: the app
    compresses its scripts and wasm for clients that accept gzip or brotli)."""

    def __init__(self, app):
        self.app, self.paths, self.bytes, self.model_bytes = app, [], 0, 0

    def __call__(self, environ, start_response):
        path = environ["PATH_INFO"]
        self.paths.append(path)
        body = self.app(environ, start_response)
        try:
            for chunk in body:
                self.bytes += len(chunk)
                if path.startswith("/model"):
                    self.model_bytes += len(chunk)
                yield chunk
        finally:
            if hasattr(body, "close"):
                body.close()  # as WSGI asks: releases the files send_file opened

    def reset(self):
        self.paths, self.bytes, self.model_bytes = [], 0, 0


def serve(app):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def first_prediction(page, url, image: Path) -> tuple[float, float]:
    """(ms from navigation to model ready, ms from navigation to the first result shown),
    from the page's own performance marks."""
    page.goto(url, wait_until="commit")
    page.set_input_files("#files", str(image))
    page.wait_for_selector(".result", timeout=60_000)
    marks = page.evaluate("() => Object.fromEntries(performance.getEntriesByType('mark')"
                          ".map((m) => [m.name, m.startTime]))")
    return marks["clientside:ready"], marks["clientside:shown"]


def _median_range(values: list[float]) -> str:
    return f"{statistics.median(values):.0f} ({min(values):.0f}-{max(values):.0f})"


def visitor(bundle: Path, image: Path, browser, what: str | None = None) -> tuple[str, dict[str, float]]:
    """Returns the markdown section and, for browser preprocessing, the medians:
    cold_bytes, warm_ms, warm_model_bytes, requests_per_prediction."""
    rows, figures = [], {}
    for mode in ("browser", "server"):
        meter = Meter(create_app(bundle, prepare=mode))
        server, url = serve(meter)
        ready, shown, sent, model_sent, encodings = {}, {}, {}, {}, set()
        per_prediction = None
        for _ in range(RUNS):
            context = browser.new_context()
            context.add_init_script(AUTO_PREDICT)
            page = context.new_page()
            page.on("response", lambda r, seen=encodings: seen.add(r.headers.get("content-encoding", "identity")))
            for visit in ("cold", "warm"):
                meter.reset()
                r, s = first_prediction(page, url, image)
                ready.setdefault(visit, []).append(r)
                shown.setdefault(visit, []).append(s)
                sent.setdefault(visit, []).append(meter.bytes)
                model_sent.setdefault(visit, []).append(meter.model_bytes)
            before = len(meter.paths)
            page.set_input_files("#files", str(image))
            page.click("#predict")
            page.wait_for_function("() => document.querySelectorAll('.result').length === 2")
            per_prediction = len(meter.paths) - before
            context.close()
        server.shutdown()
        if mode == "browser":
            figures = {"cold_bytes": statistics.median(sent["cold"]), "warm_ms": statistics.median(shown["warm"]),
                       "warm_model_bytes": max(model_sent["warm"]), "requests_per_prediction": per_prediction}
        rows.append(f"| {mode} | {_median_range(ready['cold'])} | {_median_range(shown['cold'])} | "
                    f"{_median_range(ready['warm'])} | {_median_range(shown['warm'])} | "
                    f"{statistics.median(sent['cold']):,.0f} ({statistics.median(model_sent['cold']):,.0f}) | "
                    f"{statistics.median(sent['warm']):,.0f} ({max(model_sent['warm']):,.0f}) | {per_prediction} |")
    return "\n".join([
        "## Visitor (headless Chromium, loopback)", "",
        (what or f"The demo as `make demo` serves it (uint8 weights, {bundle_bytes(bundle):,} bytes).")
        + f" {RUNS} cold visits (new browser profile), each followed by a warm one (a new "
        "navigation in the same profile); medians with (min-max). The file is chosen while the "
        "page loads and Predict is pressed the moment the page enables it, so times are "
        "the page's own (from its performance marks, from navigation start). Bytes are what "
        "the server sent, as sent (response encodings seen: "
        f"{', '.join(sorted(encodings))}); the "
        "model's share in brackets.", "",
        "| preprocessing | cold: ms to model ready | cold: ms to first prediction shown | "
        "warm: ms to ready | warm: ms to first prediction shown | cold bytes (model) | "
        "warm bytes (model) | server requests per prediction after load |",
        "|---|---|---|---|---|---|---|---|", *rows, ""]), figures


def bundle_bytes(bundle: Path) -> int:
    return sum(p.stat().st_size for p in bundle.glob("*.bin"))


# Runs in the page: chooses the file and presses Predict n times, one after the other,
# timing each from the click to the result card in the page.
REPEAT_PREDICT = """async ({ bytes, name, type, n }) => {
  const file = new File([new Uint8Array(bytes)], name, { type });
  const input = document.getElementById('files');
  const button = document.getElementById('predict');
  const results = document.getElementById('results');
  const out = [];
  for (let i = 0; i < n; i += 1) {
    const chosen = new DataTransfer();
    chosen.items.add(file);
    input.files = chosen.files;
    input.dispatchEvent(new Event('change'));
    const before = results.children.length;
    const shown = new Promise((resolve) => {
      const observer = new MutationObserver(() => {
        if (results.children.length > before) { observer.disconnect(); resolve(); }
      });
      observer.observe(results, { childList: true });
    });
    const start = performance.now();
    button.click();
    await shown;
    out.push({ total: performance.now() - start, ...window.clientside.state.lastTimings });
  }
  return out;
}"""


def page_overhead(cases: list[tuple[str, Path, Path]], browser) -> tuple[str, dict[str, dict]]:
    """Per prediction in the real page (wasm): preprocessing, inference, and the rest
    (messages to and from the worker, drawing the result)."""
    rows, figures = [], {}
    for label, bundle, image in cases:
        server, url = serve(create_app(bundle))
        context = browser.new_context()
        page = context.new_page()
        page.goto(url + "?sw=off")
        page.wait_for_selector("body[data-state=ready]", timeout=120_000)
        backend = page.evaluate("() => document.body.dataset.backend")
        data = list(image.read_bytes())
        kind = "image/jpeg" if image.suffix in (".jpg", ".jpeg") else "image/png"
        runs = page.evaluate(REPEAT_PREDICT, {"bytes": data, "name": image.name, "type": kind, "n": OVERHEAD_RUNS})
        context.close()
        server.shutdown()
        runs = runs[1:]  # the first pays for compiling the preprocessing code
        total = statistics.median(r["total"] for r in runs)
        prepare = statistics.median(r["prepare"] for r in runs)
        infer = statistics.median(r["predict"] for r in runs)
        rest = statistics.median(r["total"] - r["prepare"] - r["predict"] for r in runs)
        figures[label] = {"total": total, "inference": infer, "preprocessing": prepare, "rest": rest}
        rows.append(f"| {label} ({image.name}) | {backend} | {total:.1f} | {infer:.1f} | {prepare:.1f} | "
                    f"{rest:.1f} | {(total - infer) / total:.0%} |")
    return "\n".join([
        "## The page's own overhead per prediction", "",
        f"The real page, browser preprocessing, {OVERHEAD_RUNS - 1} predictions of one image "
        "after a first one; medians in ms. Total: from the click to the result card in the "
        "page. Inference: the worker's model.predict and reading the result. Preprocessing: "
        "decoding and preparing the image in the worker. The rest: messages between page and "
        "worker, and drawing the result.", "",
        "| model (image) | backend | total | inference | preprocessing | the rest | share that is not inference |",
        "|---|---|---|---|---|---|---|", *rows, ""]), figures


def run(bundle: Path, image: Path, overhead_cases: list[tuple[str, Path, Path]],
        browser=None) -> tuple[str, dict[str, float]]:
    """Both sections; browser: a Playwright browser to use (else one is launched)."""
    if browser is None:
        from playwright.sync_api import sync_playwright

        with sync_playwright() as p:
            launched = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
            try:
                return run(bundle, image, overhead_cases, launched)
            finally:
                launched.close()
    section, figures = visitor(bundle, image, browser)
    overhead_section, figures["overhead"] = page_overhead(overhead_cases, browser)
    return section + "\n" + overhead_section, figures
