"""TF.js graph models, on the converter's own files: what Python infers equals what
tf.loadGraphModel says; a bundle carries the weights byte for byte and runs as the original
does; what TF.js cannot run, or the page cannot feed, is refused naming the part."""
from __future__ import annotations

import hashlib
import json
import shutil

import numpy as np
import pytest

from clientside import export, load_bundle
from clientside.errors import BundleError, ExportError
from clientside.runtimes.tfjs_graph import RUNTIME, entry_of
from clientside.runtimes.tfjs_graph.inspect import after_selection, dynamic_ops, io, weight_paths
from clientside.runtimes.tfjs_graph.node import run, run_many
from clientside.runtimes.tfjs_graph.write import verify
from tests.runtimes.tfjs_graph.models import EMOTION, EMOTIONS, FACERES, HANDTRACK, MOVENET, human_models

pytestmark = pytest.mark.node

quiet = {"say": lambda _: None}


def sha(path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_inputs_and_outputs_are_named_typed_and_ordered_as_tf_load_graph_model_does():
    files = human_models()
    assert len(files) >= 10
    told = run_many([(f, []) for f in files])
    for file, tf in zip(files, told):
        found = io(json.loads(file.read_text()))
        tf_dtype = {"uint8": "int32"}  # TF.js feeds a uint8 placeholder int32 tensors
        assert [(e["name"], tf_dtype.get(e["dtype"], e["dtype"]), e["shape"]) for e in found.inputs] == \
            [(x["name"], x["dtype"], [None if d == -1 else d for d in x["shape"]]) for x in tf.inputs], file.name
        assert [e["name"] for e in found.outputs] == [x["name"] for x in tf.outputs], file.name


def test_what_the_graph_says_of_its_outputs():
    emotion = io(json.loads(EMOTION.read_text()), EMOTIONS)
    assert emotion.inputs[0]["kind"] == "image" and emotion.inputs[0]["shape"] == [None, 64, 64, 1]
    assert emotion.outputs == [{"name": "Identity", "shape": [None, 7], "kind": "classes",
                                "scores": "probabilities", "labels": EMOTIONS}]
    faceres = io(json.loads(FACERES.read_text()))
    assert [(o["kind"], o["shape"]) for o in faceres.outputs] == \
        [("multilabel", [None, 1]), ("values", [None, 1024]), ("classes", [None, 100])]
    movenet = io(json.loads(MOVENET.read_text()))
    assert movenet.inputs[0]["dtype"] == "int32" and movenet.inputs[0]["shape"] == [1, 192, 192, 3]
    assert movenet.outputs[0]["kind"] == "tensor"  # 17 keypoints (y, x, score), not a 1x17 picture
    hand = io(json.loads(HANDTRACK.read_text()))
    assert hand.inputs[0]["dtype"] == "uint8" and hand.inputs[0]["shape"] == [1, None, None, 3]
    assert "max_pixels" in hand.inputs[0]
    assert {"Enter", "LoopCond", "NonMaxSuppressionV5"} <= set(dynamic_ops(json.loads(HANDTRACK.read_text())))
    assert dynamic_ops(json.loads(EMOTION.read_text())) == []


def test_served_as_it_is_from_the_json_file_a_package_ships():
    bundle = load_bundle(EMOTION, labels=EMOTIONS)
    assert bundle.runtime == "tfjs-graph" and bundle.name == "emotion"
    assert [f.path for f in bundle.files] == ["emotion.json", "emotion.bin"]
    assert bundle.outputs[0]["labels"] == EMOTIONS
    static = RUNTIME.static_files(bundle.as_read())
    shard = static.contract["files"][1]["path"]
    assert shard.startswith("emotion.") and shard.endswith(".bin") and shard != "emotion.bin"
    assert static.contract["files"][0]["path"] == "model.json"  # the one name hosts revalidate
    assert json.loads(static.files["model.json"])["weightsManifest"][0]["paths"] == [shard]


@pytest.mark.parametrize("file", [EMOTION, MOVENET, HANDTRACK, FACERES], ids=lambda f: f.stem)
def test_a_bundle_carries_the_weights_byte_for_byte_and_predicts_as_the_original(tmp_path, file):
    out = export(file, tmp_path / "bundle", **quiet)
    stored = json.loads((out / "clientside.json").read_text())
    assert stored["runtime"] == "tfjs-graph"
    originals = sorted(sha(file.parent / rel) for rel in weight_paths(json.loads(file.read_text())))
    assert sorted(f["sha256"] for f in stored["files"][1:]) == originals
    assert all(sha(out / f["path"]) == f["sha256"] for f in stored["files"])
    # the JSON differs only in the names of its shards
    before, after = json.loads(file.read_text()), json.loads((out / "model.json").read_text())
    for group in [*before["weightsManifest"], *after["weightsManifest"]]:
        group["paths"] = []
    assert before == after
    report = verify(out, None)  # the page's wasm backend against the reference kernels, on the bundle
    assert report.relative_diff < 1e-3, report
    assert bool(report.notes) == (file == HANDTRACK)  # its NonMaxSuppression outputs are judged apart
    assert load_bundle(out).runtime == "tfjs-graph"


def test_int32_uint8_and_control_flow_run_on_a_real_picture(tmp_path):
    from sklearn.datasets import load_sample_image

    picture = load_sample_image("china.jpg")  # 427 x 640 x 3, uint8
    moved = run(MOVENET, [("input", picture[None, :192, :192].astype(np.int32))])
    assert moved.values[0].shape == (1, 1, 17, 3) and not moved.needs_async
    scores = moved.values[0][0, 0, :, 2]
    assert ((scores >= 0) & (scores <= 1)).all()
    hands = run(HANDTRACK, [("input_tensor", picture[None].astype(np.int32))])
    assert hands.needs_async  # control flow: execute refuses it, executeAsync runs it
    assert [v.shape for v in hands.values][:2] == [(1, 100), (1, 100)]
    # the raw boxes and scores agree between the reference kernels and the page's; what
    # NonMaxSuppression keeps of them may not (on this photo, with no hand, every score is near-equal)
    again = run(HANDTRACK, [("input_tensor", picture[None].astype(np.int32))], backend="wasm")
    names = [o["name"] for o in hands.outputs]
    selected = after_selection(json.loads(HANDTRACK.read_text()), names)
    assert len(selected) == 6 and set(names) - set(selected) == {"Identity_6", "Identity_7"}
    for name in set(names) - set(selected):
        i = names.index(name)
        np.testing.assert_allclose(hands.values[i], again.values[i], atol=1e-4)


def test_a_missing_shard_is_named_when_served_and_when_exported(tmp_path):
    folder = tmp_path / "emotion"
    folder.mkdir()
    shutil.copy(EMOTION, folder / "model.json")
    with pytest.raises(BundleError, match=r"Missing model file emotion\.bin in .*emotion"):
        load_bundle(folder)
    with pytest.raises(ExportError, match=r"names the weight file emotion\.bin, which is not in"):
        export(folder, tmp_path / "out", **quiet)
    assert not (tmp_path / "out").exists()


def _edited(tmp_path, source, edit) -> object:
    folder = tmp_path / source.stem
    folder.mkdir()
    model_json = json.loads(source.read_text())
    edit(model_json)
    (folder / "model.json").write_text(json.dumps(model_json))
    for rel in weight_paths(model_json):
        shutil.copy(source.parent / rel, folder / rel)
    return folder


def test_an_op_tf_js_lacks_is_refused_naming_it_and_nothing_is_written(tmp_path):
    def rename_softmax(model_json):
        for node in model_json["modelTopology"]["node"]:
            if node["op"] == "Softmax":
                node["op"] = "SparseSoftmaxCrossEntropyWithLogits"

    folder = _edited(tmp_path, EMOTION, rename_softmax)
    with pytest.raises(ExportError, match=r"TF.js cannot run .*SparseSoftmaxCrossEntropyWithLogits"):
        export(folder, tmp_path / "out", **quiet)
    assert not (tmp_path / "out").exists()


def test_an_input_the_page_cannot_feed_is_refused_naming_it(tmp_path):
    def boolean_input(model_json):
        for node in model_json["modelTopology"]["node"]:
            if node["op"] == "Placeholder":
                node["attr"]["dtype"]["type"] = "DT_BOOL"

    folder = _edited(tmp_path, EMOTION, boolean_input)
    with pytest.raises(BundleError, match=r"input 'input_1' takes DT_BOOL: the page feeds numbers"):
        load_bundle(folder)


def test_a_layers_model_json_is_not_taken_for_a_graph_model(tmp_path):
    (tmp_path / "model.json").write_text(json.dumps({"format": "layers-model", "modelTopology": {}}))
    assert entry_of(tmp_path) is None
    (tmp_path / "x.json").write_text('{"learner": {"note": "an XGBoost model is a .json too"}}')
    assert entry_of(tmp_path / "x.json") is None


def test_quantize_is_refused_with_what_to_do(tmp_path):
    with pytest.raises(ExportError, match="served with the weights the model has: quantize it where it was made"):
        export(EMOTION, tmp_path / "out", quantize="float16", **quiet)
