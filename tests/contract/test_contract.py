"""The bundle contract: one schema, errors that name the field, format 1 still read, --meta
merged over what is inferred, and no silent guesses."""
from __future__ import annotations

import json
import shutil

import pytest
from jsonschema import Draft202012Validator

from clientside import BundleError, contract, load_bundle
from clientside.bundle import BUNDLE_JSON
from clientside.cli import main


def written(folder) -> dict:
    return json.loads((folder / BUNDLE_JSON).read_text())


def test_a_written_bundle_is_valid_against_the_schema_file(small_bundle):
    doc = written(small_bundle)
    Draft202012Validator.check_schema(contract.schema())
    assert not list(Draft202012Validator(contract.schema()).iter_errors(doc))
    assert doc["format"] == 2 and doc["runtime"] == "tfjs"
    assert doc["inputs"][0]["widgets"] == ["upload", "paste", "draw"]  # the mnist preset asks for the pad


@pytest.mark.parametrize("change, message", [
    (lambda d: d.update(runtime="pytorch"), "runtime: 'pytorch' is not one of"),
    (lambda d: d["inputs"][0].update(kind="video"), "inputs[0].kind: 'video' is not one of"),
    (lambda d: d["inputs"][0]["steps"][6].update(size="big"), "inputs[0].steps[6] (fit) cannot run with"),
    (lambda d: d["outputs"][0].update(labels=["a", "b"]), "outputs[0].labels: 2 given for 10 output units"),
    (lambda d: d.update(content_hash="XYZ"), "content_hash: 'XYZ' does not match"),
    (lambda d: d["files"][0].update(sha256="0" * 64), "model.json does not match its sha256"),
    (lambda d: d["outputs"][0].update(colour="red"), "outputs[0]: Additional properties are not allowed"),
    (lambda d: d.update(format=3), "is newer than this clientside reads"),
])
def test_a_bad_contract_is_refused_naming_the_field(small_bundle, tmp_path, change, message):
    folder = tmp_path / "b"
    shutil.copytree(small_bundle, folder)
    doc = written(folder)
    change(doc)
    (folder / BUNDLE_JSON).write_text(json.dumps(doc))
    with pytest.raises(BundleError, match=message.replace("[", r"\[").replace("(", r"\(").replace(")", r"\)")):
        load_bundle(folder)


def test_format_1_bundles_still_load(small_bundle, tmp_path):
    """What clientside wrote before format 2, with its shard list and flat fields."""
    folder = tmp_path / "old"
    shutil.copytree(small_bundle, folder)
    doc = written(folder)
    v1 = {"format": 1, "name": "old-mnist", "content_hash": doc["content_hash"], "input_shape": [None, 28, 28, 1],
          "inputs": [{"name": "input_layer", "shape": [None, 28, 28, 1], "dtype": "float32"}],
          "outputs": [{"name": "dense", "shape": [None, 10]}], "labels": list("0123456789"),
          "preprocess": doc["inputs"][0]["steps"], "shards": doc["files"][1:], "params": 1, "quantization": None}
    (folder / BUNDLE_JSON).write_text(json.dumps(v1))
    bundle = load_bundle(folder)
    assert bundle.name == "old-mnist" and bundle.content_hash == doc["content_hash"]
    assert bundle.inputs[0]["kind"] == "image" and bundle.inputs[0]["steps"] == doc["inputs"][0]["steps"]
    assert bundle.inputs[0]["widgets"] == ["upload", "paste", "draw"]  # format 1 pages always had the pad
    assert bundle.outputs[0] == {"name": "dense", "shape": [None, 10], "kind": "classes", "scores": "probabilities",
                                 "labels": list("0123456789")}
    assert [f["path"] for f in bundle.contract["files"]] == [f["path"] for f in doc["files"]]


def test_meta_is_merged_by_name_and_errors_name_the_bad_field(small_bundle, tmp_path):
    meta = tmp_path / "meta.json"
    output = written(small_bundle)["outputs"][0]["name"]  # Keras numbers layer names per process
    meta.write_text(json.dumps({"outputs": [{"name": output, "kind": "multilabel", "threshold": 0.3}]}))
    bundle = load_bundle(small_bundle, meta=meta)
    assert bundle.outputs[0]["kind"] == "multilabel" and bundle.outputs[0]["threshold"] == 0.3
    meta.write_text(json.dumps({"outputs": [{"name": "nope", "kind": "values"}]}))
    with pytest.raises(BundleError, match=r"outputs\[0\]\.name: the model has no output named 'nope'"):
        load_bundle(small_bundle, meta=meta)
    meta.write_text(json.dumps({"inputs": [{"steps": [{"op": "resize", "size": [2]}]}]}))
    with pytest.raises(BundleError, match=r"inputs\[0\]\.steps\[0\] \(resize\) cannot run"):
        load_bundle(small_bundle, meta=meta)
    meta.write_text("{not json")
    with pytest.raises(BundleError, match=r"--meta: .* is not valid JSON"):
        load_bundle(small_bundle, meta=meta)


def test_cli_meta_on_serve_and_export(runner, small_bundle, tmp_path):
    meta = tmp_path / "meta.json"
    meta.write_text(json.dumps({"inputs": [{"kind": "tensor", "steps": []}]}))
    result = runner.invoke(main, ["serve", str(small_bundle), "--meta", str(meta), "--get", "/api/model"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["inputs"][0]["kind"] == "tensor"
    meta.write_text(json.dumps({"inputs": [{"kind": "table", "steps": []}]}))
    bad = runner.invoke(main, ["serve", str(small_bundle), "--meta", str(meta), "--get", "/api/model"])
    assert bad.exit_code == 1 and "inputs[0].shape: a table input is [batch, columns]" in bad.output
    assert "Traceback" not in bad.output


def test_no_silent_guess_for_a_28x28x1_model():
    inputs = contract.input_entry("x", [None, 28, 28, 1])
    assert [s["op"] for s in inputs["steps"]] == ["flatten_alpha", "grayscale", "resize"]  # no MNIST recipe
    assert contract.input_entry("ids", [None, 20], "int32", feeds_embedding=True)["kind"] == "tensor"
    assert contract.output_entry("p", [None, 3], "softmax")["kind"] == "classes"
    assert contract.output_entry("p", [None, 3], "sigmoid")["kind"] == "multilabel"
    assert contract.output_entry("v", [None, 2], "linear")["kind"] == "values"
    assert contract.output_entry("y", [None, 8, 8, 3], None)["kind"] == "tensor"  # no range known


def test_meta_relabels_one_feature_and_keeps_what_the_sample_gave_it():
    drafted = {"inputs": [{"name": "x", "kind": "table", "steps": [{"op": "pass", "feature": "a"}],
                           "features": [{"name": "a", "label": "A", "min": 1, "max": 9, "default": 4},
                                        {"name": "b", "label": "B"}]}], "outputs": []}
    merged = contract.merge(drafted, meta={"inputs": [{"features": [{"name": "a", "label": "Acidity", "unit": "g/L"},
                                                                    {"name": "c", "label": "C"}]}]})
    assert merged["inputs"][0]["features"] == [
        {"name": "a", "label": "Acidity", "min": 1, "max": 9, "default": 4, "unit": "g/L"},
        {"name": "b", "label": "B"}, {"name": "c", "label": "C"}]
    assert drafted["inputs"][0]["features"][0]["label"] == "A"  # the draft is not changed


def test_cli_title_and_description_on_serve(runner, small_bundle, tmp_path):
    (tmp_path / "about.md").write_text("Reads *digits*.")
    result = runner.invoke(main, ["serve", str(small_bundle), "--title", "Digits", "--description",
                                  str(tmp_path / "about.md"), "--get", "/"])
    assert result.exit_code == 0, result.output
    assert "<h1>Digits</h1>" in result.output and "<p>Reads <em>digits</em>.</p>" in result.output
    two = runner.invoke(main, ["serve", str(small_bundle), f"b={small_bundle}", "--title", "Digits", "--get", "/"])
    assert two.exit_code == 2 and "--title describes one model" in two.output
