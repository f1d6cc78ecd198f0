"""End to end in headless Chromium: the page loads the model, the browser predicts."""
from __future__ import annotations

import json
import shutil

import numpy as np
import pytest

from clientside import create_app
from tests.conftest import LiveServer
from tests.e2e.conftest import READY, draw_a_one, labels, open_page
from tests.helpers import SEED_TESTSET, SEVEN

pytestmark = [pytest.mark.browser, pytest.mark.gallery]

def test_upload_seven(page, live_mnist):
    open_page(page, live_mnist.url)
    assert page.evaluate("document.body.dataset.backend") == "wasm"
    details = page.text_content("#details")  # behind the toggle, for developers
    assert "TensorFlow.js" in details and "WebAssembly" in details
    page.set_input_files("#files", str(SEVEN))
    page.click("#predict")
    page.wait_for_selector(".result")
    assert labels(page) == ["7"]
    card = page.inner_text(".result")
    assert "upload-seven.png" in card and "the model ran in" in card and "%" in card
    assert len(page.query_selector_all(".result .bar")) == 3  # top 3 as bars
    assert page.errors == []
    # one prediction worker: the one boot.js started before the page's modules loaded
    assert len(page.workers) == 1 and page.evaluate("Boolean(window.clientsideBoot)")


@pytest.mark.parametrize("mode, prepare_requests", [("browser", 0), ("server", 1)])
def test_several_files_one_result_each(page, live_mnist, live_mnist_server_prepare, mode, prepare_requests):
    """Browser preprocessing (default) sends nothing; server preprocessing sends the whole
    batch in ONE request."""
    server = live_mnist if mode == "browser" else live_mnist_server_prepare
    files = sorted(SEED_TESTSET.glob("*.jpg"))[:12]
    requests = []
    page.on("request", lambda r: requests.append(r.url) if "api/prepare" in r.url else None)
    open_page(page, server.url)
    assert page.evaluate("document.body.dataset.prepare") == mode
    page.set_input_files("#files", [str(f) for f in files])
    page.click("#predict")
    page.wait_for_function("() => document.querySelectorAll('.result').length === 12")
    assert len(requests) == prepare_requests
    names = [e.get_attribute("data-file") for e in page.query_selector_all(".result")]
    assert names == [f.name for f in files]
    assert all(label in "0123456789" for label in labels(page))
    assert "batch of 12" in page.inner_text(".result")


def test_drag_and_drop(page, live_mnist):
    open_page(page, live_mnist.url)
    data = list(SEVEN.read_bytes())
    page.evaluate("""(bytes) => {
      const file = new File([new Uint8Array(bytes)], 'dropped-seven.png', {type: 'image/png'});
      const dt = new DataTransfer();
      dt.items.add(file);
      const zone = document.getElementById('drop');
      zone.dispatchEvent(new DragEvent('dragover', {dataTransfer: dt, bubbles: true, cancelable: true}));
      zone.dispatchEvent(new DragEvent('drop', {dataTransfer: dt, bubbles: true, cancelable: true}));
    }""", data)
    assert "1 file ready" in page.inner_text("#chosen")
    page.click("#predict")
    page.wait_for_selector(".result")
    assert labels(page) == ["7"]
    assert page.query_selector(".result").get_attribute("data-file") == "dropped-seven.png"


def test_draw_a_digit(page, live_mnist):
    open_page(page, live_mnist.url)
    assert page.is_disabled("#predict")  # nothing to predict yet
    draw_a_one(page)
    page.click("#predict")
    page.wait_for_selector(".result")
    assert labels(page) == ["1"]


def test_draw_with_touch(browser, live_mnist):
    context = browser.new_context(has_touch=True)
    page = context.new_page()
    try:
        open_page(page, live_mnist.url)
        # a "7", by real touch input (Chrome DevTools Protocol touch events)
        box = page.query_selector("#pad").bounding_box()
        points = [(60 + i * 8, 50) for i in range(21)] + [(220 - i * 4, 50 + i * 8) for i in range(1, 26)]
        cdp = context.new_cdp_session(page)

        def touch(kind, point):
            x, y = point
            touch_points = [] if kind == "touchEnd" else [{"x": box["x"] + x, "y": box["y"] + y}]
            cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": touch_points})

        touch("touchStart", points[0])
        for point in points[1:]:
            touch("touchMove", point)
        touch("touchEnd", points[-1])
        page.click("#predict")
        page.wait_for_selector(".result")
        assert labels(page) == ["7"]
    finally:
        context.close()


def test_corrupt_file_shows_an_error_and_the_page_still_works(page, live_mnist, tmp_path):
    bad = tmp_path / "broken.png"
    bad.write_bytes(SEVEN.read_bytes()[:2000])
    open_page(page, live_mnist.url)
    page.set_input_files("#files", str(bad))
    page.click("#predict")
    page.wait_for_selector("#error:not([hidden])")
    assert "broken.png could not be decoded" in page.inner_text("#error")
    assert labels(page) == []
    page.set_input_files("#files", str(SEVEN))
    page.click("#predict")
    page.wait_for_selector(".result")
    assert labels(page) == ["7"]
    assert page.is_hidden("#error")


def test_tensors_are_disposed(page, live_mnist):
    open_page(page, live_mnist.url)
    before = page.evaluate("window.clientside.numTensors()")
    for i in range(3):
        page.set_input_files("#files", str(SEVEN))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.result').length === {i + 1}")
    assert page.evaluate("window.clientside.numTensors()") == before


def test_article_model_url_loads_in_tfjs(page, live_mnist):
    """tf.loadLayersModel('/model') — the article's URL — finds its shards."""
    open_page(page, live_mnist.url)
    for name in ("tf-core.min.js", "tf-backend-cpu.min.js", "tf-layers.min.js"):
        page.add_script_tag(url=f"{live_mnist.url}vendor/{name}")
    shape = page.evaluate("""async () => {
      await tf.setBackend('cpu');
      const m = await tf.loadLayersModel('/model');
      const y = m.predict(tf.zeros([2, 28, 28, 1]));
      const s = y.shape; tf.dispose(y); return s;
    }""")
    assert shape == [2, 10]


def test_missing_shard_is_a_clear_error(page, mnist_bundle, tmp_path):
    broken = tmp_path / "bundle"
    shutil.copytree(mnist_bundle, broken)
    app = create_app(broken)  # valid at start-up ...
    model = json.loads((broken / "model.json").read_text())
    (broken / model["weightsManifest"][0]["paths"][0]).unlink()  # ... then a shard vanishes
    with LiveServer(app) as server:
        page.goto(server.url)
        page.wait_for_selector(READY, timeout=60_000)
        assert page.evaluate("document.body.dataset.state") == "error"
        message = page.inner_text("#error")
        assert "The model failed to load" in message and "could not be downloaded (HTTP 404)" in message


def test_a_file_chosen_while_the_model_loads_waits_for_it(context, mnist_bundle):
    """Predict stays disabled until the model is ready (it used to be enabled as soon as the
    model's description arrived, and a click then failed); the chosen file is kept."""
    import time

    app = create_app(mnist_bundle)

    def slow_model(environ, start_response):
        if environ["PATH_INFO"].startswith("/model/"):
            time.sleep(1.5)
        return app(environ, start_response)

    with LiveServer(slow_model) as server:
        page = context.new_page()
        page.goto(server.url, wait_until="commit")
        page.set_input_files("#files", str(SEVEN))
        page.wait_for_function("() => document.getElementById('chosen').textContent !== ''")
        assert page.evaluate("document.body.dataset.state") == "loading"
        assert page.is_disabled("#predict")
        page.wait_for_selector("body[data-state=ready]", timeout=60_000)
        assert page.is_enabled("#predict")
        page.click("#predict")
        page.wait_for_selector(".result")
        assert labels(page) == ["7"]


def test_an_upload_over_the_server_limit_names_the_file_and_the_limit(page, small_bundle, tmp_path):
    """Server preparation, a 40 KB limit, a 60 KB photo: the 413 says the limit in MB or KB
    and the page names the file, not a byte count."""
    from PIL import Image

    big = tmp_path / "big-photo.png"
    rng = np.random.default_rng(0)
    Image.fromarray(rng.integers(0, 255, (160, 160, 3), dtype=np.uint8)).save(big)
    assert big.stat().st_size > 60_000
    with LiveServer(create_app(small_bundle, prepare="server", max_bytes=40_000)) as server:
        open_page(page, server.url)
        page.set_input_files("#files", str(big))
        page.click("#predict")
        page.wait_for_selector("#error:not([hidden])")
        error = page.inner_text("#error")
    assert "larger than the server's limit of 39.1 KB" in error, error
    assert "big-photo.png" in error and "bytes" not in error, error


def test_the_image_input_says_what_it_wants_with_one_file_control(page, live_mnist):
    open_page(page, live_mnist.url)
    expects = page.inner_text("#expects")
    assert expects.startswith("The model sees a 28\u00d728 greyscale picture") and "cropped and centred" in expects
    assert page.inner_text(".pad figcaption").startswith("Draw here with the mouse, a pen or a finger")
    # one control to choose files: the native input is not drawn, the label's button is
    box = page.query_selector("#files").bounding_box()
    assert box["width"] <= 1 and box["height"] <= 1 and page.is_visible("#drop .button-like")
    assert page.evaluate("document.querySelectorAll('input[type=file]').length") == 1
    page.keyboard.press("Tab")  # the keyboard still reaches the file input, inside the drop zone
    for _ in range(6):
        if page.evaluate("document.activeElement.id") == "files":
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "files"
