"""Keras's backend on a fresh machine: its default (tensorflow) is never installed here."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

#: Hides modules from this Python, as if they were not installed (import fails, find_spec is None).
BLOCKER = "import sys\nsys.modules.update(dict.fromkeys({BLOCKED}))\n"


def run_cli(tmp_path, args, blocked=()):
    home = tmp_path / "home"
    (home / ".keras").mkdir(parents=True, exist_ok=True)
    # what Keras writes on its first import on a machine without KERAS_BACKEND
    (home / ".keras" / "keras.json").write_text(json.dumps({"backend": "tensorflow", "floatx": "float32"}))
    env = {k: v for k, v in os.environ.items() if k not in ("KERAS_BACKEND", "KERAS_HOME")}
    env["HOME"] = str(home)
    if blocked:
        site = tmp_path / "site"
        site.mkdir(exist_ok=True)
        (site / "sitecustomize.py").write_text(BLOCKER.replace("{BLOCKED}", repr(set(blocked))))
        env["PYTHONPATH"] = os.pathsep.join([str(site), env.get("PYTHONPATH", "")])
    return subprocess.run([sys.executable, "-m", "clientside.cli", *args], cwd=tmp_path, env=env,
                          capture_output=True, text=True, timeout=300)


@pytest.fixture
def keras_file(tmp_path):
    import keras

    model = keras.Sequential([keras.Input((3,)), keras.layers.Dense(2, activation="softmax")])
    model.save(tmp_path / "m.keras")
    return tmp_path / "m.keras"


def test_export_falls_back_to_an_installed_backend_and_says_so(tmp_path, keras_file):
    result = run_cli(tmp_path, ["export", str(keras_file), "out", "--verify"], blocked=["tensorflow"])
    assert result.returncode == 0, result.stderr
    assert "Keras backend: jax ('tensorflow', from " in result.stderr
    assert "verification passed" in result.stdout


def test_then_torch_when_jax_is_missing(tmp_path, keras_file):
    result = run_cli(tmp_path, ["export", str(keras_file), "out"], blocked=["tensorflow", "jax"])
    assert result.returncode == 0, result.stderr
    assert "Keras backend: torch" in result.stderr


def test_no_backend_at_all_names_the_extra(tmp_path, keras_file):
    result = run_cli(tmp_path, ["export", str(keras_file), "out"], blocked=["tensorflow", "jax", "torch"])
    assert result.returncode == 1
    assert "pip install 'clientside[train]'" in result.stderr and "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()


def test_the_python_api_picks_a_backend_too(tmp_path, keras_file):
    code = (f"import clientside; clientside.export({str(keras_file)!r}, 'out'); "
            "import keras; print(keras.backend.backend())")
    env = {k: v for k, v in os.environ.items() if k != "KERAS_BACKEND"}
    (tmp_path / ".keras").mkdir()
    (tmp_path / ".keras" / "keras.json").write_text(json.dumps({"backend": "tensorflow"}))
    env["HOME"] = str(tmp_path)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp_path, env=env, capture_output=True,
                            text=True, timeout=300)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "jax" and "Keras backend: jax" in result.stderr
