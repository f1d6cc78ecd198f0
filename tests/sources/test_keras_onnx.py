"""Keras models TF.js refuses, served through ONNX Runtime Web instead: --runtime auto picks
ONNX and says why, and Keras (in the backend it was built with), Python's onnxruntime and
onnxruntime-web's wasm (the browser's runtime, under Node) agree.

Each case is built under JAX here (the test process's backend) and, in test_torch_backend,
under Keras's torch backend in a process of its own."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest
from keras import layers

from clientside import ExportError, load_bundle
from clientside import export as export_any
from clientside.cli import main
from clientside.runtimes import get
from clientside.runtimes.onnx.node import predict as ort_web_predict
from clientside.runtimes.onnx.run import run_onnxruntime
from clientside.sources import keras as keras_source
from clientside.verify import fixed_batch

TOLERANCE = 1e-4  # relative to the output scale, as --verify


def _sequential(shape, *body, dtype="float32"):
    inp = keras.Input(shape, dtype=dtype)
    x = inp
    for layer in body:
        x = layer(x)
    return keras.Model(inp, x)


def _mha():
    inp = keras.Input((10, 16))
    x = layers.MultiHeadAttention(num_heads=2, key_dim=8)(inp, inp)
    x = layers.LayerNormalization()(layers.Add()([inp, x]))
    x = layers.GlobalAveragePooling1D()(x)
    return keras.Model(inp, layers.Dense(4, activation="softmax")(x))


def _subtract():
    a, b = keras.Input((6,)), keras.Input((6,))
    return keras.Model([a, b], layers.Dense(3)(layers.Subtract()([layers.Dense(6)(a), b])))


# name -> (builder, (class, setting) TF.js must refuse). Source text, so the torch-backend run
# can build the same models in its own process.
CASES = {
    "efficientnetb0": ("keras.applications.EfficientNetB0(weights=None, input_shape=(64, 64, 3), classes=10)",
                       ("Normalization", "layer class")),
    "convnexttiny": ("keras.applications.ConvNeXtTiny(weights=None, input_shape=(64, 64, 3), classes=10)",
                     ("LayerScale", "layer class")),
    "multiheadattention": ("_mha()", ("MultiHeadAttention", "")),
    "gru": ("_sequential((12,), layers.Embedding(50, 8, mask_zero=True), layers.GRU(6), "
            "layers.Dense(3, activation='softmax'), dtype='int32')", ("GRU", "reset_after")),
    "hard_sigmoid": ("_sequential((5,), layers.Dense(4, activation='hard_sigmoid'))", ("Dense", "hard_sigmoid")),
    # MobileNetV3's activation (its other parts are EfficientNet's and hard_sigmoid's: the whole
    # network, 90 s more a run, is only checked to be refused, below)
    "hard_silu": ("_sequential((4, 4, 3), layers.Conv2D(4, 1), layers.Activation('hard_silu'), layers.Flatten(), "
                  "layers.Dense(2))", ("Activation", "hard_silu")),
    "keepdims": ("_sequential((8, 8, 3), layers.Conv2D(4, 3), layers.GlobalAveragePooling2D(keepdims=True), "
                 "layers.Flatten(), layers.Dense(2))", ("GlobalAveragePooling2D", "keepdims")),
    "elu": ("_sequential((5,), layers.Dense(4), layers.ELU(alpha=0.5))", ("ELU", "alpha")),
    "softmax_axis1": ("_sequential((4, 3), layers.Softmax(axis=1))", ("Softmax", "axis")),
    "subtract": ("_subtract()", ("Subtract", "")),
    "zeropadding1d": ("_sequential((7, 3), layers.ZeroPadding1D(2), layers.Conv1D(2, 3), layers.Flatten(), "
                      "layers.Dense(2))", ("ZeroPadding1D", "")),
}
BUILDERS = textwrap.dedent("""
    import keras
    from keras import layers
""") + "\n".join(__import__("inspect").getsource(f) for f in (_sequential, _mha, _subtract))


def _feeds(model, batch, seed):
    rng = np.random.default_rng(seed)
    feeds = []
    for t in model.inputs:
        shape = [batch, *t.shape[1:]]
        if "int" in str(t.dtype):
            ids = rng.integers(1, 50, shape).astype("int32")
            ids[:, 8:] = 0  # padding: the mask matters
            feeds.append(ids)
        else:
            feeds.append(rng.random(shape, dtype=np.float32))
    return feeds


def _check_runtimes(out, feeds, expected):
    """Python onnxruntime and onnxruntime-web (Node) each agree with the source framework."""
    bundle = load_bundle(out)
    assert bundle.runtime == "onnx"
    path = bundle.root / bundle.files[0].path
    names, dtypes = [s["name"] for s in bundle.inputs], [s["dtype"] for s in bundle.inputs]
    batch = fixed_batch(bundle.inputs)
    python = run_onnxruntime(path, names, feeds, batch)  # a path: big weights are external data beside it
    browser = ort_web_predict(path, names, feeds, dtypes, batch)  # the Node runner slices a fixed batch itself
    scale = max(float(np.abs(e).max()) for e in expected)
    for e, p, b in zip(expected, python, browser):
        assert p.shape == e.shape and b.shape == e.shape
        assert float(np.abs(p - e).max()) <= TOLERANCE * scale
        assert float(np.abs(b - e).max()) <= TOLERANCE * scale


@pytest.fixture(scope="module")
def exported(tmp_path_factory):
    """exported(case) -> (model, bundle, what was said, feeds, Keras's outputs), once per case."""
    cache = {}

    def get(case):
        if case not in cache:
            keras.utils.set_random_seed(0)
            model = eval(CASES[case][0])
            said = []
            out = export_any(model, tmp_path_factory.mktemp(case) / case, say=said.append)
            feeds = _feeds(model, 2, seed=7)  # another batch size than the export's example, and other values
            cache[case] = (model, out, said, feeds, keras_source.outputs(model, feeds))
        return cache[case]
    return get


@pytest.mark.parametrize("case", list(CASES))
def test_a_keras_model_tfjs_refuses_runs_exactly_in_onnx(case, exported):
    model, out, said, feeds, expected = exported(case)
    problems = get("tfjs").problems(model)
    class_name, setting = CASES[case][1]
    assert any(class_name in p.class_name and setting in str(p) for p in problems), problems
    assert said and said[0].startswith("runtime: onnx") and class_name in said[0]
    _check_runtimes(out, feeds, expected)


def test_mobilenet_v3_is_refused_for_its_hard_silu():
    keras.utils.set_random_seed(0)
    model = keras.applications.MobileNetV3Small(weights=None, input_shape=(64, 64, 3), classes=10)
    problems = get("tfjs").problems(model)
    assert any(p.class_name == "Activation" and "hard_silu" in str(p) for p in problems), problems


# A worker on the app's origin that loads the page's own runtime module
# (static/runtimes/onnx.js, with the app's onnxruntime-web files) and predicts raw feeds.
@pytest.mark.parametrize("case", list(CASES))
def test_each_case_predicts_in_chromium_as_keras(case, exported, gpu_page):
    """The page's own ONNX runtime module, in a worker in Chromium, on the same feeds: on
    ONNX Runtime Web's CPU build, and on its WebGPU build (SwiftShader's adapter, for
    correctness: a GPU emulated on the CPU says nothing of speed)."""
    from clientside import create_app
    from tests.conftest import LiveServer
    from tests.e2e.harness import predict_on, record_parity

    _, out, _, feeds, expected = exported(case)
    with LiveServer(create_app(out)) as server:
        answers = predict_on(gpu_page, server.url, feeds, ("wasm", "webgpu"))
    scale = max(float(np.abs(e).max()) for e in expected)
    for backend, (ran, got) in answers.items():
        assert ran["backend"] == backend
        worst = max(float(np.abs(v - w).max()) for v, w in zip(got.values(), expected)) / scale
        record_parity(case, "onnx", backend, worst)
        for value, want in zip(got.values(), expected):
            assert value.shape == want.shape
        assert worst <= TOLERANCE, f"{case} on {backend}: {worst:.2e} of the output scale"


TORCH_SCRIPT = BUILDERS + textwrap.dedent("""
    import json, sys
    import numpy as np
    import clientside
    from clientside.sources.keras import outputs as keras_outputs
    cases, out = json.loads(sys.argv[1]), sys.argv[2]
    assert keras.backend.backend() == "torch"
    for name, source in cases.items():
        keras.utils.set_random_seed(0)
        model = eval(source)
        rng = np.random.default_rng(7)
        feeds = [rng.integers(0, 50, [2, *t.shape[1:]]).astype("int32") if "int" in str(t.dtype)
                 else rng.random([2, *t.shape[1:]], dtype=np.float32) for t in model.inputs]
        said = []
        clientside.export(model, f"{out}/{name}", say=said.append)
        np.savez(f"{out}/{name}.npz", *feeds, *keras_outputs(model, feeds))
        print(json.dumps({"name": name, "inputs": len(feeds), "said": said}))
""")


def test_models_built_under_keras_torch_backend(tmp_path):
    """The same export, by a user whose Keras runs on torch. The conversion runs in the same
    torch child process whatever the user's backend, so what differs is the user's side (the
    .keras save, the reference outputs): one case per kind of graph (attention, a masked
    GRU on int input, two inputs) covers it at 12 s a case."""
    cases = {k: CASES[k][0] for k in ("multiheadattention", "gru", "subtract")}
    env = {**os.environ, "KERAS_BACKEND": "torch"}
    proc = subprocess.run([sys.executable, "-c", TORCH_SCRIPT, json.dumps(cases), str(tmp_path)],
                          env=env, capture_output=True, text=True, timeout=1200)
    assert proc.returncode == 0, proc.stderr[-3000:]
    reports = [json.loads(line) for line in proc.stdout.splitlines() if line.startswith("{")]
    assert [r["name"] for r in reports] == list(cases)
    for report in reports:
        assert report["said"][0].startswith("runtime: onnx")
        with np.load(tmp_path / f"{report['name']}.npz") as data:
            arrays = [data[f"arr_{i}"] for i in range(len(data.files))]
        feeds, expected = arrays[:report["inputs"]], arrays[report["inputs"]:]
        doc = json.loads((tmp_path / report["name"] / "clientside.json").read_text())
        assert "(torch backend)" in doc["generated_by"]
        _check_runtimes(tmp_path / report["name"], feeds, expected)


def test_auto_keeps_tfjs_for_what_it_runs_exactly(tmp_path):
    model = _sequential((4,), layers.Dense(3, activation="softmax"))
    said = []
    out = export_any(model, tmp_path / "plain", say=said.append)
    assert said == [] and load_bundle(out).runtime == "tfjs"
    out = export_any(model, tmp_path / "forced", runtime="onnx", say=said.append)
    assert [line for line in said if not line.startswith("graph optimized for the browser: ")] == []
    assert load_bundle(out).runtime == "onnx"
    _check_runtimes(out, [np.ones((2, 4), np.float32)], keras_source.outputs(model, [np.ones((2, 4), np.float32)]))


def test_runtime_tfjs_still_refuses_and_quantize_is_not_dropped_silently(tmp_path):
    model = eval(CASES["elu"][0])
    with pytest.raises(ExportError, match=r"ELU.*alpha"):
        export_any(model, tmp_path / "a", runtime="tfjs")
    with pytest.raises(ExportError, match=r"quantize='uint16' only apply to TF\.js bundles"):
        export_any(model, tmp_path / "b", quantize="uint16", say=lambda _: None)
    with pytest.raises(ExportError, match="Expected runtime"):
        export_any(model, tmp_path / "c", runtime="pytorch")
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_cli_auto_says_why_and_verifies_in_onnxruntime_web(tmp_path):
    from click.testing import CliRunner

    path = tmp_path / "gru.keras"
    eval(CASES["gru"][0]).save(path)
    result = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "out"), "--verify"])
    assert result.exit_code == 0, result.output
    assert "runtime: onnx (ONNX Runtime Web), because TF.js cannot run this model exactly" in result.output
    assert re.search(r"GRU gru(_\d+)?: reset_after=True", result.output)  # Keras numbers repeated names
    assert "max |onnxruntime-web (wasm, under Node) - onnxruntime|" in result.output
    assert "verification passed" in result.output
    result = CliRunner().invoke(main, ["export", str(path), str(tmp_path / "t"), "--runtime", "tfjs"])
    assert result.exit_code == 1 and "reset_after" in result.output and not (tmp_path / "t").exists()


def test_the_explanation_groups_repeated_refusals():
    from clientside.runtimes.tfjs.converter.registry import Problem

    problems = [Problem(f"act_{i}", "Activation", "activation='hard_silu'", "TF.js has no hard_silu")
                for i in range(5)]
    lines = get("tfjs").reasons(problems)
    assert lines[0] == "  - Activation act_0, act_1, act_2 and 2 more: activation='hard_silu': TF.js has no hard_silu"
