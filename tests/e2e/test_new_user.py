"""What a new user runs, as they run it: relative paths, `make demo`, a page that predicts."""
from __future__ import annotations

import os
import sys

import pytest

from tests.e2e.conftest import open_page, predict_files
from tests.helpers import REPO, SEVEN, free_port, start_process, stop_process, wait_healthy

pytestmark = pytest.mark.browser


def test_serve_a_relative_bundle_path_and_predict(page, small_bundle):
    """`clientside serve small/` from the folder above it (the page's model must load)."""
    port = free_port()
    proc = start_process([sys.executable, "-m", "clientside.cli", "serve", f"{small_bundle.name}/",
                          "--port", str(port)], cwd=small_bundle.parent)
    try:
        wait_healthy(port, proc)
        open_page(page, f"http://127.0.0.1:{port}/")  # fails unless the model loaded
        assert predict_files(page, [SEVEN])[0] in list("0123456789")
        assert page.errors == []
    finally:
        log = stop_process(proc)
    assert " 500 " not in log and "Traceback" not in log, log


@pytest.mark.slow
def test_make_demo_serves_a_page_that_predicts(page, tmp_path):
    """Exactly the README's first command (with a shorter training and its own cache)."""
    port = free_port()
    env = {**os.environ, "CLIENTSIDE_CACHE_DIR": str(tmp_path / "cache")}
    proc = start_process(["make", "demo", f"PORT={port}", "DEMO_ARGS=--epochs 2"], cwd=REPO, env=env)
    try:
        wait_healthy(port, proc, timeout=600)
        open_page(page, f"http://127.0.0.1:{port}/")
        assert predict_files(page, [SEVEN]) == ["7"]
        assert page.errors == []
    finally:
        log = stop_process(proc)
    assert f"Training the MNIST demo into {tmp_path / 'cache' / 'mnist-demo'}" in log, log
    assert " 500 " not in log and "Traceback" not in log, log
