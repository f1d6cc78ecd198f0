"""Threads on a host that sets no headers: a static build made with --isolate-sw, served by
`python -m http.server` (which sends no COOP/COEP), becomes cross-origin isolated through its
own service worker after one reload, and ONNX Runtime runs 2 threads on these 2 cores; the
same build without the flag stays on 1 thread and the page says why."""
from __future__ import annotations

import subprocess
import sys
import time
import urllib.request

import numpy as np
import pytest

from clientside import export as export_any
from clientside.deploy.static_site import build
from tests.e2e.conftest import READY
from tests.helpers import free_port

pytestmark = pytest.mark.browser


class HttpServer:
    """`python -m http.server` on a folder: a host that sends no header of ours."""

    def __init__(self, folder):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc = subprocess.Popen([sys.executable, "-m", "http.server", str(self.port), "--bind", "127.0.0.1",
                                      "--directory", str(folder)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)

    def __enter__(self):
        deadline = time.monotonic() + 20
        while True:
            try:
                with urllib.request.urlopen(self.url, timeout=2) as r:
                    assert "Cross-Origin-Embedder-Policy" not in r.headers
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def __exit__(self, *exc):
        self.proc.terminate()
        self.proc.wait(10)


@pytest.fixture(scope="module")
def iris_bundle(tmp_path_factory):
    """A scikit-learn model: it runs in ONNX Runtime Web, whose threads the page counts."""
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(x, y)
    return export_any(model, tmp_path_factory.mktemp("iris") / "iris", sample=x[:20].astype(np.float32),
                      say=lambda _: None)


def runs_on(page) -> str:
    return page.evaluate("window.clientside.state.loadDetails[0][1]")


def test_the_service_worker_isolates_a_page_on_a_plain_host(page, iris_bundle, tmp_path):
    site = build([iris_bundle], tmp_path / "site", isolate_sw=True)
    reloads = []
    page.on("framenavigated", lambda frame: reloads.append(frame.url) if frame == page.main_frame else None)
    with HttpServer(site) as server:
        page.goto(server.url)
        page.wait_for_selector(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.state") == "ready", page.inner_text("#error")
        assert page.evaluate("self.crossOriginIsolated") is True
        assert runs_on(page).endswith("on WebAssembly, 2 threads"), runs_on(page)
        assert len(reloads) == 2  # the first visit, and the one reload once the worker controls the page
        page.reload()  # a returning visit: isolated at once, no second reload
        page.wait_for_selector("body[data-state=ready]", timeout=60_000)
        assert page.evaluate("self.crossOriginIsolated") is True and len(reloads) == 3
    assert page.errors == []


def test_without_the_flag_the_page_says_why_it_runs_one_thread(page, iris_bundle, tmp_path):
    site = build([iris_bundle], tmp_path / "site")
    with HttpServer(site) as server:
        page.goto(server.url)
        page.wait_for_selector(READY, timeout=60_000)
        assert page.evaluate("self.crossOriginIsolated") is False
        assert "1 thread (2 could run on a cross-origin isolated page" in runs_on(page)
        assert "--isolate-sw where the host sets no headers" in runs_on(page)


def test_tfjs_on_an_isolated_page_keeps_its_own_rule(page, small_bundle, tmp_path):
    """TF.js runs half the cores: 1 here, isolated or not, so the page promises no more."""
    site = build([small_bundle], tmp_path / "site", isolate_sw=True)
    with HttpServer(site) as server:
        page.goto(server.url)
        page.wait_for_selector(READY, timeout=60_000)
        assert page.evaluate("self.crossOriginIsolated") is True
        assert runs_on(page).endswith("on WebAssembly, 1 thread"), runs_on(page)
    assert page.errors == []
