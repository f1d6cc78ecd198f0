"""ONNX files as they come: a scalar input (a sampling rate, shape []) and a recurrent state
fed back each call, on Silero VAD as its PyPI wheel ships it (tests/data/onnx). A scalar is a
setting, given once with --meta (else refused, saying how); a state starts at zeros and each
item runs alone, as the model's own Python runs one clip from a reset. Exact against
onnxruntime on the original file."""
from __future__ import annotations

import json

import numpy as np
import pytest

from clientside import create_app, export, load_bundle
from clientside.errors import BundleError, ExportError
from clientside.runtimes.onnx.graph import recurrent_state
from clientside.runtimes.onnx.write import verify
from tests.helpers import REPO

SILERO = REPO / "tests" / "data" / "onnx" / "silero_vad.onnx"
SETTINGS = {"inputs": [{"name": "sr", "value": 16000}, {"name": "input", "shape": [None, 512]}]}
quiet = {"say": lambda _: None}


def clips(n: int = 4) -> np.ndarray:
    """512 samples at 16 kHz each: silence, a tone, noise, a tone in noise (never exported on)."""
    t = np.arange(512) / 16000
    rng = np.random.default_rng(7)
    tone = 0.5 * np.sin(2 * np.pi * 220 * t) * (1 + 0.5 * np.sin(2 * np.pi * 3 * t))
    out = [np.zeros(512), tone, rng.normal(0, 0.3, 512), tone + rng.normal(0, 0.05, 512)]
    return np.stack(out[:n]).astype(np.float32)


def by_onnxruntime(x: np.ndarray) -> np.ndarray:
    """The original file, one clip at a time from a reset state, as silero-vad's own Python runs it."""
    import onnxruntime

    session = onnxruntime.InferenceSession(str(SILERO), providers=["CPUExecutionProvider"])
    state = np.zeros((2, 1, 128), np.float32)
    return np.concatenate([session.run(None, {"input": row[None], "state": state, "sr": np.array(16000)})[0]
                           for row in x])


def test_a_scalar_input_is_refused_until_its_value_is_given_saying_how():
    with pytest.raises(BundleError, match=r"inputs\[2\] \(sr\) is a scalar \(shape \[\]\).*--meta file: .*\"value\""):
        load_bundle(SILERO)


def test_export_says_which_size_is_free_when_the_check_fails_on_it(tmp_path):
    with pytest.raises(ExportError, match=r"(?s)8 long where a size is free \(input\).*\"shape\": \[null"):
        export(SILERO, tmp_path / "vad", meta={"inputs": [{"name": "sr", "value": 16000}]}, **quiet)
    assert not (tmp_path / "vad").exists()


def test_a_state_starts_at_zeros_and_each_item_runs_alone_exact_against_onnxruntime(tmp_path):
    out = export(SILERO, tmp_path / "vad", meta=SETTINGS, **quiet)
    specs = {s["name"]: s for s in json.loads((out / "clientside.json").read_text())["inputs"]}
    assert specs["state"]["value"] == 0 and specs["state"]["shape"] == [2, None, 128]  # found: stateN comes back
    outputs = json.loads((out / "clientside.json").read_text())["outputs"]
    assert [o["name"] for o in outputs] == ["output"]  # stateN is the next call's state, not an answer
    assert specs["sr"] == {"name": "sr", "shape": [], "dtype": "int64", "kind": "tensor", "steps": [], "value": 16000}
    x = clips()
    report = verify(out, None, [x, np.zeros((2, 1, 128), np.float32), np.array(16000)])
    assert report.max_abs_diff < 1e-5, report  # onnxruntime-web under Node against Python's, item by item
    from clientside.runtimes.onnx.run import run_onnxruntime

    got = run_onnxruntime(out / json.loads((out / "clientside.json").read_text())["files"][0]["path"],
                          ["input", "state", "sr"], [x, np.zeros((2, 1, 128), np.float32), np.array(16000)], 1, {1, 2})
    np.testing.assert_allclose(got[0], by_onnxruntime(x), atol=1e-6)
    assert got[0].shape == (4, 1) and got[1].shape == (8, 1, 128)  # stateN: one [2, 1, 128] per item


def test_the_server_leaves_constants_to_the_page(tmp_path):
    out = export(SILERO, tmp_path / "vad", meta=SETTINGS, **quiet)
    client = create_app(out).test_client()
    refused = client.post("/api/prepare", json={"inputs": {"sr": [8000]}})
    assert refused.status_code == 422 and "constant (16000)" in refused.get_json()["error"]["message"]
    ok = client.post("/api/prepare", json={"inputs": {"input": clips(2).tolist()}})
    assert ok.status_code == 200 and ok.get_json()["inputs"]["input"]["shape"] == [2, 512]
    card = client.get("/").get_data(as_text=True).split("<dt>It takes</dt>", 1)[1].split("<dt>It gives", 1)[0]
    assert card.count("<dd>") == 1 and "shape 512" in card  # what a visitor gives: not the constants


def test_recurrent_states_are_found_by_the_name_given_back():
    assert recurrent_state("state", {"output", "stateN"}) == "stateN"
    assert recurrent_state("h", {"speech_probs", "hn", "cn"}) == "hn" and recurrent_state("c0", {"cn"}) == "cn"
    assert recurrent_state("state", {"output"}) is None  # not given back: an input like any other
    assert recurrent_state("input", {"inputN"}) is None


@pytest.mark.parametrize("entry, message", [
    ({"name": "x", "shape": [None, 8, 8, 3], "dtype": "float32", "kind": "image", "steps": [], "value": 1},
     "a constant value goes on a tensor input with no steps"),
    ({"name": "x", "shape": [None, 3], "dtype": "float32", "kind": "tensor", "steps": [], "value": 0},
     "every input is a constant"),
])
def test_a_constant_where_none_can_be_is_refused(entry, message):
    from clientside.contract import validate

    contract = {"format": 2, "name": "m", "runtime": "onnx",
                "files": [{"path": "m.onnx", "size": 1, "sha256": "0" * 64}],
                "content_hash": "0" * 16, "inputs": [entry],
                "outputs": [{"name": "y", "shape": [], "kind": "tensor"}]}  # a scalar output is allowed
    with pytest.raises(BundleError, match=message):
        validate(contract, "clientside.json")
