"""Zero server work per prediction: browser preprocessing, model cache, worker, offline."""
from __future__ import annotations

import re
import shutil

import pytest

from clientside import create_app, load_bundle
from tests.conftest import LiveServer
from tests.e2e.conftest import Switch, labels, open_page, predict_files
from tests.helpers import SEED_TESTSET, SEVEN
from tests.helpers import export_tfjs as export

pytestmark = pytest.mark.browser

# The keys of the page's model cache (runtimes/model-files.js): <bundle name>/<content hash>.
STORED_MODELS = """() => new Promise((resolve, reject) => {
  const open = indexedDB.open('clientside-models');
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    if (!db.objectStoreNames.contains('files')) { resolve([]); return; }
    const req = db.transaction('files').objectStore('files').getAllKeys();
    req.onsuccess = () => resolve(req.result.sort());
  };
})"""


def test_prediction_without_the_prepare_route(context, live_mnist):
    page = context.new_page()
    hits = []
    page.route("**/api/prepare", lambda route: (hits.append(route.request.url), route.abort()))
    open_page(page, live_mnist.url)
    assert predict_files(page, [SEVEN]) == ["7"]
    assert hits == []


def test_reload_fetches_no_shard_and_predicts_the_same(context, mnist_bundle):
    switch = Switch(create_app(mnist_bundle))
    with LiveServer(switch) as server:
        page = context.new_page()
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.modelSource") == "network"
        first = predict_files(page, sorted(SEED_TESTSET.glob("*.jpg"))[:8])
        assert len(switch.shard_requests()) == 1
        assert not any("api/prepare" in p for p in switch.paths)  # zero server work per prediction
        switch.paths.clear()
        page.reload()
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.modelSource") == "cache"
        assert predict_files(page, sorted(SEED_TESTSET.glob("*.jpg"))[:8]) == first
        assert switch.shard_requests() == [] and not any("model" in p for p in switch.paths
                                                         if p != "/api/model")


def test_a_new_model_version_replaces_the_cached_one(context, mnist_bundle, keras_mnist, tmp_path):
    v2 = export(keras_mnist, tmp_path / "mnist", labels=[str(d) for d in range(10)],
                preprocess="mnist", quantize="float16")  # same name, other content hash
    v1 = tmp_path / "v1" / "mnist"
    shutil.copytree(mnist_bundle, v1)
    switch = Switch(create_app(v1))
    with LiveServer(switch) as server:
        page = context.new_page()
        open_page(page, server.url)
        old = page.evaluate(STORED_MODELS)
        assert old == [f"mnist/{load_bundle(v1).content_hash}"]
        switch.app = create_app(v2)  # a new deployment at the same origin
        switch.paths.clear()
        page.reload()
        open_page(page, server.url)
        assert page.evaluate("document.body.dataset.modelSource") == "network"
        assert len(switch.shard_requests()) == 1, switch.paths
        new = page.evaluate(STORED_MODELS)
        assert len(new) == 1 and new != old  # the old version is gone
        assert predict_files(page, [SEVEN]) == ["7"]


@pytest.mark.parametrize("how, words", [
    ("truncated", "bytes, expected"),
    ("404", "could not be downloaded (HTTP 404)"),
])
def test_bad_shard_is_a_clear_error(context, live_mnist, how, words):
    page = context.new_page()

    def serve_bad(route):
        if how == "404":
            route.fulfill(status=404, body="<html>not found</html>", content_type="text/html")
        else:
            response = route.fetch()
            route.fulfill(response=response, body=response.body()[:1000])

    page.route("**/*.bin", serve_bad)
    open_page(page, live_mnist.url, expect="error")
    message = page.inner_text("#error")
    assert "The model failed to load" in message and words in message


def test_300_images_page_stays_responsive(context, live_mnist):
    files = [*sorted(SEED_TESTSET.glob("*.jpg"))[:299], SEVEN]
    assert len(files) == 300
    page = context.new_page()
    open_page(page, live_mnist.url)
    page.evaluate("""() => {
      window.ticks = [];
      window.ticker = setInterval(() => window.ticks.push(performance.now()), 20);
    }""")
    page.set_input_files("#files", [str(f) for f in files])
    started = page.evaluate("performance.now()")
    page.click("#predict")
    page.wait_for_function("() => document.querySelectorAll('.result').length === 300", timeout=180_000)
    gaps = page.evaluate(f"""() => {{
      clearInterval(window.ticker);
      const t = window.ticks.filter((x) => x >= {started});
      return t.slice(1).map((x, i) => x - t[i]);
    }}""")
    # The batch takes seconds; the main thread kept running its timer all along (a frozen
    # page would show one gap as long as the whole batch). Measured against the batch's own
    # length, not a clock limit: a loaded machine slows both.
    assert len(gaps) > 20
    assert max(gaps) < sum(gaps) / 2, (max(gaps), sum(gaps))
    assert all(label in "0123456789" for label in labels(page))


def test_offline_after_one_visit(context, mnist_bundle):
    """The service worker keeps what this page needs (its kinds' modules, not the others':
    an image page never fetches the audio, text or table code), and the page works offline."""
    server = LiveServer(create_app(mnist_bundle))
    fetched: list[str] = []
    context.on("request", lambda r: fetched.append(r.url))  # the page's, its worker's and its service worker's
    with server:
        page = context.new_page()
        open_page(page, server.url)
        assert page.evaluate("navigator.serviceWorker.ready.then(() => true)")  # shell cached
        assert predict_files(page, [SEVEN]) == ["7"]
    assert {"inputs/image.js", "steps/image.js"} <= {u.split("/static/")[-1] for u in fetched}
    others = [u for u in fetched if re.search(r"/(inputs|steps|outputs)/(audio|text|table|timeline|spans)|tokenizer|"
                                              r"fourier|papaparse", u)]
    assert others == []
    # the server is stopped now
    page.reload()
    open_page(page, server.url)
    assert page.evaluate("document.body.dataset.modelSource") == "cache"
    assert predict_files(page, [SEVEN]) == ["7"]


def test_isolated_page_uses_wasm_threads_and_plain_page_still_works(context, mnist_bundle):
    switch = Switch(create_app(mnist_bundle, isolate=True))
    with LiveServer(switch) as server:
        page = context.new_page()
        open_page(page, server.url)
        assert page.evaluate("crossOriginIsolated") is True
        assert page.evaluate("document.body.dataset.backend") == "wasm"
        assert any(p.endswith("/vendor/tfjs-backend-wasm-threaded-simd.wasm") for p in switch.paths)
        assert predict_files(page, [SEVEN]) == ["7"]


@pytest.mark.parametrize("backend", ["cpu", "webgl"])
def test_fallback_backends_predict_the_same(context, live_mnist, backend):
    page = context.new_page()
    open_page(page, f"{live_mnist.url}?backend={backend}&sw=off")
    assert page.evaluate("document.body.dataset.backend") == backend
    assert predict_files(page, [SEVEN]) == ["7"]


def test_two_models_in_one_server_each_page_uses_its_own(context, mnist_bundle, keras_mnist, tmp_path):
    words = ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]
    other = export(keras_mnist, tmp_path / "words", labels=words, preprocess="mnist", quantize="uint8")
    with LiveServer(create_app([mnist_bundle, other])) as server:
        page = context.new_page()
        page.goto(server.url)
        # the index names each by its title: the demo's own, and the Keras model's name for the other
        assert page.inner_text("a[href='models/mnist/']") == "Handwritten digits"
        assert page.inner_text("a[href='models/words/']") == "Mnist cnn"
        open_page(page, f"{server.url}models/mnist/")
        assert predict_files(page, [SEVEN]) == ["7"]
        open_page(page, f"{server.url}models/words/")
        assert predict_files(page, [SEVEN]) == ["seven"]


# Earlier versions kept a TF.js model in TF.js's own database (tf.io.browserIndexedDB), under
# clientside/<name>/<hash>: a page of this version forgets those copies, and only those.
SEED_LEGACY_COPIES = """(name) => new Promise((resolve, reject) => {
  const open = indexedDB.open('tensorflowjs', 1);
  open.onupgradeneeded = () => {
    for (const store of ['models_store', 'model_info_store']) {
      open.result.createObjectStore(store, { keyPath: 'modelPath' });
    }
  };
  open.onerror = () => reject(open.error);
  open.onsuccess = () => {
    const db = open.result;
    const tx = db.transaction(['models_store', 'model_info_store'], 'readwrite');
    for (const store of ['models_store', 'model_info_store']) {
      for (const modelPath of [`clientside/${name}/0123456789abcdef`, 'another-app/model']) {
        tx.objectStore(store).put({ modelPath });
      }
    }
    tx.oncomplete = () => { db.close(); resolve(); };
    tx.onerror = () => reject(tx.error);
  };
})"""
LEGACY_KEYS = """() => new Promise((resolve) => {
  const open = indexedDB.open('tensorflowjs', 1);
  open.onsuccess = () => {
    const db = open.result;
    const keys = (store) => new Promise((done) => {
      const req = db.transaction(store).objectStore(store).getAllKeys();
      req.onsuccess = () => done(req.result.sort());
    });
    Promise.all([keys('models_store'), keys('model_info_store')]).then((all) => { db.close(); resolve(all); });
  };
})"""


def test_copies_cached_by_an_earlier_version_are_forgotten(context, live_mnist, mnist_bundle):
    import time

    page = context.new_page()
    page.goto(f"{live_mnist.url}healthz")  # the app's origin, before the page ever ran
    page.evaluate(SEED_LEGACY_COPIES, "mnist")
    open_page(page, live_mnist.url)
    assert page.evaluate("document.body.dataset.modelSource") == "network"
    deadline = time.monotonic() + 10
    while page.evaluate(LEGACY_KEYS) != [["another-app/model"]] * 2 and time.monotonic() < deadline:
        time.sleep(0.2)
    assert page.evaluate(LEGACY_KEYS) == [["another-app/model"]] * 2
    assert page.evaluate(STORED_MODELS) == [f"mnist/{load_bundle(mnist_bundle).content_hash}"]
    assert predict_files(page, [SEVEN]) == ["7"]
