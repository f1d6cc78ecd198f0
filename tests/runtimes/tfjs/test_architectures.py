"""Well-known architectures (random but calibrated weights): TF.js equals Keras on logits."""
from __future__ import annotations

import keras
import numpy as np
import pytest

from clientside import ExportError
from tests.helpers import export_tfjs as export
from tests.runtimes.tfjs.parity import Case, checked_diff, run_cases

pytestmark = [pytest.mark.node, pytest.mark.slow]  # real architectures: about a minute


def calibrated(build, shape, seed=0):
    """Random weights give a flat softmax that hides any mismatch: compare logits
    (classifier_activation=None) and give BatchNormalization the statistics of a real
    batch (momentum 0, one training-mode call on 16 images)."""
    def make():
        keras.utils.set_random_seed(seed)
        model = build(input_shape=shape, weights=None, classes=10, classifier_activation=None)
        for layer in model.layers:
            if isinstance(layer, keras.layers.BatchNormalization):
                layer.momentum = 0.0
        x = np.random.default_rng(seed).normal(size=(16, *shape)).astype("float32")
        train_mode_call(model, x)
        return model
    return make


def train_mode_call(model, x) -> None:
    """One training-mode call, jitted: JAX's eager mode dispatches op by op (36 s against
    10 s on DenseNet121). The call's new BatchNormalization statistics are kept."""
    import jax

    trainable = [v.value for v in model.trainable_variables]
    others = [v.value for v in model.non_trainable_variables]
    _, updated = jax.jit(lambda t, n, x: model.stateless_call(t, n, x, training=True))(trainable, others, x)
    for variable, value in zip(model.non_trainable_variables, updated):
        variable.assign(value)


A = keras.applications
ARCHITECTURES = [
    Case("mobilenet_v2", calibrated(lambda **k: A.MobileNetV2(alpha=0.35, **k), (96, 96, 3)), rtol=1e-4),
    Case("resnet50", calibrated(A.ResNet50, (64, 64, 3)), rtol=1e-4),
    Case("vgg16", calibrated(A.VGG16, (32, 32, 3)), rtol=1e-4),
    Case("densenet121", calibrated(A.DenseNet121, (32, 32, 3)), rtol=1e-4),
    Case("xception", calibrated(A.Xception, (71, 71, 3)), rtol=1e-4),
]


@pytest.fixture(scope="module")
def results(tmp_path_factory):
    return run_cases(ARCHITECTURES, tmp_path_factory.mktemp("architectures"), backend="wasm")  # the page's backend


@pytest.mark.parametrize("case", ARCHITECTURES, ids=lambda c: c.id)
def test_architecture_parity(results, case):
    diff = checked_diff(results, case)
    print(f"\n{case.id}: max |TF.js - Keras| / output scale = {diff:.2e}")
    expected, got = results[case.id]
    assert (expected[0].argmax(-1) == got[0].argmax(-1)).all()


def test_efficientnet_is_refused_with_reasons(tmp_path):
    """EfficientNet starts with Rescaling + a per-channel Normalization that TF.js lacks."""
    model = A.EfficientNetB0(input_shape=(32, 32, 3), weights=None, classes=10)
    with pytest.raises(ExportError) as info:
        export(model, tmp_path / "out")
    assert "Normalization" in str(info.value)
