"""ONNX Runtime Web bundles: from PyTorch modules, .pt2 archives and .onnx files, exact or refused;
served, built, verified under Node, and stored in uint8."""
from __future__ import annotations

import json
import warnings

import numpy as np
import onnx  # the onnx extra (make install)
import pytest
import torch  # the backends extra (make install)
from onnx import TensorProto, helper

from clientside import BundleError, ExportError, create_app, load_bundle
from clientside import export as export_any
from clientside.cli import main
from clientside.runtimes.onnx.node import predict
from clientside.runtimes.onnx.quantize import quantize_weights
from clientside.runtimes.onnx.run import run_onnxruntime
from clientside.runtimes.onnx.write import verify


class SmallCNN(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(1, 4, 3)
        self.fc = torch.nn.Linear(4 * 26 * 26, 10)

    def forward(self, x):
        return torch.softmax(self.fc(torch.relu(self.conv(x)).flatten(1)), dim=1)


@pytest.fixture(scope="module")
def cnn_bundle(tmp_path_factory):
    torch.manual_seed(0)
    module = SmallCNN().eval()
    out = export_any(module, tmp_path_factory.mktemp("onnx") / "cnn", example_inputs=[torch.rand(2, 1, 28, 28)],
                     labels=list("0123456789"), preprocess="mnist")
    return module, out


def test_a_torch_module_becomes_an_onnx_bundle(cnn_bundle):
    module, out = cnn_bundle
    doc = json.loads((out / "clientside.json").read_text())
    assert doc["runtime"] == "onnx" and len(doc["files"]) == 1
    [file] = doc["files"]
    assert file["path"] == f"model.{file['sha256'][:16]}.onnx" and (out / file["path"]).stat().st_size == file["size"]
    assert doc["inputs"][0]["shape"] == [None, 1, 28, 28] and doc["inputs"][0]["layout"] == "nchw"
    assert doc["outputs"][0]["kind"] == "classes" and doc["outputs"][0]["scores"] == "probabilities"
    bundle = load_bundle(out)
    assert bundle.runtime == "onnx" and [f.path for f in bundle.files] == [file["path"]] and bundle.files[0].hashed_name
    # the batch stays free: onnxruntime runs 5 at once and agrees with torch
    x = np.random.default_rng(1).random((5, 1, 28, 28), dtype=np.float32)
    got = run_onnxruntime((out / file["path"]).read_bytes(), ["input"], [x])[0]
    np.testing.assert_allclose(got, module(torch.from_numpy(x)).detach().numpy(), atol=1e-6)


def test_the_app_serves_the_onnx_file_immutable_and_no_tfjs(cnn_bundle):
    _, out = cnn_bundle
    client = create_app(out).test_client()
    info = client.get("/api/model").get_json()
    path = info["files"][0]["path"]
    response = client.get(f"/model/{path}", buffered=True)
    assert response.status_code == 200 and "immutable" in response.headers["Cache-Control"]
    assert client.get("/model/model.json").status_code == 404
    sw = client.get("/sw.js").get_data(as_text=True)
    assert "ort-wasm-simd-threaded.wasm" in sw and "tf-core.min.js" not in sw  # only its own runtime
    wasm = client.get("/vendor/ort-wasm-simd-threaded.wasm", buffered=True)
    assert wasm.status_code == 200 and wasm.mimetype == "application/wasm"
    assert client.get("/vendor/ort.wasm.min.mjs").mimetype == "text/javascript"


def test_a_mismatch_with_the_source_is_refused(tmp_path):
    """Exact or refused: a reference that disagrees stops the export; nothing is written."""
    torch.manual_seed(1)
    module = SmallCNN().eval()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.onnx.export(module, (torch.rand(2, 1, 28, 28),), dynamo=True, input_names=["input"])

    def wrong(feeds):
        return [module(torch.from_numpy(feeds[0])).detach().numpy() + 0.01]

    with pytest.raises(ExportError, match="does not reproduce the source model"):
        export_any(program.model_proto, tmp_path / "b", reference=wrong)
    assert not (tmp_path / "b").exists()


def graph(output_type, opset: int = 20):
    node = helper.make_node("Identity", ["x"], ["y"])
    g = helper.make_graph([node], "g", [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["n", 3])], [output_type])
    model = helper.make_model(g, opset_imports=[helper.make_opsetid("", opset)])
    model.ir_version = 10
    return model


@pytest.mark.parametrize("model, words", [
    (graph(helper.make_tensor_sequence_value_info("y", TensorProto.FLOAT, None)),
     "output 'y' is a sequence; onnxruntime-web only takes and gives tensors (scikit-learn's ZipMap"),
    (graph(helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3]), opset=27),
     "opset 27 is newer than onnxruntime-web supports (26)"),
])
def test_what_the_browser_cannot_run_is_refused_before_writing(tmp_path, model, words):
    with pytest.raises(ExportError, match=words.replace("(", r"\(").replace(")", r"\)")):
        export_any(model, tmp_path / "b")
    assert not (tmp_path / "b").exists()


def test_an_onnx_file_from_elsewhere_exports_and_serves(runner, tmp_path):
    model = graph(helper.make_tensor_value_info("y", TensorProto.FLOAT, ["n", 3]))
    onnx.save(model, tmp_path / "identity.onnx")
    result = runner.invoke(main, ["export", str(tmp_path / "identity.onnx"), str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    assert "runtime: onnx" in result.output and "input x [None, 3]: tensor" in result.output
    served = runner.invoke(main, ["serve", str(tmp_path / "identity.onnx"), "--get", "/api/model"])
    assert served.exit_code == 0, served.output
    info = json.loads(served.output)
    assert info["runtime"] == "onnx" and info["files"][0]["path"] == "identity.onnx"
    assert info["outputs"][0]["kind"] == "values"
    external = graph(helper.make_tensor_sequence_value_info("y", TensorProto.FLOAT, None))
    onnx.save(external, tmp_path / "bad.onnx")
    with pytest.raises(BundleError, match=r"bad\.onnx cannot run in onnxruntime-web"):
        load_bundle(tmp_path / "bad.onnx")


def test_the_static_build_of_an_onnx_bundle(cnn_bundle, tmp_path):
    """The site carries ONNX Runtime, its CPU and its WebGPU build (not TF.js), and the model
    file under its hashed name."""
    from clientside.deploy.static_site import build

    _, out = cnn_bundle
    site = build([out], tmp_path / "site")
    [assets] = list((site / "assets").iterdir())
    vendor = sorted(p.name for p in (assets / "vendor").iterdir() if p.suffix in (".js", ".mjs", ".wasm"))
    assert vendor == ["fourier-transform.mjs", "ort-wasm-simd-threaded.asyncify.mjs",
                      "ort-wasm-simd-threaded.asyncify.wasm", "ort-wasm-simd-threaded.mjs",
                      "ort-wasm-simd-threaded.wasm", "ort.wasm.min.mjs", "ort.webgpu.min.mjs",
                      "papaparse.min.js", "tokenizers.min.mjs"]
    info = json.loads((site / "api" / "model").read_text())
    [file] = info["files"]
    assert (site / "model" / file["path"]).read_bytes() == (out / file["path"]).read_bytes()
    assert not (site / "model" / "model.json").exists()
    assert (assets / "vendor" / "ort-wasm-simd-threaded.wasm.br").exists()  # precompressed for the host


def test_verify_runs_the_browsers_runtime_under_node(cnn_bundle, runner, tmp_path):
    """--verify: onnxruntime-web's wasm (the page's own file) against Python's onnxruntime."""
    module, out = cnn_bundle
    x = np.random.default_rng(2).random((3, 1, 28, 28), dtype=np.float32)
    path = out / json.loads((out / "clientside.json").read_text())["files"][0]["path"]
    browser = predict(path, ["input"], [x], ["float32"])[0]
    np.testing.assert_allclose(browser, module(torch.from_numpy(x)).detach().numpy(), atol=1e-5)
    onnx.save(onnx.load(str(path)), tmp_path / "cnn.onnx")
    result = runner.invoke(main, ["export", str(tmp_path / "cnn.onnx"), str(tmp_path / "again"), "--verify"])
    assert result.exit_code == 0, result.output
    assert "max |onnxruntime-web (wasm, under Node) - onnxruntime|" in result.output
    assert "verification passed" in result.output


class Encoder(torch.nn.Module):
    """A small transformer encoder over token ids."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(50, 16)
        layer = torch.nn.TransformerEncoderLayer(16, 4, 32, dropout=0.0, batch_first=True)
        self.encoder = torch.nn.TransformerEncoder(layer, 2)
        self.head = torch.nn.Linear(16, 3)

    def forward(self, ids):
        return self.head(self.encoder(self.embed(ids)).mean(1))


class Recurrent(torch.nn.Module):
    """An LSTM over token ids."""

    def __init__(self):
        super().__init__()
        self.embed = torch.nn.Embedding(50, 8)
        self.lstm = torch.nn.LSTM(8, 12, batch_first=True)
        self.head = torch.nn.Linear(12, 2)

    def forward(self, ids):
        out, _ = self.lstm(self.embed(ids))
        return self.head(out[:, -1])


@pytest.mark.parametrize("make", [Encoder, Recurrent])
def test_a_transformer_encoder_and_an_lstm_run_in_the_browsers_runtime_as_in_torch(tmp_path, make):
    torch.manual_seed(3)
    module = make().eval()
    ids = torch.randint(0, 50, (3, 10))
    out = export_any(module, tmp_path / "b", example_inputs=[ids])
    doc = json.loads((out / "clientside.json").read_text())
    assert doc["inputs"][0]["dtype"] == "int64" and doc["inputs"][0]["kind"] == "tensor"
    other = torch.randint(0, 50, (5, 10))  # another batch size than the example's
    browser = predict(out / doc["files"][0]["path"], ["input"], [other.numpy()], ["int64"])[0]
    np.testing.assert_allclose(browser, module(other).detach().numpy(), atol=1e-5)


def test_a_torch_export_archive_on_the_cli(cnn_bundle, runner, tmp_path):
    """A .pt2 from torch.export.save: its dynamic batch stays free, and the bundle equals torch."""
    module, _ = cnn_bundle
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.export.export(module, (torch.rand(3, 1, 28, 28),),
                                      dynamic_shapes=({0: torch.export.Dim("batch")},))
        torch.export.save(program, tmp_path / "cnn.pt2")
    result = runner.invoke(main, ["export", str(tmp_path / "cnn.pt2"), str(tmp_path / "out"), "--verify",
                                  "--preprocess", "mnist"])
    assert result.exit_code == 0, result.output
    assert "reproduced torch on the archive's example inputs" in result.output and "passed" in result.output
    bundle = load_bundle(tmp_path / "out")
    assert bundle.runtime == "onnx" and bundle.inputs[0]["shape"] == [None, 1, 28, 28]
    x = np.random.default_rng(4).random((5, 1, 28, 28), dtype=np.float32)
    got = run_onnxruntime((bundle.root / bundle.files[0].path).read_bytes(),
                                      [bundle.inputs[0]["name"]], [x])[0]
    np.testing.assert_allclose(got, module(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    result = runner.invoke(main, ["export", str(tmp_path / "cnn.pt2"), str(tmp_path / "t"), "--runtime", "tfjs"])
    assert result.exit_code == 1 and "ONNX Runtime Web only" in result.output
    (tmp_path / "bad.pt2").write_bytes(b"not a zip")
    result = runner.invoke(main, ["export", str(tmp_path / "bad.pt2"), str(tmp_path / "b")])
    assert result.exit_code == 1 and "not a torch.export archive" in result.output and not (tmp_path / "b").exists()


def test_uint8_weights_restore_to_the_affine_values_with_zero_exact():
    """quantize_weights: big float32 weights become uint8 + scale + zero point; the graph
    computes with exactly (q - zero) * scale, each within half a step of the original, 0 exact."""
    from onnx import numpy_helper

    rng = np.random.default_rng(0)
    w = rng.normal(size=(40, 30)).astype(np.float32)
    w[0, :5] = 0.0
    bias = rng.normal(size=(30,)).astype(np.float32)  # too small to quantize
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y0"]), helper.make_node("Add", ["y0", "b"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [None, 40])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [None, 30])],
        [numpy_helper.from_array(w, "w"), numpy_helper.from_array(bias, "b")])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 21)])
    quantized = quantize_weights(model)
    inits = {t.name: numpy_helper.to_array(t) for t in quantized.graph.initializer}
    assert inits["w_uint8"].dtype == np.uint8 and "b" in inits and "w" not in inits
    restored = (inits["w_uint8"].astype(np.float32) - inits["w_zero_point"]) * inits["w_scale"]
    assert np.all(restored[0, :5] == 0.0)
    assert np.abs(restored - w).max() <= inits["w_scale"] / 2 + 1e-7
    x = rng.normal(size=(4, 40)).astype(np.float32)
    got = run_onnxruntime(quantized.SerializeToString(), ["x"], [x])[0]
    np.testing.assert_allclose(got, x @ restored + bias, rtol=1e-5, atol=1e-5)
    assert model.graph.initializer[0].name == "w"  # the original is untouched


def test_a_quantized_onnx_bundle_runs_the_same_in_the_browser_runtime(cnn_bundle, tmp_path):
    """uint8 weights restored by Cast/Sub/Mul (folded at load): onnxruntime-web computes what
    Python's onnxruntime does, to float32 rounding, and the file is about a quarter."""
    module, floats = cnn_bundle
    said = []
    out = export_any(module, tmp_path / "q", example_inputs=[torch.rand(2, 1, 28, 28)], quantize="uint8",
                     say=said.append)
    assert said and said[0].startswith("uint8: ") and "largest difference from the float32 model" in said[0]
    doc = json.loads((out / "clientside.json").read_text())
    assert doc["quantization"]["dtype"] == "uint8"

    def size(folder):
        return sum(p.stat().st_size for p in folder.glob("*.onnx"))

    assert size(out) < 0.3 * size(floats)
    report = verify(out)
    assert report.passed and report.relative_diff < 1e-5, report.lines()
