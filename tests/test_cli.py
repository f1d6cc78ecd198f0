"""The command line: thin commands, clear messages, non-zero exits on failure."""
from __future__ import annotations

import json

from clientside.cli import main


def test_serve_get_smoke(runner, small_bundle):
    result = runner.invoke(main, ["serve", str(small_bundle), "--get", "/api/model"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outputs"][0]["labels"] == list("0123456789")


def test_serve_get_non_200_exits_non_zero(runner, small_bundle):
    result = runner.invoke(main, ["serve", str(small_bundle), "--get", "/missing"])
    assert result.exit_code == 1


def test_serve_missing_bundle_is_a_message_not_a_traceback(runner, tmp_path):
    result = runner.invoke(main, ["serve", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "Error: " in result.output and "nothing does not exist" in result.output
    assert "Traceback" not in result.output and "Serving" not in result.output


def test_serve_plain_folder_with_labels_option(runner, small_bundle, tmp_path):
    from tests.test_bundle import plain_tfjs_copy

    folder = plain_tfjs_copy(small_bundle, tmp_path / "plain")
    labels = "zero,one,two,three,four,five,six,seven,eight,nine"
    result = runner.invoke(main, ["serve", str(folder), "--labels", labels, "--get", "/api/model"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["outputs"][0]["labels"] == labels.split(",")
    wrong = runner.invoke(main, ["serve", str(folder), "--labels", "a,b,c", "--get", "/api/model"])
    assert wrong.exit_code == 1 and "outputs[0].labels: 3 given for 10 output units" in wrong.output


def test_export_command(runner, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    result = runner.invoke(main, ["export", str(tmp_path / "m.keras"), str(tmp_path / "out"),
                                  "--labels", "no,yes"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "out" / "clientside.json").read_text())
    assert meta["outputs"][0]["labels"] == ["no", "yes"] and meta["inputs"][0]["shape"] == [None, 3]
    assert "output dense" in result.output and "classes (logits), 2 labels" in result.output
    # progress, stage by stage, before the result
    assert result.output.index("loading m.keras (Keras)…") < result.output.index("writing the TensorFlow.js bundle")
    assert result.output.index("writing the TensorFlow.js bundle") < result.output.index("bundle written to")


def test_export_takes_an_audio_entry_from_a_json_file(runner, tmp_path):
    """--preprocess entry.json: what clientside.audio's presets give, from the command line;
    a setting the steps do not have is refused naming it."""
    import keras

    from clientside import audio

    model = keras.Sequential([keras.Input((40, 101)), keras.layers.Flatten(), keras.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    entry = audio.input_from_librosa(sr=16000, n_fft=512, hop_length=160, n_mels=40, seconds=1.0, max_seconds=5)
    (tmp_path / "entry.json").write_text(json.dumps(entry))
    result = runner.invoke(main, ["export", str(tmp_path / "m.keras"), str(tmp_path / "out"),
                                  "--preprocess", str(tmp_path / "entry.json")])
    assert result.exit_code == 0, result.output
    [given] = json.loads((tmp_path / "out" / "clientside.json").read_text())["inputs"]
    assert given["kind"] == "audio" and given["steps"] == entry["steps"] and given["max_seconds"] == 5
    entry["steps"][4]["n_fft"] = "big"
    (tmp_path / "entry.json").write_text(json.dumps(entry))
    result = runner.invoke(main, ["export", str(tmp_path / "m.keras"), str(tmp_path / "out2"),
                                  "--preprocess", str(tmp_path / "entry.json")])
    assert result.exit_code != 0 and "inputs[0]" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "out2" / "clientside.json").exists()


def test_export_refuses_a_wrong_file(runner, tmp_path):
    (tmp_path / "model.pt").write_bytes(b"x")
    result = runner.invoke(main, ["export", str(tmp_path / "model.pt"), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "model.pt is PyTorch weights or a pickled module" in result.output
    assert "clientside export model.pt2 OUT" in result.output  # the next command
    assert "Expected a .keras or .h5 file or a keras.Model (Keras 3), a Hugging Face model folder" in result.output
    assert "a torch.nn.Module" in result.output
    assert not (tmp_path / "out").exists()


def _run(runner, *args, cwd):
    import os

    here = os.getcwd()
    os.chdir(cwd)
    try:
        return runner.invoke(main, list(args))
    finally:
        os.chdir(here)


def test_each_wrong_path_is_named_with_what_to_run_next(runner, tmp_path):
    """What was given, what is accepted, the next command; before any framework is imported."""
    import subprocess
    import sys

    (tmp_path / "model.joblib").write_bytes(b"\x80\x04 pickle")
    (tmp_path / "hf").mkdir()
    (tmp_path / "hf" / "config.json").write_text("{}")
    (tmp_path / "empty").mkdir()
    (tmp_path / "bad.keras").write_text("not a zip")
    (tmp_path / "bad.h5").write_text("not hdf5")
    (tmp_path / "zero.onnx").write_bytes(b"")
    (tmp_path / "models").mkdir()
    (tmp_path / "models" / "m.keras").write_bytes(b"PK")
    cases = {
        ("export", "model.joblib", "out"): ["model.joblib is a pickle: loading it runs whatever code it holds",
                                            "--trust-pickle", ".skops"],
        ("export", "hf", "out"): ["config.json is not a transformers model config", "model.save_pretrained(folder)"],
        ("export", "empty", "out"): ["empty is a folder, not a model file", "Expected a .keras or .h5 file"],
        ("export", "nope.keras", "out"): ["nope.keras does not exist"],
        ("export", "bad.keras", "out"): ["bad.keras is not a Keras 3 file", "model.save('model.keras')"],
        ("export", "bad.h5", "out"): ["bad.h5 is not an HDF5 file"],
        ("export", "zero.onnx", "out"): ["zero.onnx is empty (0 bytes)"],
        ("serve", "empty"): ["empty is empty", "clientside export MODEL"],
        ("serve", "nope"): ["nope does not exist", "a bundle folder (from `clientside export`)", ".onnx file"],
        ("serve", "models"): ["holds m.keras but no bundle", "clientside export", "clientside serve models-bundle"],
        ("serve", "models/m.keras"): ["is a model, not a bundle", "clientside serve m-bundle"],
        ("serve", "hf"): ["hf is a Hugging Face model folder", "hf-bundle`, then `clientside serve hf-bundle`"],
    }
    for args, words in cases.items():
        result = _run(runner, *args, cwd=tmp_path)
        assert result.exit_code == 1, (args, result.output)
        for w in words:
            assert w in result.output, (args, w, result.output)
        assert "Traceback" not in result.output and "Serving" not in result.output, result.output
    assert not (tmp_path / "out").exists()
    # the file type is checked before Keras (or any framework) is imported
    code = ("import sys; from click.testing import CliRunner; from clientside.cli import main; "
            "r = CliRunner().invoke(main, ['export', 'model.joblib', 'out']); "
            "print(r.exit_code, [m for m in ('keras', 'torch', 'jax', 'onnx', 'sklearn') if m in sys.modules])")
    out = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert out.stdout.split(None, 1) == ["1", "[]\n"], out.stdout + out.stderr


def test_serve_a_relative_path_from_its_parent_folder(runner, small_bundle, monkeypatch):
    """`clientside serve my_bundle/` from the folder above it: the README's first command."""
    monkeypatch.chdir(small_bundle.parent)
    model = json.loads(runner.invoke(main, ["serve", small_bundle.name, "--get", "/model"]).output)
    for path in ["/model/model.json", *(f"/{p}" for p in model["weightsManifest"][0]["paths"])]:
        result = runner.invoke(main, ["serve", f"{small_bundle.name}/", "--get", path])
        assert result.exit_code == 0, (path, result.output)


def test_serve_names_bundles(runner, small_bundle, tmp_path):
    import shutil

    for folder in ("a", "b"):  # the same bundle twice: same name in clientside.json and folder
        shutil.copytree(small_bundle, tmp_path / folder / "small")
    result = runner.invoke(main, ["serve", str(tmp_path / "a/small"), str(tmp_path / "b/small")])
    assert result.exit_code == 1 and "Name each one with NAME=DIR" in result.output
    result = runner.invoke(main, ["serve", f"one={tmp_path / 'a/small'}", f"two={tmp_path / 'b/small'}",
                                  "--get", "/healthz"])
    assert result.exit_code == 0, result.output
    assert set(json.loads(result.output)["models"]) == {"one", "two"}
    result = runner.invoke(main, ["serve", f"one={tmp_path / 'a/small'}", f"one={tmp_path / 'b/small'}"])
    assert result.exit_code == 1 and "Two bundles would be served as 'one'" in result.output


def test_demo_serves_the_cached_demo_without_training(small_bundle, tmp_path, monkeypatch):
    import shutil

    from clientside.mnist import demo

    monkeypatch.setenv("CLIENTSIDE_CACHE_DIR", str(tmp_path / "cache"))
    shutil.copytree(small_bundle, tmp_path / "cache" / demo.DEMO_FOLDER)
    lines: list[str] = []
    assert demo.demo_bundle(say=lines.append) == tmp_path / "cache" / demo.DEMO_FOLDER
    assert "Using the MNIST demo trained earlier in" in lines[0]


def test_build_says_each_stage(runner, small_bundle, tmp_path):
    result = runner.invoke(main, ["build", str(small_bundle), str(tmp_path / "site")])
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "reading 1 bundle(s) and checking their files…"
    assert lines[1].startswith("copying the page and its runtime files (TensorFlow.js")
    assert lines[-2].endswith(" s") and " files, " in lines[-2] and " MB, in " in lines[-2]
    assert lines[-1] == f"static site written to {tmp_path / 'site'}"
