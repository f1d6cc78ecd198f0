"""ONNX files as they come (sources/onnx_file.py), on a real third-party file: the onnxruntime
wheel's own logreg_iris.onnx, whose probabilities leave through a ZipMap (a list of maps, which
ONNX Runtime Web cannot give). The export drops the ZipMap and keeps the tensor before it,
labelled by the ZipMap's keys: the file's own probabilities (to float32's last bit: onnxruntime
optimizes the two graphs apart)."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime
import pytest

from clientside import BundleError, load_bundle
from clientside.cli import main
from clientside.runtimes.onnx.node import predict
from clientside.runtimes.onnx.run import run_onnxruntime

LOGREG = Path(onnxruntime.__file__).parent / "datasets" / "logreg_iris.onnx"


def test_a_zipmap_output_becomes_its_probabilities_labelled_by_its_keys(runner, tmp_path):
    assert LOGREG.is_file()
    result = runner.invoke(main, ["export", str(LOGREG), str(tmp_path / "b")])
    assert result.exit_code == 0, result.output
    bundle = load_bundle(tmp_path / "b")
    [output] = bundle.outputs  # the top-class label output is gone: the probabilities say it
    assert output["kind"] == "classes" and output["scores"] == "probabilities" and output["labels"] == ["0", "1", "2"]
    spec = bundle.inputs[0]
    x = np.random.default_rng(0).uniform(0, 8, (3, 2)).astype(np.float32)
    session = onnxruntime.InferenceSession(str(LOGREG), providers=["CPUExecutionProvider"])
    label, maps = session.run(None, {spec["name"]: x})
    want = np.asarray([[m[k] for k in sorted(m)] for m in maps])
    graph = tmp_path / "b" / bundle.files[0].path
    for got in (run_onnxruntime(graph, [spec["name"]], [x])[0], predict(graph, [spec["name"]], [x], ["float32"])[0]):
        np.testing.assert_allclose(got, want, atol=1e-6)  # the same tensor, to float32's last bits
        assert (got.argmax(1) == label).all()


def test_serving_a_zipmap_file_as_it_is_says_to_export_it():
    with pytest.raises(BundleError, match=r"ZipMap: `clientside export FILE OUT` keeps the probabilities"):
        load_bundle(LOGREG)


def label_and_probabilities(path: Path):
    """An ONNX-ML iris classifier as skl2onnx writes it without ZipMap: an int64 label output
    (the class's number) and a float probabilities output, from no source of ours."""
    from skl2onnx import to_onnx
    from sklearn.datasets import load_iris
    from sklearn.linear_model import LogisticRegression

    x, y = load_iris(return_X_y=True)
    model = LogisticRegression(max_iter=500).fit(x[::2], y[::2])
    path.write_bytes(to_onnx(model, x[:1].astype(np.float32), options={"zipmap": False}).SerializeToString())
    return model, x[1::2].astype(np.float32)


def test_an_int64_label_output_is_shown_as_its_class_when_labels_are_known(tmp_path):
    model, held = label_and_probabilities(tmp_path / "iris.onnx")
    names = ["setosa", "versicolor", "virginica"]
    bundle = load_bundle(tmp_path / "iris.onnx", labels=names)
    label, probabilities = bundle.outputs
    assert label == {"name": "label", "shape": [None], "kind": "classes", "scores": "index", "labels": names}
    assert probabilities["kind"] == "classes" and probabilities["scores"] == "probabilities"
    assert probabilities["labels"] == names
    got = run_onnxruntime(tmp_path / "iris.onnx", ["X"], [held])
    np.testing.assert_array_equal(got[0], model.predict(held))
    np.testing.assert_allclose(got[1], model.predict_proba(held), atol=1e-5)
    unlabelled = load_bundle(tmp_path / "iris.onnx").outputs[0]
    assert unlabelled["kind"] == "tensor"  # no labels: a number like any other
