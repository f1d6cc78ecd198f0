"""One model per input and output kind, built in the test, exported, served, and used through
the page in Chromium as a visitor would: the page's numbers must equal Keras's for the same
input (prepared by Python's steps, or, for text, by Keras itself: keras_golden.json).

Every test runs once per browser runtime (the `runtime` fixture's parameters): the same page,
worker and contract must give the same numbers whichever runtime runs the model. A new runtime
is one more parameter. Every runtime that writes a model from Keras is one; tfjs-graph serves
graph models as they come (nothing here writes one): tests/e2e/test_graph_model_page.py runs
the converter's own files through the same page."""
from __future__ import annotations

import contextlib
import csv
import io
import json
from pathlib import Path

import keras
import numpy as np
import pytest
from PIL import Image

import clientside
from clientside import create_app
from clientside.runtimes import RUNTIMES
from clientside.steps import image as image_steps
from clientside.steps import table as table_steps
from tests.conftest import LiveServer
from tests.e2e.conftest import check_page
from tests.e2e.conftest import open_page as open_any_page
from tests.helpers import export_tfjs
from tests.runtimes.tfjs.parity import randomize
from tests.steps.test_text import CORPUS, GOLDEN, tokenizer_steps, vectorization_steps

pytestmark = [pytest.mark.browser, pytest.mark.gallery]

TABLE_STEPS = [
    {"op": "standardize", "feature": "age", "mean": 40.0, "std": 12.5},
    {"op": "min_max", "feature": "income", "min": 0.0, "max": 200000.0},
    {"op": "one_hot", "feature": "colour", "categories": ["red", "green", "blue"]},
    {"op": "pass", "feature": "score"},
]
TABLE_FEATURES = [{"name": "age", "min": 18, "max": 99, "step": 1, "unit": "years"},
                  {"name": "income", "min": 0, "step": 100, "unit": "EUR"}]


#: What the page says it runs on, per runtime (document.body.dataset.backend starts so).
BACKENDS = {"tfjs": ("wasm", "webgl", "cpu"), "onnx": ("wasm",)}
#: url -> the runtime its bundle was exported for, checked when a test opens the page.
SERVED: dict[str, str] = {}


#: The runtimes a Keras model is written for.
WRITTEN = [name for name in RUNTIMES if name != "tfjs-graph"]


@pytest.fixture(scope="module", params=WRITTEN)
def runtime(request):
    return request.param


@pytest.fixture(scope="module")
def serve(tmp_path_factory, runtime):
    """serve(model, name, **export_options) -> (url, bundle folder): exported for `runtime`
    (refused if that runtime cannot run it exactly) and served."""
    with contextlib.ExitStack() as stack:
        def run(model, name, **options):
            folder = clientside.export(model, tmp_path_factory.mktemp(name) / name, runtime=runtime,
                                       say=lambda _: None, **options)
            assert json.loads((folder / "clientside.json").read_text())["runtime"] == runtime
            server = stack.enter_context(LiveServer(create_app(folder)))
            SERVED[server.url] = runtime
            return server.url, folder
        yield run


@pytest.fixture(scope="module")
def serve_folder():
    """serve_folder(folder) -> url: a folder as it is (a model from another tool)."""
    with contextlib.ExitStack() as stack:
        yield lambda folder: stack.enter_context(LiveServer(create_app(folder))).url


def open_page(page, url, expect="ready"):
    """The page, ready; the backend it says it runs on belongs to the bundle's runtime."""
    open_any_page(page, url, expect)
    runtime = SERVED.get(url.split("?")[0])
    if runtime is not None:
        backend = page.evaluate("() => document.body.dataset.backend || ''")
        assert backend.startswith(BACKENDS[runtime]), (runtime, backend)
        assert page.evaluate("document.body.dataset.runtime") == runtime
    return page


def last_outputs(page) -> dict[str, np.ndarray]:
    raw = page.evaluate("""() => Object.fromEntries(Object.entries(window.clientside.state.last.outputs)
        .map(([k, v]) => [k, {data: Array.from(v.data), shape: v.shape}]))""")
    return {k: np.asarray(v["data"], np.float64).reshape(v["shape"]) for k, v in raw.items()}


def only_output(page) -> np.ndarray:
    (value,) = last_outputs(page).values()
    return value


def click_predict(page, selector=".result"):
    before = len(page.query_selector_all(selector))
    page.click("#predict")
    page.wait_for_function(f"() => document.querySelectorAll('{selector}').length > {before} "
                           "|| !document.getElementById('error').hidden", timeout=60_000)
    assert page.is_hidden("#error"), page.inner_text("#error")


def png(array: np.ndarray, path) -> None:
    Image.fromarray(array.astype(np.uint8)).save(path)
    return path


def keras_predict(model, *xs):
    out = model.predict(list(xs) if len(xs) > 1 else xs[0], verbose=0)
    return out if isinstance(out, list) else [out]


def test_rgb_classifier_with_colour_thumbnails(page, serve, tmp_path):
    keras.utils.set_random_seed(3)
    model = randomize(keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(6, 3, activation="relu"),
                                        keras.layers.GlobalAveragePooling2D(),
                                        keras.layers.Dense(4, activation="softmax")]))
    steps = [{"op": "flatten_alpha"}, {"op": "resize", "size": [32, 32]}, {"op": "normalize", "scale": 1 / 255}]
    url, _ = serve(model, "rgb", labels=["red", "green", "blue", "grey"], meta={"inputs": [{"steps": steps}]})
    rng = np.random.default_rng(0)
    files = []
    for i, colour in enumerate([(220, 30, 30), (30, 200, 60), (40, 40, 230)]):
        picture = np.zeros((48, 60, 3)) + colour + rng.integers(0, 30, (48, 60, 3))
        files.append(png(picture, tmp_path / f"colour-{i}.png"))
    open_page(page, url)
    page.set_input_files("#files", [str(f) for f in files])
    click_predict(page)
    got = only_output(page)
    x = np.stack([image_steps.prepare_image(f.read_bytes(), steps) for f in files])
    np.testing.assert_allclose(got, keras_predict(model, x)[0], atol=1e-5)
    # what the model saw, drawn in colour: the red picture's thumbnail is red
    pixel = page.evaluate("""() => { const c = document.querySelectorAll('.result canvas.seen')[0];
        return Array.from(c.getContext('2d').getImageData(16, 16, 1, 1).data); }""")
    assert pixel[0] > 150 and pixel[1] < 100 and pixel[2] < 100
    assert page.query_selector("#pad") is None  # the draw pad only where the contract asks for it
    # paste from the clipboard: the green picture, as a browser hands a copied image to the page
    page.evaluate("""async (bytes) => {
        const file = new File([new Uint8Array(bytes)], 'image.png', { type: 'image/png' });
        const data = new DataTransfer();
        data.items.add(file);
        document.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, bubbles: true }));
    }""", list(files[1].read_bytes()))
    assert "1 file pasted" in page.inner_text("#chosen")
    click_predict(page)
    np.testing.assert_allclose(only_output(page), keras_predict(model, x[1:2])[0], atol=1e-5)
    assert page.get_attribute(".result", "data-file") == "pasted-1.png"
    assert page.errors == []


def text_model(vocabulary_size: int, length: int, mask_zero: bool):
    keras.utils.set_random_seed(4)
    return randomize(keras.Sequential([
        keras.Input((length,), dtype="int32"),
        keras.layers.Embedding(vocabulary_size, 8, mask_zero=mask_zero),
        keras.layers.LSTM(8),
        keras.layers.Dense(3, activation="softmax"),
    ]))


LINES = [3, 10, 11, 25, 40, 77]  # corpus lines: punctuation runs, non-ASCII, emoji, odd spaces


@pytest.mark.parametrize("style", ["text_vectorization", "tokenizer"])
def test_text_classifier(page, serve, style):
    golden = GOLDEN[style]
    if style == "text_vectorization":
        model = text_model(len(golden["vocabulary"]), golden["output_sequence_length"], mask_zero=True)
        steps = vectorization_steps()
    else:
        model = text_model(golden["num_words"], golden["maxlen"], mask_zero=False)
        steps = tokenizer_steps()
    url, _ = serve(model, style, labels=["negative", "neutral", "positive"],
                   meta={"inputs": [{"kind": "text", "multiline": True, "steps": steps}]})
    lines = [CORPUS[i] for i in LINES if CORPUS[i].strip() and "\n" not in CORPUS[i] and "\r" not in CORPUS[i]]
    open_page(page, url)
    page.fill("#text", "\n".join(lines))
    click_predict(page)
    assert len(page.query_selector_all(".result")) == len(lines)
    ids = np.asarray([golden["ids"][CORPUS.index(line)] for line in lines], np.int32)  # Keras's own ids
    np.testing.assert_allclose(only_output(page), keras_predict(model, ids)[0], atol=1e-5)
    feeds = page.evaluate("() => Array.from(window.clientside.state.last.feeds[Object.keys("
                          "window.clientside.state.last.feeds)[0]].data)")
    assert feeds == ids.ravel().tolist()


def test_a_long_text_is_said_truncated_and_shown_short(page, serve):
    """A 205-word line for a model of 12 tokens says which words were used; a 1 MB line
    leaves a page of normal height, its whole text a click away."""
    golden = GOLDEN["text_vectorization"]
    length = golden["output_sequence_length"]
    model = text_model(len(golden["vocabulary"]), length, mask_zero=True)
    url, _ = serve(model, "long_text", labels=["negative", "neutral", "positive"],
                   meta={"inputs": [{"kind": "text", "multiline": True, "steps": vectorization_steps()}]})
    words = " ".join(f"word{i}" for i in range(205))
    huge = "lorem ipsum " * 90_000
    open_page(page, url)
    page.fill("#text", f"{words}\n{huge}\nshort one")
    click_predict(page)
    cards = page.query_selector_all(".result")
    assert len(cards) == 3
    notes = page.eval_on_selector_all(".result", "cs => cs.map(c => c.querySelector('[data-testid=truncated]')"
                                      "?.textContent ?? null)")
    assert notes[0] == f"Only the first {length} of its 205 words were used: the model reads {length} at most."
    assert notes[1].startswith(f"Only the first {length} of its 180,000 words")
    assert notes[2] is None
    assert page.evaluate("document.documentElement.scrollHeight") < 4000
    page.click(".result:nth-child(2) details.text-item summary")
    # The whole text is put in on the details' toggle event, which the browser fires after the
    # click returns: wait for it, then compare.
    shown = ("document.querySelector('.result:nth-child(2) details.text-item blockquote')"
             ".textContent.length")
    for _ in range(100):  # the page's CSP forbids wait_for_function's eval
        if page.evaluate(shown):
            break
        page.wait_for_timeout(100)
    assert page.evaluate(shown) == len(huge)
    # closed again for the gallery: laying out 1 MB of text at each of its widths took 25 s
    page.click(".result:nth-child(2) details.text-item summary")
    assert not page.evaluate("document.querySelector('.result:nth-child(2) details.text-item').open")
    assert page.errors == []


def table_model():
    keras.utils.set_random_seed(5)
    return randomize(keras.Sequential([keras.Input((6,)), keras.layers.Dense(8, activation="relu"),
                                       keras.layers.Dense(3, activation="softmax")]))


def table_rows(n: int, seed: int = 0) -> list[dict[str, str]]:
    rng = np.random.default_rng(seed)
    return [{"id": str(i), "age": str(int(rng.integers(18, 90))), "income": f"{rng.uniform(0, 150000):.2f}",
             "colour": str(rng.choice(["red", "green", "blue"])), "score": f"{rng.normal():.4f}"}
            for i in range(n)]


def write_csv(rows: list[dict[str, str]], path) -> None:
    with open(path, "w", newline="") as f:
        writer = csv.DictWriter(f, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    return path


@pytest.fixture(scope="module")
def table_page(serve):
    model = table_model()
    url, _ = serve(model, "table", labels=["low", "mid", "high"],
                   meta={"inputs": [{"kind": "table", "steps": TABLE_STEPS, "features": TABLE_FEATURES}]})
    return model, url


def test_table_classifier_from_the_form(page, table_page):
    model, url = table_page
    open_page(page, url)
    assert page.get_attribute("#field-0-0", "min") == "18"  # the form follows the declared features
    assert page.inner_text("label[for=field-0-1]") == "income (EUR)"
    page.fill("#field-0-0", "35")
    page.fill("#field-0-1", "52000")
    page.select_option("#field-0-2", "blue")
    page.fill("#field-0-3", "-0.25")
    click_predict(page)
    row = {"age": "35", "income": "52000", "colour": "blue", "score": "-0.25"}
    x = table_steps.prepare({"name": "t", "steps": TABLE_STEPS}, [row])
    want = keras_predict(model, x)[0]
    np.testing.assert_allclose(only_output(page), want, atol=1e-6)
    assert page.inner_text(".result .label") == ["low", "mid", "high"][int(want.argmax())]


def test_table_classifier_from_a_csv_of_200_rows(page, table_page, tmp_path):
    model, url = table_page
    rows = table_rows(200)
    open_page(page, url)
    page.set_input_files("#csv", str(write_csv(rows, tmp_path / "people.csv")))
    click_predict(page, ".results-table tr")
    assert len(page.query_selector_all(".results-table tr")) == 201
    x = table_steps.prepare({"name": "t", "steps": TABLE_STEPS}, rows)
    want = keras_predict(model, x)[0]
    np.testing.assert_allclose(only_output(page), want, atol=1e-6)
    with page.expect_download() as download:
        page.click("#download-csv")  # as a visitor saves it
    assert download.value.suggested_filename == "people-predictions.csv"
    text = Path(download.value.path()).read_text(encoding="utf-8")
    table = list(csv.DictReader(io.StringIO(text)))
    assert len(table) == 200 and [r["id"] for r in table] == [r["id"] for r in rows]
    # the predictions first, labelled by the output's kind; numbers as numbers, every class
    classes = ["low", "mid", "high"]
    per_class = [f"probability of {c}" for c in classes]
    assert next(csv.reader(io.StringIO(text))) == ["predicted class", "probability", *per_class, *rows[0].keys()]
    assert [r["predicted class"] for r in table] == [classes[k] for k in want.argmax(axis=1)]
    got = np.asarray([[float(r[f"probability of {c}"]) for c in classes] for r in table])
    np.testing.assert_allclose(got, want, atol=1e-6)
    np.testing.assert_allclose([float(r["probability"]) for r in table], want.max(axis=1), atol=1e-6)
    assert "%" not in text
    # and the page's table shows them first, in words and percentages
    headers = page.eval_on_selector_all(".results-table th", "ths => ths.map(t => t.textContent)")
    assert headers[:2] == ["predicted class", "probability"]
    first = page.eval_on_selector_all(".results-table tr:nth-child(2) td", "tds => tds.map(t => t.textContent)")
    assert first[0] == classes[int(want[0].argmax())] and first[1].endswith("%")


def test_table_prepared_by_the_server(page, serve, tmp_path):
    """--prepare server: the page posts the rows as JSON, once, and predicts the same."""
    model = table_model()
    url, _ = serve(model, "served", labels=["low", "mid", "high"],
                   meta={"inputs": [{"kind": "table", "steps": TABLE_STEPS}], "prepare": "server"})
    rows = table_rows(12, seed=4)
    posts = []
    page.on("request", lambda r: posts.append(r.post_data_json) if r.url.endswith("api/prepare") else None)
    open_page(page, url)
    assert page.evaluate("document.body.dataset.prepare") == "server"
    page.set_input_files("#csv", str(write_csv(rows, tmp_path / "rows.csv")))
    click_predict(page, ".results-table tr")
    name = page.evaluate("window.clientside.state.contract.inputs[0].name")
    assert len(posts) == 1 and len(posts[0]["inputs"][name]) == 12
    x = table_steps.prepare({"name": "t", "steps": TABLE_STEPS}, rows)
    np.testing.assert_allclose(only_output(page), keras_predict(model, x)[0], atol=1e-6)


@pytest.mark.parametrize("breakage, message", [
    ("drop income", "people.csv: no column 'income'"),
    ("age abc at 7", "people.csv, line 8 (row 7): column 'age': expected a number, got 'abc'"),
    ("colour purple at 3", "people.csv, line 4 (row 3): column 'colour': unknown category 'purple'"),
    # the line an editor shows, past a blank line and a quoted cell over two lines
    ("purple at 5, after a blank line and a cell of two lines",
     "people.csv, line 8 (row 5): column 'colour': unknown category 'purple'"),
])
def test_a_bad_csv_names_the_row_and_column(page, table_page, tmp_path, breakage, message):
    _, url = table_page
    rows = table_rows(10)
    if breakage == "drop income":
        rows = [{k: v for k, v in r.items() if k != "income"} for r in rows]
    elif breakage == "age abc at 7":
        rows[6]["age"] = "abc"
    elif breakage == "colour purple at 3":
        rows[2]["colour"] = "purple"
    else:
        rows[1]["id"] = "two\nlines"
        rows[4]["colour"] = "purple"
    path = write_csv(rows, tmp_path / "people.csv")
    if breakage.startswith("purple at 5"):
        lines = path.read_bytes().split(b"\r\n")  # header, row 1, row 2 (over lines 3 and 4), row 3, ...
        path.write_bytes(b"\r\n".join([*lines[:5], b"", *lines[5:]]))  # a blank line 7, after row 4 (line 6)
    open_page(page, url)
    page.set_input_files("#csv", str(path))
    page.click("#predict")
    page.wait_for_selector("#error:not([hidden])")
    assert message in page.inner_text("#error")


def test_multilabel_from_a_tensor(page, serve):
    keras.utils.set_random_seed(6)
    model = randomize(keras.Sequential([keras.Input((5,)), keras.layers.Dense(4, activation="sigmoid")]))
    labels = ["sky", "tree", "water", "road"]
    url, folder = serve(model, "multi", labels=labels, meta={"outputs": [{"threshold": 0.4}]})
    contract = json.loads((folder / "clientside.json").read_text())
    assert contract["inputs"][0]["kind"] == "tensor" and contract["outputs"][0]["kind"] == "multilabel"
    x = np.random.default_rng(1).normal(size=(3, 5)).round(3)
    open_page(page, url)
    page.fill("#tensor", json.dumps(x.tolist()))
    click_predict(page)
    want = keras_predict(model, x.astype(np.float32))[0]
    np.testing.assert_allclose(only_output(page), want, atol=1e-6)
    shown = [e.inner_text() for e in page.query_selector_all(".result .label")]
    expected = [", ".join(lb for lb, p in zip(labels, row) if p >= 0.4) or "none" for row in want]
    assert sorted(shown) == sorted(expected)


def test_regression_with_names_and_units(page, serve):
    keras.utils.set_random_seed(7)
    model = randomize(keras.Sequential([keras.Input((2,)), keras.layers.Dense(2)]))
    steps = [{"op": "pass", "feature": "rooms"}, {"op": "pass", "feature": "area"}]
    url, _ = serve(model, "regress", meta={"inputs": [{"kind": "table", "steps": steps}],
                                           "outputs": [{"names": ["price", "rent"], "units": ["kEUR", "EUR/month"]}]})
    open_page(page, url)
    page.fill("#field-0-0", "3")
    page.fill("#field-0-1", "72.5")
    click_predict(page)
    want = keras_predict(model, np.asarray([[3, 72.5]], np.float32))[0]
    np.testing.assert_allclose(only_output(page), want, rtol=1e-6)
    card = page.inner_text(".result")
    assert "price" in card and "rent" in card and "kEUR" in card and "EUR/month" in card


def test_two_inputs_each_get_a_widget(page, serve, tmp_path):
    keras.utils.set_random_seed(8)
    picture = keras.Input((16, 16, 3), name="photo")
    fields = keras.Input((2,), name="facts")
    h = keras.layers.Concatenate()([keras.layers.Flatten()(picture), fields])
    model = randomize(keras.Model([picture, fields], keras.layers.Dense(3, activation="softmax", name="kind")(h)))
    image_recipe = [{"op": "flatten_alpha"}, {"op": "resize", "size": [16, 16]}, {"op": "normalize", "scale": 1 / 255}]
    table_recipe = [{"op": "standardize", "feature": "weight", "mean": 5.0, "std": 2.0},
                    {"op": "pass", "feature": "legs"}]
    url, _ = serve(model, "two", labels=["cat", "dog", "bird"],
                   meta={"inputs": [{"name": "photo", "steps": image_recipe},
                                    {"name": "facts", "kind": "table", "steps": table_recipe}]})
    photo = png(np.random.default_rng(2).integers(0, 255, (30, 20, 3)), tmp_path / "pet.png")
    open_page(page, url)
    assert page.inner_text("[data-input=photo] h2") == "photo" and page.is_visible("#field-0-0")
    page.set_input_files("#files", str(photo))
    page.fill("#field-0-0", "4.2")
    page.fill("#field-0-1", "4")
    click_predict(page)
    x1 = image_steps.prepare_image(photo.read_bytes(), image_recipe)[None]
    x2 = table_steps.prepare({"name": "facts", "steps": table_recipe}, [{"weight": "4.2", "legs": "4"}])
    np.testing.assert_allclose(last_outputs(page)["kind"], keras_predict(model, x1, x2)[0], atol=1e-5)


def test_plain_tfjs_image_to_image_with_a_dynamic_size(page, serve_folder, tmp_path):
    """A layers model from another tool: any height and width, pixels 0..255 in, a picture
    twice the size out. No clientside.json: the page must still feed the upload at its own
    size and show the result."""
    keras.utils.set_random_seed(9)
    model = randomize(keras.Sequential([keras.Input((None, None, 3)), keras.layers.UpSampling2D(2),
                                        keras.layers.Conv2D(3, 3, padding="same")]))
    folder = export_tfjs(model, tmp_path / "upscale")
    (folder / "clientside.json").unlink()  # as the official converter leaves it
    url = serve_folder(folder)
    picture = np.random.default_rng(3).integers(0, 255, (20, 24, 3))
    path = png(picture, tmp_path / "small.png")
    open_page(page, url)
    info = page.evaluate("window.clientside.state.contract")
    assert info["inputs"][0]["kind"] == "image" and info["outputs"][0]["kind"] == "image"
    assert info["outputs"][0]["range"] == [0, 255]
    page.set_input_files("#files", str(path))
    click_predict(page)
    got = last_outputs(page)
    (_, value), = got.items()
    assert value.shape == (1, 40, 48, 3)
    want = keras_predict(model, picture[None].astype(np.float32))[0]
    np.testing.assert_allclose(value, want, atol=1e-3 * max(1.0, float(np.abs(want).max())))
    size = page.evaluate("""() => { const c = document.querySelector('[data-testid=output-image]');
        return [c.width, c.height]; }""")
    assert size == [48, 40]
    page.wait_for_selector(".output.image a.download")


def write_y4m(path, width: int, height: int, frames: int, yuv: tuple[int, int, int]) -> None:
    """A video of one solid colour (YUV 4:2:0), as Chromium's fake camera reads it."""
    y, u, v = yuv
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W{width} H{height} F30:1 Ip A1:1 C420jpeg\n".encode())
        for _ in range(frames):
            f.write(b"FRAME\n" + bytes([y]) * (width * height) + bytes([u]) * (width * height // 4)
                    + bytes([v]) * (width * height // 4))
    return path


def test_camera_predicts_live(browser, serve, tmp_path):
    """Chromium's fake camera plays a video the test writes; the page predicts frame after
    frame and shows the frame rate, and its numbers equal Keras's on the frame it prepared."""
    from tests.conftest import CHROMIUM, CHROMIUM_FLAGS

    keras.utils.set_random_seed(10)
    model = randomize(keras.Sequential([keras.Input((32, 32, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
                                        keras.layers.GlobalAveragePooling2D(),
                                        keras.layers.Dense(3, activation="softmax")]))
    steps = [{"op": "flatten_alpha"}, {"op": "resize", "size": [32, 32]}, {"op": "normalize", "scale": 1 / 255}]
    url, _ = serve(model, "camera", labels=["red", "green", "blue"],
                   meta={"inputs": [{"steps": steps, "widgets": ["upload", "camera"]}]})
    video = write_y4m(tmp_path / "red.y4m", 64, 48, 30, (76, 85, 255))  # BT.601 red
    flags = [*CHROMIUM_FLAGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream",
             f"--use-file-for-fake-video-capture={video}"]
    camera_browser = browser.browser_type.launch(executable_path=CHROMIUM, args=flags)
    try:
        context = camera_browser.new_context(permissions=["camera"])
        page = context.new_page()
        open_page(page, url)
        page.click("#camera-toggle")
        page.wait_for_function("() => Number(document.querySelector('[data-testid=fps]')?.dataset.fps) > 0",
                               timeout=60_000)
        page.wait_for_function("() => document.querySelectorAll('.live .bar').length === 3")
        frame = page.evaluate("() => Array.from(Object.values(window.clientside.state.last.feeds)[0].data)")
        frame = np.asarray(frame, np.float32).reshape(1, 32, 32, 3)
        assert frame[..., 0].mean() > 0.6 and frame[..., 1].mean() < 0.4 and frame[..., 2].mean() < 0.4  # red
        np.testing.assert_allclose(only_output(page), keras_predict(model, frame)[0], atol=1e-5)
        assert page.inner_text("#camera-toggle") == "Stop camera"
        check_page(page, f"test_camera_predicts_live-{SERVED[url]}")  # its own browser: not the gallery fixture's
        page.click("#camera-toggle")
        page.wait_for_function("() => !window.clientside.state.live")
        assert page.inner_text("#camera-toggle") == "Start camera"
        context.close()
    finally:
        camera_browser.close()


def test_an_output_with_no_other_kind_is_a_tensor(page, serve):
    keras.utils.set_random_seed(11)
    x = keras.Input((4,), name="x")
    grid = keras.layers.Reshape((2, 3), name="grid")(keras.layers.Dense(6)(x))
    model = randomize(keras.Model(x, [grid, keras.layers.Dense(1, name="score")(x)]))
    url, folder = serve(model, "tensor_out")
    kinds = [o["kind"] for o in json.loads((folder / "clientside.json").read_text())["outputs"]]
    assert kinds == ["tensor", "values"]
    open_page(page, url)
    page.fill("#tensor", "[0.5, -1, 2, 0.25]")
    click_predict(page)
    outputs = last_outputs(page)
    want = keras_predict(model, np.asarray([[0.5, -1, 2, 0.25]], np.float32))
    np.testing.assert_allclose(outputs["grid"], want[0], atol=1e-6)
    np.testing.assert_allclose(outputs["score"], want[1], atol=1e-6)
    assert page.inner_text(".output.tensor .label").startswith("[2\u00d73] ")  # the page writes a multiplication sign
    assert page.get_attribute(".output.tensor a.download", "download") == "grid-1.json"


def test_segmentation_mask_drawn_over_the_input(page, serve, tmp_path):
    keras.utils.set_random_seed(12)
    model = randomize(keras.Sequential([keras.Input((16, 16, 3)), keras.layers.Conv2D(3, 1, activation="softmax")]))
    steps = [{"op": "flatten_alpha"}, {"op": "resize", "size": [16, 16]}, {"op": "normalize", "scale": 1 / 255}]
    url, _ = serve(model, "segment",
                   meta={"inputs": [{"steps": steps}], "outputs": [{"kind": "image", "mode": "mask"}]})
    photo = png(np.random.default_rng(5).integers(0, 255, (32, 32, 3)), tmp_path / "scene.png")
    open_page(page, url)
    page.set_input_files("#files", str(photo))
    click_predict(page)
    x = image_steps.prepare_image(photo.read_bytes(), steps)[None]
    want = keras_predict(model, x)[0]
    np.testing.assert_allclose(only_output(page), want, atol=1e-5)
    assert page.query_selector(".output.image .stack img") is not None  # drawn over the input
    # each pixel coloured by its most likely class: class 0 transparent, the others opaque-ish
    alpha = page.evaluate("""() => { const c = document.querySelector('[data-testid=output-image]');
        return Array.from(c.getContext('2d').getImageData(0, 0, 16, 16).data).filter((_, i) => i % 4 === 3); }""")
    classes = want[0].argmax(axis=-1).ravel()
    assert [a == 0 for a in alpha] == [c == 0 for c in classes]
