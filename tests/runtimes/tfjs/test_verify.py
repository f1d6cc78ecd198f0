"""--verify: passes on a correct export, fails on a wrong one."""
from __future__ import annotations

import json

import keras
import numpy as np
import pytest

from clientside.cli import main
from tests.helpers import export_tfjs as export
from tests.helpers import keras_sample
from tests.helpers import verify_tfjs as verify
from tests.runtimes.tfjs.parity import randomize

pytestmark = pytest.mark.node


def classifier():
    return randomize(keras.Sequential([
        keras.Input((6, 6, 2)), keras.layers.Conv2D(3, 3, activation="relu", name="conv"),
        keras.layers.Flatten(), keras.layers.Dense(4, activation="softmax", name="probs")]))


def test_verify_compares_logits_and_passes(tmp_path):
    model = classifier()
    report = verify(model, export(model, tmp_path / "b"))
    assert report.compared == "logits"
    assert report.passed and report.relative_diff < 1e-5 and report.top1_agreement == 1.0


def test_verify_fails_on_a_wrong_translation(tmp_path):
    model = classifier()
    out = export(model, tmp_path / "b")
    model_json = json.loads((out / "model.json").read_text())
    for layer in model_json["modelTopology"]["config"]["layers"]:
        if layer["config"]["name"] == "conv":
            layer["config"]["activation"] = "elu"  # what a silent mistranslation looks like
    (out / "model.json").write_text(json.dumps(model_json))
    report = verify(model, out)
    assert not report.passed and "VERIFICATION FAILED" in report.lines()[-1]


def test_quantized_export_is_verified_against_its_own_weights(tmp_path):
    model = classifier()
    report = verify(model, export(model, tmp_path / "b", quantize="uint8"))
    assert report.passed  # the translation is exact ...
    assert report.quantized_max_abs_diff > 0  # ... and the cost of uint8 is reported apart


def test_cli_verify(runner, tmp_path):
    model = classifier()
    model.save(tmp_path / "m.keras")
    np.savez(tmp_path / "x.npz", np.random.default_rng(0).normal(size=(5, 6, 6, 2)).astype("float32"))
    result = runner.invoke(main, ["export", str(tmp_path / "m.keras"), str(tmp_path / "out"),
                                  "--verify", "--inputs", str(tmp_path / "x.npz"), "--quantize", "float16"])
    assert result.exit_code == 0, result.output
    assert "compared logits" in result.output and "verification passed" in result.output
    assert "quantization cost" in result.output


@pytest.mark.parametrize("dtype", ["float32", "int32"])
def test_verify_a_text_model_feeds_valid_padded_ids(tmp_path, dtype):
    """Keras's default Input is float: ids for an Embedding must still be in [0, input_dim)."""
    model = randomize(keras.Sequential([
        keras.Input((12,), dtype=dtype), keras.layers.Embedding(40, 8, mask_zero=True),
        keras.layers.LSTM(5), keras.layers.Dense(3, activation="softmax")]))
    ids = keras_sample(model, batch=32)[0]
    assert ids.min() >= 0 and ids.max() < 40 and np.all(ids == np.round(ids))
    assert (ids[:, 0] == 0).any() and (ids[:, -1] != 0).any()  # pre-padded rows among them
    report = verify(model, export(model, tmp_path / "b"))
    assert report.passed, report.lines()
