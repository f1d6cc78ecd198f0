"""Visitor cost in headless Chromium on loopback: time from navigation to the first
prediction shown (cold and warm visits), bytes the server sent, and server requests per
prediction in each preprocessing mode."""
from __future__ import annotations

import statistics
import threading
from pathlib import Path

from clientside import create_app

FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
RUNS = 5


class Meter:
    """WSGI middleware: counts requests and body bytes the server sends (no compression)."""

    def __init__(self, app):
        self.app, self.paths, self.bytes = app, [], 0

    def __call__(self, environ, start_response):
        self.paths.append(environ["PATH_INFO"])
        for chunk in self.app(environ, start_response):
            self.bytes += len(chunk)
            yield chunk

    def reset(self):
        self.paths, self.bytes = [], 0


def serve(app):
    from werkzeug.serving import WSGIRequestHandler, make_server

    class Quiet(WSGIRequestHandler):
        def log_request(self, *args, **kwargs):
            pass

    server = make_server("127.0.0.1", 0, app, threaded=True, request_handler=Quiet)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_port}/"


def first_prediction(page, url, image: Path) -> float:
    page.goto(url)
    page.wait_for_selector("body[data-state=ready]", timeout=60_000)
    page.set_input_files("#files", str(image))
    page.click("#predict")
    page.wait_for_selector(".result")
    return page.evaluate("performance.now()")  # ms since navigation started


def run(bundle: Path, image: Path) -> tuple[str, dict[str, float]]:
    """Returns the markdown section and, for browser preprocessing, the medians:
    cold_bytes, warm_ms, requests_per_prediction."""
    from playwright.sync_api import sync_playwright

    rows, figures = [], {}
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=FLAGS)
        for mode in ("browser", "server"):
            meter = Meter(create_app(bundle, prepare=mode))
            server, url = serve(meter)
            cold, warm, cold_bytes, warm_bytes = [], [], [], []
            per_prediction = None
            for _ in range(RUNS):
                context = browser.new_context()
                page = context.new_page()
                meter.reset()
                cold.append(first_prediction(page, url, image))
                cold_bytes.append(meter.bytes)
                meter.reset()
                warm.append(first_prediction(page, url, image))
                warm_bytes.append(meter.bytes)
                before = len(meter.paths)
                page.set_input_files("#files", str(image))
                page.click("#predict")
                page.wait_for_function("() => document.querySelectorAll('.result').length === 2")
                per_prediction = len(meter.paths) - before
                context.close()
            server.shutdown()
            if mode == "browser":
                figures = {"cold_bytes": statistics.median(cold_bytes), "warm_ms": statistics.median(warm),
                           "requests_per_prediction": per_prediction}
            rows.append(f"| {mode} | {statistics.median(cold):.0f} ({min(cold):.0f}-{max(cold):.0f}) | "
                        f"{statistics.median(warm):.0f} ({min(warm):.0f}-{max(warm):.0f}) | "
                        f"{statistics.median(cold_bytes):,.0f} | {statistics.median(warm_bytes):,.0f} | "
                        f"{per_prediction} |")
        browser.close()
    return "\n".join([
        "## Visitor (headless Chromium, loopback)", "",
        f"One upload of upload-seven.png per visit; {RUNS} cold visits (new browser profile) and the "
        "warm visit (reload) after each; medians with (min-max). Bytes are what the server sent "
        "(bodies, uncompressed: the development server does not compress). The MNIST model "
        "here is float32 (1.7 MB); see the Export table for smaller variants.", "",
        "| preprocessing | cold: ms to first prediction | warm: ms to first prediction | "
        "cold bytes | warm bytes | server requests per prediction after load |",
        "|---|---|---|---|---|---|", *rows, ""]), figures
