"""Bundles on disk: our own, plain TF.js folders, and broken ones refused at start-up."""
from __future__ import annotations

import json
import shutil

import pytest

from clientside import BundleError, create_app, load_bundle
from clientside.bundle import BUNDLE_JSON
from clientside.runtimes.tfjs import MODEL_JSON


def plain_tfjs_copy(bundle, dest):
    """What the official converter writes: model.json + group1-shard*of* files, no metadata."""
    dest.mkdir()
    model = json.loads((bundle / MODEL_JSON).read_text())
    paths = model["weightsManifest"][0]["paths"]
    new_paths = [f"group1-shard{i + 1}of{len(paths)}.bin" for i in range(len(paths))]
    for old, new in zip(paths, new_paths):
        shutil.copy(bundle / old, dest / new)
    model["weightsManifest"][0]["paths"] = new_paths
    (dest / MODEL_JSON).write_text(json.dumps(model))
    return dest


def test_own_bundle_metadata(small_bundle):
    bundle = load_bundle(small_bundle)
    assert bundle.labels == list("0123456789")
    assert bundle.input_shape == [None, 28, 28, 1]
    assert bundle.files[0].path == "model.json" and all(s.hashed_name for s in bundle.files[1:])
    assert len(bundle.content_hash) == 16


def test_plain_tfjs_folder_is_inferred(small_bundle, tmp_path):
    folder = plain_tfjs_copy(small_bundle, tmp_path / "plain")
    bundle = load_bundle(folder)
    assert bundle.input_shape == [None, 28, 28, 1]
    # no silent MNIST recipe for a 28x28x1 model: only what makes a picture fit, unscaled
    assert bundle.inputs[0]["kind"] == "image"
    assert [s["op"] for s in bundle.inputs[0]["steps"]] == ["flatten_alpha", "grayscale", "resize"]
    assert load_bundle(folder, preprocess="mnist").inputs[0]["steps"][3]["op"] == "normalize_contrast"
    assert bundle.labels == []
    assert not any(s.hashed_name for s in bundle.files)  # not cacheable forever
    names = [f"digit {i}" for i in range(10)]
    labelled = load_bundle(folder, labels=names)
    assert labelled.labels == names and labelled.outputs[0]["kind"] == "classes"
    with pytest.raises(BundleError, match=r"outputs\[0\]\.labels: 2 given for 10 output units"):
        load_bundle(folder, labels=["zero", "one"])


def test_plain_folder_served_revalidates_shards(small_bundle, tmp_path):
    folder = plain_tfjs_copy(small_bundle, tmp_path / "plain")
    client = create_app(folder).test_client()
    first = json.loads((folder / MODEL_JSON).read_text())["weightsManifest"][0]["paths"][0]
    with client.get(f"/model/{first}") as response:
        assert response.status_code == 200
        assert response.headers["Cache-Control"] == "no-cache"
        etag = response.headers["ETag"]
    with client.get(f"/model/{first}", headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_content_hash_of_a_plain_folder_follows_its_shards(small_bundle, tmp_path):
    folder = plain_tfjs_copy(small_bundle, tmp_path / "plain")
    before = load_bundle(folder).content_hash
    shard = folder / json.loads((folder / MODEL_JSON).read_text())["weightsManifest"][0]["paths"][-1]
    data = bytearray(shard.read_bytes())
    data[0] ^= 0xFF
    shard.write_bytes(bytes(data))
    assert load_bundle(folder).content_hash != before


def break_bundle(bundle, tmp_path, how):
    folder = tmp_path / "broken"
    shutil.copytree(bundle, folder)
    model = json.loads((folder / MODEL_JSON).read_text())
    shard = folder / model["weightsManifest"][0]["paths"][0]
    if how == "missing model.json":
        (folder / MODEL_JSON).unlink()
    elif how == "bad json":
        (folder / MODEL_JSON).write_text("{not json")
    elif how == "missing shard":
        shard.unlink()
    elif how == "short shard":
        shard.write_bytes(shard.read_bytes()[:-4])
    elif how == "changed shard":
        data = bytearray(shard.read_bytes())
        data[0] ^= 0xFF
        shard.write_bytes(bytes(data))
    elif how == "shard outside":
        model["weightsManifest"][0]["paths"][0] = "../../etc/passwd"
        (folder / MODEL_JSON).write_text(json.dumps(model))
    elif how == "not layers":
        (folder / MODEL_JSON).write_text(json.dumps({"format": "graph-model", "modelTopology": {}}))
    elif how == "bad preprocess":
        meta = json.loads((folder / BUNDLE_JSON).read_text())
        meta["inputs"][0]["steps"] = [{"op": "sharpen"}]
        (folder / BUNDLE_JSON).write_text(json.dumps(meta))
    return folder


@pytest.mark.parametrize("how, words", [
    ("missing model.json", "not found"),
    ("bad json", "not valid JSON"),
    ("missing shard", "Missing model file"),
    ("short shard", "bytes; clientside.json says"),
    ("changed shard", "does not match its sha256"),
    ("shard outside", "outside the folder"),
    ("not layers", "not a TF.js layers model"),
    ("bad preprocess", r"inputs\[0\]\.steps\[0\]: unknown step"),
])
def test_broken_bundles_are_refused(small_bundle, tmp_path, how, words):
    folder = break_bundle(small_bundle, tmp_path, how)
    with pytest.raises(BundleError, match=words):
        create_app(folder)


def test_not_a_folder(tmp_path):
    with pytest.raises(BundleError, match="nope does not exist"):
        load_bundle(tmp_path / "nope")


def test_a_relative_folder_is_resolved_once(small_bundle, monkeypatch):
    monkeypatch.chdir(small_bundle.parent)
    bundle = load_bundle(small_bundle.name)
    assert bundle.root.is_absolute() and bundle.root == small_bundle.resolve()


def test_clashing_names_fall_back_to_folder_names(small_bundle, tmp_path):
    import shutil

    from clientside.bundle import load_bundles

    shutil.copytree(small_bundle, tmp_path / "copy")
    bundles = load_bundles([small_bundle, tmp_path / "copy"])  # both say "small" in clientside.json
    assert [b.name for b in bundles] == ["small", "copy"]
    assert [b.name for b in load_bundles({"x": small_bundle, "y": tmp_path / "copy"})] == ["x", "y"]
    with pytest.raises(BundleError, match="letters, digits"):
        load_bundles([("bad/name", small_bundle)])
