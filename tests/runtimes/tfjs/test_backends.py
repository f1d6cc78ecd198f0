"""The exporter works with any Keras backend: the same model exported under PyTorch."""
from __future__ import annotations

import os
import subprocess
import sys

import numpy as np
import pytest

from clientside.runtimes.tfjs import node as tfjs_node
from tests.helpers import REPO

pytestmark = pytest.mark.node

SCRIPT = """
import sys
import keras, numpy as np
sys.path.insert(0, {repo!r})
from tests.runtimes.tfjs.parity import randomize
from tests.helpers import export_tfjs as export
model = randomize(keras.Sequential([
    keras.Input((8, 8, 3)), keras.layers.Conv2D(4, 3, activation="relu"),
    keras.layers.BatchNormalization(), keras.layers.DepthwiseConv2D(3),
    keras.layers.Flatten(), keras.layers.Dense(5)]))
export(model, {out!r})
x = np.load({x!r})
np.save({expected!r}, model.predict(x, verbose=0))
print(keras.backend.backend())
"""


@pytest.mark.parametrize("backend", ["torch", "jax"])
def test_export_under_backend(backend, tmp_path):
    x = np.random.default_rng(0).normal(size=(3, 8, 8, 3)).astype("float32")
    np.save(tmp_path / "x.npy", x)
    code = SCRIPT.format(repo=str(REPO), out=str(tmp_path / "b"), x=str(tmp_path / "x.npy"),
                         expected=str(tmp_path / "expected.npy"))
    env = {**os.environ, "KERAS_BACKEND": backend}
    proc = subprocess.run([sys.executable, "-c", code], env=env, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert proc.stdout.strip().splitlines()[-1] == backend
    got = tfjs_node.predict(tmp_path / "b", [x])[0]
    np.testing.assert_allclose(got, np.load(tmp_path / "expected.npy"), atol=1e-4)
