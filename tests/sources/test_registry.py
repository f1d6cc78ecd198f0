"""One sources table for the Python API and the CLI: the same things are taken, with the same
errors; a model's options go to its source, and unknown or missing ones are said."""
from __future__ import annotations

import warnings

import numpy as np
import pytest
import torch  # the backends extra (make install)

import clientside
from clientside import ExportError, load_bundle
from clientside.cli import main
from clientside.sources import SOURCES, resolve


class Tiny(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.fc = torch.nn.Linear(3, 2)

    def forward(self, x):
        return self.fc(x)


@pytest.fixture(scope="module")
def pt2(tmp_path_factory):
    torch.manual_seed(0)
    module = Tiny().eval()
    path = tmp_path_factory.mktemp("pt2") / "tiny.pt2"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        program = torch.export.export(module, (torch.rand(4, 3),), dynamic_shapes=({0: torch.export.Dim("batch")},))
        torch.export.save(program, path)
    return module, path


def test_a_pt2_archive_exports_from_python_as_from_the_cli(pt2, tmp_path, runner):
    """It worked on the CLI only ("Expected a .keras or .h5 file" from clientside.export)."""
    module, path = pt2
    out = clientside.export(path, tmp_path / "api")
    bundle = load_bundle(out)
    assert bundle.runtime == "onnx" and bundle.inputs[0]["shape"] == [None, 3]
    from clientside.runtimes.onnx.run import run_onnxruntime

    x = np.random.default_rng(1).random((5, 3), dtype=np.float32)
    got = run_onnxruntime((out / bundle.files[0].path).read_bytes(), [bundle.inputs[0]["name"]], [x])[0]
    np.testing.assert_allclose(got, module(torch.from_numpy(x)).detach().numpy(), atol=1e-6)
    result = runner.invoke(main, ["export", str(path), str(tmp_path / "cli")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "cli" / bundle.files[0].path).read_bytes() == (out / bundle.files[0].path).read_bytes()


@pytest.mark.parametrize("name, content", [("model.pt", b"x"), ("model.txt", b"x")])
def test_the_api_and_the_cli_refuse_a_wrong_file_alike(tmp_path, runner, name, content):
    (tmp_path / name).write_bytes(content)
    with pytest.raises(ExportError) as api:
        clientside.export(tmp_path / name, tmp_path / "a")
    result = runner.invoke(main, ["export", str(tmp_path / name), str(tmp_path / "b")])
    assert result.exit_code == 1 and api.value.message in result.output
    assert "Expected a .keras or .h5 file" in api.value.message
    for source in SOURCES:
        assert source.what in api.value.message
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


@pytest.mark.parametrize("suffix", [".keras", ".pt2", ".onnx"])
def test_a_missing_file_is_said_by_every_source(tmp_path, suffix):
    with pytest.raises(ExportError, match=f"nope{suffix} does not exist"):
        clientside.export(tmp_path / f"nope{suffix}", tmp_path / "out")


def test_objects_go_to_their_source():
    import keras
    from onnx import helper
    from sklearn.linear_model import LinearRegression

    names = {"keras": keras.Sequential([keras.Input((2,)), keras.layers.Dense(1)]), "torch": Tiny(),
             "sklearn": LinearRegression(), "onnx": helper.make_model(helper.make_graph([], "g", [], []))}
    assert {name: resolve(obj).name for name, obj in names.items()} == {name: name for name in names}
    with pytest.raises(ExportError, match=r"Received: a builtins\.dict"):
        resolve({"not": "a model"})


def test_a_sources_options_are_checked_by_name(tmp_path):
    with pytest.raises(ExportError, match="PyTorch models need example_inputs="):
        clientside.export(Tiny(), tmp_path / "a")
    with pytest.raises(ExportError, match="PyTorch models take no option 'exmaple_inputs'"):
        clientside.export(Tiny(), tmp_path / "b", exmaple_inputs=[torch.rand(2, 3)])
    assert not (tmp_path / "a").exists() and not (tmp_path / "b").exists()


def test_a_torch_module_cannot_ask_for_tfjs(tmp_path):
    with pytest.raises(ExportError, match=r"This model \(PyTorch\) runs in ONNX Runtime Web only \(runtime='onnx'\)"):
        clientside.export(Tiny(), tmp_path / "a", example_inputs=[torch.rand(2, 3)], runtime="tfjs")


def test_the_card_takes_what_the_source_knows_and_the_user_says_over_it(tmp_path):
    """A Keras model's own name is the page's title (Keras's default names are not); a torch
    module's class; an ONNX file's doc_string is the description; title= wins over all."""
    import json

    import keras
    import onnx

    from clientside.sources import keras as keras_source
    from clientside.sources import torch as torch_source

    named = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)], name="digit_reader")
    out = clientside.export(named, tmp_path / "named", runtime="tfjs")
    assert json.loads((out / "clientside.json").read_text())["title"] == "Digit reader"
    out = clientside.export(named, tmp_path / "mine", runtime="tfjs", title="Mine", description="*Hi*")
    doc = json.loads((out / "clientside.json").read_text())
    assert (doc["title"], doc["description"]) == ("Mine", "*Hi*")
    assert keras_source.about(keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])) == {}
    assert torch_source.about(Tiny()) == {"title": "Tiny"}
    assert torch_source.about(torch.nn.Sequential(torch.nn.Linear(3, 2))) == {}
    module = Tiny().eval()
    path = tmp_path / "tiny.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(module, (torch.rand(2, 3),), path, dynamo=False, input_names=["x"])
    model = onnx.load(path)
    model.doc_string = "Two numbers from three.\n"
    onnx.save(model, path)
    out = clientside.export(path, tmp_path / "onnx")
    assert json.loads((out / "clientside.json").read_text())["description"] == "Two numbers from three."
