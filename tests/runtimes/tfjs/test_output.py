"""What export writes: the TF.js format's fields, shards, metadata; no TensorFlow involved."""
from __future__ import annotations

import json
import subprocess
import sys

import keras
import numpy as np

from clientside import __version__
from clientside.runtimes.tfjs import node as tfjs_node
from tests.helpers import export_tfjs as export
from tests.runtimes.tfjs.parity import randomize


def test_model_json_and_metadata(tmp_path):
    a, b = keras.Input((4,), name="features"), keras.Input((2,), dtype="int32", name="ids")
    h = keras.layers.Concatenate()([a, keras.layers.Flatten()(keras.layers.Embedding(5, 3)(b))])
    model = keras.Model([a, b], [keras.layers.Dense(3, name="cls")(h), keras.layers.Dense(1, name="score")(h)])
    out = export(model, tmp_path / "b", labels=["x", "y", "z"])
    model_json = json.loads((out / "model.json").read_text())
    assert model_json["format"] == "layers-model"
    assert model_json["generatedBy"] == f"keras {keras.__version__} ({keras.backend.backend()} backend)"
    assert model_json["convertedBy"] == f"clientside {__version__}"
    meta = json.loads((out / "clientside.json").read_text())
    assert meta["format"] == 2 and meta["runtime"] == "tfjs"
    assert meta["inputs"] == [
        {"name": "features", "shape": [None, 4], "dtype": "float32", "kind": "tensor", "steps": []},
        {"name": "ids", "shape": [None, 2], "dtype": "int32", "kind": "tensor", "steps": []},
    ]
    # labels name the first output's units: linear units with labels are logits of classes
    assert meta["outputs"] == [
        {"name": "cls", "shape": [None, 3], "kind": "classes", "scores": "logits", "labels": ["x", "y", "z"]},
        {"name": "score", "shape": [None, 1], "kind": "values"},
    ]
    files = {f["path"]: f for f in meta["files"]}
    assert files["model.json"]["size"] == (out / "model.json").stat().st_size
    assert meta["content_hash"] == files["model.json"]["sha256"][:16]


def test_shards_have_the_requested_size_and_hashed_names(tmp_path):
    model = randomize(keras.Sequential([keras.Input((100,)), keras.layers.Dense(300)]))
    out = export(model, tmp_path / "b", shard_bytes=50_000)
    meta = json.loads((out / "clientside.json").read_text())
    shards = [f for f in meta["files"] if f["path"] != "model.json"]
    sizes = [s["size"] for s in shards]
    assert len(sizes) == 3 and all(s == 50_000 for s in sizes[:-1]) and sum(sizes) == 30_300 * 4
    for shard in shards:
        assert shard["sha256"][:16] in shard["path"]
        assert shard["path"].startswith(f"group1-shard{shards.index(shard) + 1}of3.")
    x = np.ones((1, 100), np.float32)
    np.testing.assert_allclose(tfjs_node.predict(out, [x])[0], model.predict(x, verbose=0), atol=1e-4)


def test_legacy_h5_file(tmp_path):
    model = randomize(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)]))
    model.save(tmp_path / "m.h5")  # Keras logs that .h5 is legacy
    out = export(str(tmp_path / "m.h5"), tmp_path / "b")
    x = np.ones((2, 3), np.float32)
    np.testing.assert_allclose(tfjs_node.predict(out, [x])[0], model.predict(x, verbose=0), atol=1e-5)


def test_export_never_imports_tensorflow(tmp_path):
    code = (
        "import sys, keras\n"
        "from tests.helpers import export_tfjs as export\n"
        "m = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])\n"
        f"export(m, {str(tmp_path / 'b')!r})\n"
        "bad = [name for name in sys.modules if name.split('.')[0] in ('tensorflow', 'tensorflowjs')]\n"
        "print(bad)\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "[]"
