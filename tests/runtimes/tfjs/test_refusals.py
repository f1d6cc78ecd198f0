"""Exact or refused: what TF.js would compute differently is refused, naming the layer."""
from __future__ import annotations

import keras
import pytest

from clientside import ExportError
from tests.helpers import export_tfjs as export


def _subtract_model():
    a, b = keras.Input((3,)), keras.Input((3,))
    return keras.Model([a, b], keras.layers.Subtract(name="sub")([a, b]))


def dense_model(**kwargs):
    return keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="head", **kwargs)])


@pytest.mark.parametrize("model, words", [
    (lambda: dense_model(activation="hard_sigmoid"), ["head (Dense)", "activation='hard_sigmoid'", "relu6(x + 3) / 6"]),
    (lambda: dense_model(activation="leaky_relu"), ["head (Dense)", "LeakyReLU layer"]),
    (lambda: keras.Sequential([keras.Input((4, 4, 2)), keras.layers.GlobalAveragePooling2D(keepdims=True, name="gap")]),
     ["gap (GlobalAveragePooling2D)", "keepdims=True"]),
    (lambda: keras.Sequential([keras.Input((8, 8, 4)), keras.layers.Conv2D(4, 3, groups=2, name="grouped")]),
     ["grouped (Conv2D)", "groups=2"]),
    (lambda: keras.Sequential([keras.Input((10, 3)), keras.layers.Conv1D(2, 3, padding="causal", name="causal")]),
     ["causal (Conv1D)", "padding='causal'"]),
    (lambda: keras.Sequential([keras.Input((4,)), keras.layers.ELU(alpha=0.5, name="elu")]),
     ["elu (ELU)", "alpha=0.5"]),
    (lambda: keras.Sequential([keras.Input((3, 4)), keras.layers.Softmax(axis=1, name="sm")]),
     ["sm (Softmax)", "axis=1", "last axis"]),
    (lambda: keras.Sequential([keras.Input((4,)), keras.layers.ReLU(negative_slope=0.1, name="r")]),
     ["r (ReLU)", "negative_slope=0.1"]),
    (lambda: keras.Sequential([keras.Input((4,)), keras.layers.ReLU(threshold=0.5, name="r")]),
     ["r (ReLU)", "threshold=0.5"]),
    (lambda: keras.Sequential([keras.Input((5, 3)), keras.layers.GRU(2, name="g")]),
     ["g (GRU)", "reset_after=True"]),
    (lambda: keras.Sequential([keras.Input((3, 3, 2)), keras.layers.UpSampling2D(interpolation="bilinear", name="up")]),
     ["up (UpSampling2D)", "interpolation='bilinear'"]),
    (lambda: keras.Sequential([keras.Input((5, 2)), keras.layers.Conv1DTranspose(2, 3, name="t")]),
     ["t (Conv1DTranspose)", "does not implement Conv1DTranspose"]),
    (lambda: keras.Sequential([keras.Input((4,)), keras.layers.Lambda(lambda x: x * 2, name="lam")]),
     ["lam (Lambda)", "Python code"]),
    (lambda: _subtract_model(), ["sub (Subtract)", "no Subtract layer"]),
    (lambda: keras.Sequential([keras.Input((3, 8, 8)), keras.layers.BatchNormalization(axis=1, name="bn")]),
     ["bn (BatchNormalization)", "axis=1"]),
    (lambda: keras.Sequential([keras.Input((3, 10)),
                               keras.layers.Conv1D(2, 3, data_format="channels_first", name="c")]),
     ["c (Conv1D)", "data_format='channels_first'"]),
    (lambda: keras.Sequential([keras.Input((3, 10)),
                               keras.layers.MaxPooling1D(2, data_format="channels_first", name="p")]),
     ["p (MaxPooling1D)", "data_format='channels_first'"]),
    (lambda: keras.Sequential([keras.Input((3, 10)),
                               keras.layers.GlobalAveragePooling1D(data_format="channels_first", name="g")]),
     ["g (GlobalAveragePooling1D)", "data_format='channels_first'"]),
    (lambda: keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, activation="exponential", name="e")]),
     ["e (Dense)", "activation='exponential'"]),
])
def test_refusals_name_the_layer_and_setting(tmp_path, model, words):
    out = tmp_path / "out"
    with pytest.raises(ExportError) as info:
        export(model(), out)
    for word in words:
        assert word in str(info.value)
    assert not out.exists()  # nothing written


def test_every_problem_is_listed_at_once(tmp_path):
    model = keras.Sequential([
        keras.Input((4,)),
        keras.layers.Dense(3, activation="hard_sigmoid", name="first"),
        keras.layers.Dense(3, activation="hard_silu", name="second"),
    ])
    with pytest.raises(ExportError) as info:
        export(model, tmp_path / "out")
    message = str(info.value)
    assert "2 problems" in message and "first (Dense)" in message and "second (Dense)" in message


def test_subclassed_model_is_refused_with_advice(tmp_path):
    class Mine(keras.Model):
        def __init__(self):
            super().__init__()
            self.d = keras.layers.Dense(2)

        def call(self, x):
            return self.d(x) * 2

    model = Mine()
    model(keras.ops.zeros((1, 3)))
    with pytest.raises(ExportError, match=r"subclassed .*Sequential or Functional"):
        export(model, tmp_path / "out")


def test_custom_layer_is_refused_unless_allowed(tmp_path):
    @keras.saving.register_keras_serializable(package="tests")
    class Double(keras.layers.Layer):
        def call(self, x):
            return x * 2

    model = keras.Sequential([keras.Input((3,)), Double(name="double")])
    with pytest.raises(ExportError, match=r"double \(Double\).*allow_unknown=\['Double'\]"):
        export(model, tmp_path / "out")
    export(model, tmp_path / "out", allow_unknown=["Double"])
    assert (tmp_path / "out" / "model.json").exists()


def test_mixed_precision_is_refused(tmp_path):
    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(3, name="half", dtype="mixed_float16")])
    with pytest.raises(ExportError, match=r"half \(Dense\): dtype='mixed_float16'"):
        export(model, tmp_path / "out")


def test_failed_export_keeps_the_previous_bundle(tmp_path):
    out = tmp_path / "out"
    export(dense_model(), out)
    before = sorted(p.name for p in out.iterdir())
    with pytest.raises(ExportError):
        export(dense_model(activation="hard_sigmoid"), out)
    assert sorted(p.name for p in out.iterdir()) == before


def test_refuses_to_write_into_an_unrelated_folder(tmp_path):
    (tmp_path / "photos").mkdir()
    (tmp_path / "photos" / "cat.jpg").write_bytes(b"x")
    with pytest.raises(ExportError, match="not empty and holds no bundle"):
        export(dense_model(), tmp_path / "photos")
    assert (tmp_path / "photos" / "cat.jpg").exists()
