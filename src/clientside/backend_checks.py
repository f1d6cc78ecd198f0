"""The bundle's self-check (contract/check.py) on every backend that can run it here, for
--verify: what the page's own check will find on each backend, before a visitor does.

Under Node: each backend its runtime's runner has (TF.js's wasm and cpu; ONNX Runtime Web's
wasm). In Chromium, where Playwright and a Chromium are installed: the page's backends that
Node has not (WebGPU, WebGL), each forced by ?backend= and checked by the page itself, as a
visitor's page checks it. WebAssembly and TF.js's plain JavaScript in Chromium run the same
code on the same engine (V8) as under Node, so they are not run twice.
"""
from __future__ import annotations

import json
import os
import shutil
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from . import contract
from .contract import check

#: Where to look for a Chromium when CLIENTSIDE_CHROMIUM does not say.
CHROMIUMS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")
PAGE_TIMEOUT_MS = 120_000


@dataclass
class Outcome:
    """One backend's answer to the check."""

    where: str                  # "TF.js under Node", "Chromium 156"
    backend: str
    difference: float | None = None   # over the output scale, as the page computes it
    tolerance: float | None = None
    error: str | None = None          # the backend did not start, or the run failed
    device: str = ""                  # the GPU the browser reported, for a GPU backend

    @property
    def ok(self) -> bool:
        return self.error is None and self.difference is not None and self.tolerance is not None \
            and self.difference <= self.tolerance

    def line(self) -> str:
        on = f"{self.backend}{f' ({self.device})' if self.device else ''} in {self.where}"
        if self.error is not None:
            return f"  {on}: did not run ({self.error})"
        verdict = "agrees" if self.ok else "DISAGREES (the page will not use it)"
        return f"  {on}: {verdict}, largest difference {self.difference:.2g} (tolerance {self.tolerance:g})"


def under_node(out_dir: Path) -> list[Outcome]:
    """The check on each backend of the runtime's Node runner."""
    from . import runtimes
    from .runtimes.node import NodeRunError, NodeUnavailable

    written = json.loads((Path(out_dir) / contract.BUNDLE_JSON).read_text())
    runtime = runtimes.get(written["runtime"])
    found = written["check"]
    outcomes = []
    for backend in runtime.node_backends:
        where = f"{runtime.title} under Node"
        try:
            outputs = runtime.run_under_node(Path(out_dir), check.feeds(written), backend)
        except (NodeRunError, NodeUnavailable) as exc:
            outcomes.append(Outcome(where, backend, error=str(exc).strip().splitlines()[-1][:300]))
            continue
        outcomes.append(Outcome(where, backend, check.difference(found, outputs), found["tolerance"]))
    return outcomes


def find_chromium() -> str | None:
    """CLIENTSIDE_CHROMIUM, else the first Chromium on PATH (None: the check skips the browser)."""
    given = os.environ.get("CLIENTSIDE_CHROMIUM")
    if given:
        return given if Path(given).exists() else None
    return next((path for name in CHROMIUMS if (path := shutil.which(name))), None)


@contextmanager
def _served(out_dir: Path) -> Iterator[str]:
    """The bundle served by clientside's own app on a free local port, for the time of the block."""
    from werkzeug.serving import WSGIRequestHandler, make_server

    from .server import create_app

    class Quiet(WSGIRequestHandler):
        def log(self, *args: Any) -> None:
            """--verify prints its report, not the page's requests."""

    server = make_server("127.0.0.1", 0, create_app(out_dir), threaded=True, request_handler=Quiet)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}/"
    finally:
        server.shutdown()
        thread.join()


def in_chromium(out_dir: Path) -> tuple[list[Outcome], str | None]:
    """(the check on each of the page's backends that Node has not, why it did not run: None
    when it ran). Each backend in a fresh profile, so no earlier verdict is taken from a cache.
    Run in a thread of its own: Playwright's sync API refuses a thread with a running asyncio
    loop (a Jupyter notebook's, or a caller's own Playwright)."""
    found: list[tuple[list[Outcome], str | None]] = []
    failed: list[BaseException] = []

    def work() -> None:
        try:
            found.append(_in_chromium(out_dir))
        except BaseException as exc:  # noqa: BLE001 - raised again in the caller's thread
            failed.append(exc)

    thread = threading.Thread(target=work, name="clientside-verify-chromium")
    thread.start()
    thread.join()
    if failed:
        raise failed[0]
    return found[0]


def _in_chromium(out_dir: Path) -> tuple[list[Outcome], str | None]:
    from . import runtimes

    written = json.loads((Path(out_dir) / contract.BUNDLE_JSON).read_text())
    runtime = runtimes.get(written["runtime"])
    wanted = [b for b in runtime.page_backends if b not in runtime.node_backends]
    if not wanted:
        return [], None
    executable = find_chromium()
    if executable is None:
        return [], "no Chromium found (install one, or set CLIENTSIDE_CHROMIUM)"
    try:
        from playwright.sync_api import Error as PlaywrightError
        from playwright.sync_api import sync_playwright
    except ImportError:
        return [], "Playwright is not installed (pip install playwright)"
    flags = ["--headless", "--enable-unsafe-webgpu"] + (["--no-sandbox"] if os.geteuid() == 0 else [])
    outcomes = []
    with _served(Path(out_dir)) as url, sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path=executable, args=flags)
        except PlaywrightError as exc:
            return [], f"{executable} did not start: {str(exc).splitlines()[0]}"
        where = f"Chromium {browser.version.split('.')[0]}"
        try:
            for backend in wanted:
                outcomes.append(_page_check(browser, url, backend, where, written["check"]["tolerance"]))
        finally:
            browser.close()
    return outcomes, None


def _page_check(browser: Any, url: str, backend: str, where: str, tolerance: float) -> Outcome:
    """The page's own self-check on one backend, forced by ?backend=."""
    from playwright.sync_api import Error as PlaywrightError

    context = browser.new_context()
    try:
        page = context.new_page()
        page.goto(f"{url}?sw=off&backend={backend}")
        page.wait_for_selector("body[data-state=ready], body[data-state=error]", timeout=PAGE_TIMEOUT_MS)
        if page.evaluate("document.body.dataset.state") == "error":
            return Outcome(where, backend, error=page.inner_text("#error").strip()[:300])
        ready = page.evaluate("window.clientside.state.ready")
    except PlaywrightError as exc:
        return Outcome(where, backend, error=str(exc).splitlines()[0][:300])
    finally:
        context.close()
    device = (ready.get("devices") or {}).get("webgpu" if backend == "webgpu" else "webgl") or {}
    said = f"{device.get('name', '')}{', software' if device.get('software') else ''}" if device else ""
    found = ready.get("check") or {}
    if "difference" not in found:
        return Outcome(where, backend, error="the page ran no check", device=said)
    return Outcome(where, backend, float(found["difference"]), tolerance, device=said)


def report(out_dir: Path) -> tuple[list[str], bool]:
    """(the lines --verify prints, whether some backend agrees): nothing when the bundle
    carries no check."""
    written = json.loads((Path(out_dir) / contract.BUNDLE_JSON).read_text())
    if "check" not in written:
        return [], True
    node = under_node(Path(out_dir))
    browser, skipped = in_chromium(Path(out_dir))
    lines = [f"self-check on each backend (the check the page runs; tolerance {written['check']['tolerance']:g}):",
             *(o.line() for o in node + browser)]
    if skipped:
        lines.append(f"  the page's GPU backends were not checked: {skipped}")
    outcomes = node + browser
    return lines, any(o.ok for o in outcomes) or not outcomes
