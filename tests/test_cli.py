"""The command line: thin commands, clear messages, non-zero exits on failure."""
from __future__ import annotations

import json

from clientside.cli import main


def test_serve_get_smoke(runner, small_bundle):
    result = runner.invoke(main, ["serve", str(small_bundle), "--get", "/api/model"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["labels"] == list("0123456789")


def test_serve_get_non_200_exits_non_zero(runner, small_bundle):
    result = runner.invoke(main, ["serve", str(small_bundle), "--get", "/missing"])
    assert result.exit_code == 1


def test_serve_missing_bundle_is_a_message_not_a_traceback(runner, tmp_path):
    result = runner.invoke(main, ["serve", str(tmp_path / "nothing")])
    assert result.exit_code == 1
    assert "Error: " in result.output and "is not a folder" in result.output
    assert "Traceback" not in result.output


def test_serve_plain_folder_with_labels_option(runner, small_bundle, tmp_path):
    from tests.test_bundle import plain_tfjs_copy

    folder = plain_tfjs_copy(small_bundle, tmp_path / "plain")
    result = runner.invoke(main, ["serve", str(folder), "--labels", "a,b,c", "--get", "/api/model"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["labels"] == ["a", "b", "c"]


def test_export_command(runner, tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2)])
    model.save(tmp_path / "m.keras")
    result = runner.invoke(main, ["export", str(tmp_path / "m.keras"), str(tmp_path / "out"),
                                  "--labels", "no,yes"])
    assert result.exit_code == 0, result.output
    meta = json.loads((tmp_path / "out" / "clientside.json").read_text())
    assert meta["labels"] == ["no", "yes"] and meta["input_shape"] == [None, 3]


def test_export_refuses_a_wrong_file(runner, tmp_path):
    (tmp_path / "model.pt").write_bytes(b"x")
    result = runner.invoke(main, ["export", str(tmp_path / "model.pt"), str(tmp_path / "out")])
    assert result.exit_code == 1
    assert "Expected a .keras or .h5 file. Received: path=" in result.output
    assert not (tmp_path / "out").exists()
