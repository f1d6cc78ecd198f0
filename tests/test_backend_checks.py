"""--verify's self-check on each backend (clientside/backend_checks.py): under Node, each
backend of the runtime's runner; in Chromium, the page's GPU backends, checked by the page
itself; a check no backend agrees with fails the export's verification."""
from __future__ import annotations

import json
import shutil

import keras
import numpy as np
import pytest

from clientside import backend_checks, export
from clientside.cli import main
from clientside.contract import check


@pytest.fixture(scope="module")
def bundles(tmp_path_factory):
    keras.utils.set_random_seed(2)
    model = keras.Sequential([keras.Input((6, 6, 1)), keras.layers.Conv2D(3, 3, activation="relu"),
                              keras.layers.Flatten(), keras.layers.Dense(4)])
    folder = tmp_path_factory.mktemp("checks")
    return model, {r: export(model, folder / r, runtime=r, say=lambda _: None) for r in ("tfjs", "onnx")}


def test_the_python_feeds_are_the_check_s_input(bundles):
    model, made = bundles
    written = json.loads((made["tfjs"] / "clientside.json").read_text())
    [x] = check.feeds(written)
    assert x.shape == (1, 6, 6, 1) and x.dtype == np.float32
    assert check.difference(written["check"], [model.predict(x, verbose=0)]) < 1e-6


@pytest.mark.parametrize("runtime", ["tfjs", "onnx"])
def test_each_node_backend_runs_the_check(bundles, runtime):
    _, made = bundles
    outcomes = backend_checks.under_node(made[runtime])
    assert [o.backend for o in outcomes] == {"tfjs": ["wasm", "cpu"], "onnx": ["wasm"]}[runtime]
    assert all(o.ok for o in outcomes), [o.line() for o in outcomes]


def test_a_check_no_backend_agrees_with_fails_verify(bundles, tmp_path, monkeypatch):
    _, made = bundles
    broken = tmp_path / "broken"
    shutil.copytree(made["onnx"], broken)
    written = json.loads((broken / "clientside.json").read_text())
    for out in written["check"]["outputs"].values():
        out["values"] = [v + 1.0 for v in out["values"]]
    (broken / "clientside.json").write_text(json.dumps(written))
    monkeypatch.setenv("CLIENTSIDE_CHROMIUM", str(tmp_path / "no-chromium"))
    lines, agreed = backend_checks.report(broken)
    assert not agreed
    assert any("wasm in ONNX Runtime Web under Node: DISAGREES" in line for line in lines), lines
    assert any("were not checked: no Chromium found" in line for line in lines), lines


def test_verify_checks_the_gpu_backends_in_chromium(bundles, tmp_path, runner, monkeypatch, browser):
    """The CLI's --verify, end to end: Node's backends, then WebGPU and WebGL in Chromium
    (SwiftShader's, said software), each agreeing; with the tests' own Playwright running
    (`browser`), as a notebook's asyncio loop runs, which Playwright's sync API refuses to share."""
    model, _ = bundles
    model.save(tmp_path / "m.keras")
    monkeypatch.setenv("CLIENTSIDE_CHROMIUM", "/usr/bin/chromium")
    result = runner.invoke(main, ["export", str(tmp_path / "m.keras"), str(tmp_path / "out"), "--verify"])
    assert result.exit_code == 0, result.output
    said = result.output[result.output.index("self-check on each backend"):].splitlines()
    assert [line.split()[0] for line in said[1:]] == ["wasm", "cpu", "webgpu", "webgl"], said
    assert all(": agrees, largest difference" in line for line in said[1:]), said
    assert "swiftshader, software) in Chromium" in said[3], said
