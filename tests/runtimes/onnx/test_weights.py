"""A big model's weights beside its graph (ONNX external data): written so, checked so, built
so, and read so when an ONNX file comes that way from another tool. The page side, on a real
DistilBERT-base-sized bundle, is tests/e2e/test_big_model.py."""
from __future__ import annotations

import json
import warnings

import numpy as np
import onnx  # the onnx extra (make install)
import pytest
import torch  # the backends extra (make install)

from clientside import BundleError, ExportError, load_bundle
from clientside import export as export_any
from clientside.cli import main
from clientside.runtimes.onnx import weights
from clientside.runtimes.onnx.run import run_onnxruntime
from clientside.runtimes.onnx.write import verify
from tests.runtimes.onnx.test_onnx import SmallCNN

X = np.random.default_rng(3).random((4, 1, 28, 28), dtype=np.float32)


@pytest.fixture(scope="module")
def cnn():
    torch.manual_seed(2)
    return SmallCNN().eval()


def test_a_model_over_the_threshold_keeps_its_weights_apart(cnn, tmp_path, monkeypatch):
    monkeypatch.setattr(weights, "SPLIT_BYTES", 50_000)  # the CNN is 109 KB: split, as a 255 MB one is
    out = export_any(cnn, tmp_path / "b", example_inputs=[torch.rand(2, 1, 28, 28)], labels=list("0123456789"))
    doc = json.loads((out / "clientside.json").read_text())
    graph_file, data_file = doc["files"]
    assert graph_file["path"].endswith(".onnx") and "external_data" not in graph_file
    assert data_file["external_data"] is True and data_file["path"] == f"weights.{data_file['sha256'][:16]}.bin"
    assert graph_file["size"] < 10_000 < 100_000 < data_file["size"]
    bundle = load_bundle(out, verify_hashes=True)
    assert all(f.hashed_name for f in bundle.files)  # both cached forever by their names
    graph = onnx.load(str(out / graph_file["path"]), load_external_data=False)
    places = {e.value for t in graph.graph.initializer for e in t.external_data if e.key == "location"}
    assert places == {data_file["path"]}  # the graph names the weights file, which is what ORT Web mounts
    got = run_onnxruntime(out / graph_file["path"], ["input"], [X])[0]
    np.testing.assert_allclose(got, cnn(torch.from_numpy(X)).detach().numpy(), atol=1e-6)
    report = verify(out)  # Python's onnxruntime and onnxruntime-web under Node, each given the weights apart
    assert report.passed and report.max_abs_diff < 1e-6, report


def test_under_the_threshold_a_model_stays_one_file(cnn, tmp_path):
    out = export_any(cnn, tmp_path / "b", example_inputs=[torch.rand(2, 1, 28, 28)])
    assert [f.path.endswith(".onnx") for f in load_bundle(out).files] == [True]


def test_the_static_build_keeps_the_weights_beside_their_graph(cnn, tmp_path, monkeypatch):
    from clientside.deploy.static_site import build

    monkeypatch.setattr(weights, "SPLIT_BYTES", 50_000)
    out = export_any(cnn, tmp_path / "b", example_inputs=[torch.rand(2, 1, 28, 28)])
    site = build([out], tmp_path / "site")
    info = json.loads((site / "api" / "model").read_text())
    assert [f.get("external_data", False) for f in info["files"]] == [False, True]
    for f in info["files"]:  # the same names: the graph finds its weights by this one
        assert (site / "model" / f["path"]).read_bytes() == (out / f["path"]).read_bytes()


def onnx_with_external_data(cnn, folder):
    """What exporters write for big models: model.onnx and model.onnx_data beside it."""
    folder.mkdir()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch.export's own deprecations
        program = torch.onnx.export(cnn, (torch.rand(2, 1, 28, 28),), dynamo=True, input_names=["input"],
                                    dynamic_shapes=({0: torch.export.Dim("batch")},))
    onnx.save(program.model_proto, str(folder / "model.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="model.onnx_data", size_threshold=0)
    return folder / "model.onnx"


def test_an_onnx_file_with_external_data_from_another_tool_exports(cnn, runner, tmp_path):
    path = onnx_with_external_data(cnn, tmp_path / "from-elsewhere")
    result = runner.invoke(main, ["export", str(path), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    [file] = load_bundle(tmp_path / "out").files  # read in, and small enough for one file
    got = run_onnxruntime(tmp_path / "out" / file.path, ["input"], [X])[0]
    np.testing.assert_allclose(got, cnn(torch.from_numpy(X)).detach().numpy(), atol=1e-6)


def test_external_data_that_is_missing_or_served_as_it_is_says_what_to_do(cnn, runner, tmp_path):
    path = onnx_with_external_data(cnn, tmp_path / "from-elsewhere")
    with pytest.raises(BundleError, match=r"keeps its weights in external data files beside it\. Make it a bundle"):
        load_bundle(path)
    (path.parent / "model.onnx_data").unlink()
    with pytest.raises(ExportError, match="keeps its weights in external data files, and they cannot be read"):
        export_any(path, tmp_path / "out")
    result = runner.invoke(main, ["export", str(path), str(tmp_path / "out")])
    assert result.exit_code != 0 and "cannot be read" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out").exists()
