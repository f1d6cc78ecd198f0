"""/api/prepare for an audio input: sound files as multipart (as images are), recordings as
JSON; what the page would compute, and a 4xx with a JSON message for every bad file: empty,
not a sound, too long, a sampling-rate bomb, never a 500."""
from __future__ import annotations

import io
import struct

import numpy as np
import pytest
import soundfile

from clientside import audio as presets
from clientside import create_app
from clientside.steps import audio
from tests.helpers import export_tfjs as export

PRESET = presets.input_from_librosa(sr=16000, n_fft=512, hop_length=160, n_mels=40, seconds=1.0, max_seconds=5)


@pytest.fixture(scope="module")
def app(tmp_path_factory):
    import keras

    model = keras.Sequential([keras.Input((40, 101)), keras.layers.Flatten(),
                              keras.layers.Dense(2, activation="softmax")])
    folder = export(model, tmp_path_factory.mktemp("sound") / "b", preprocess=PRESET)
    return create_app(folder, prepare="server").test_client(), folder


def wav(samples: np.ndarray, rate: int, subtype: str = "PCM_16") -> bytes:
    out = io.BytesIO()
    soundfile.write(out, samples, rate, format="WAV", subtype=subtype)
    return out.getvalue()


def tone(seconds: float, rate: int) -> np.ndarray:
    return (0.3 * np.sin(2 * np.pi * 440 * np.arange(int(seconds * rate)) / rate)).astype(np.float32)


def post(client, files: list[tuple[bytes, str]]):
    return client.post("/api/prepare", data={"file": [(io.BytesIO(b), name) for b, name in files]},
                       headers={"Accept": "application/json"}, content_type="multipart/form-data")


def test_files_are_prepared_as_the_steps_say(app):
    client, folder = app
    from clientside import load_bundle

    spec = load_bundle(folder).inputs[0]
    files = [(wav(tone(0.8, 44100), 44100), "a.wav"), (wav(tone(1.5, 8000), 8000, "FLOAT"), "b.wav")]
    response = post(client, files)
    assert response.status_code == 200, response.get_json()
    tensor = np.asarray(response.get_json()["tensor"], np.float32)
    assert tensor.shape == (2, 40, 101)
    np.testing.assert_array_equal(tensor, audio.prepare(spec, [b for b, _ in files]))


def test_a_recording_as_json(app):
    client, folder = app
    samples = tone(0.5, 48000)
    name = next(iter(__import__("clientside").load_bundle(folder).inputs))["name"]
    response = client.post("/api/prepare", json={"inputs": {name: [{"samples": samples.tolist(), "rate": 48000}]}})
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["inputs"][name]["shape"] == [1, 40, 101]


def bomb(rate: int) -> bytes:
    """A WAV header that says rate."""
    body = wav(tone(0.1, 16000), 16000)
    return body[:24] + struct.pack("<I", rate) + body[28:]


@pytest.mark.parametrize(("data", "status", "words"), [
    (b"", 422, "is empty"),
    (b"<!doctype html><p>404</p>", 415, "not a sound file"),
    (wav(tone(6.0, 8000), 8000), 413, "at most 5 s"),
    (bomb(100_000_000), 422, "not one a recording has"),
    (bomb(4_000_000_000), 415, "not a sound file"),  # libsndfile itself refuses this one
    (bomb(100), 422, "not one a recording has"),
    (b"RIFF\x24\x00\x00\x00WAVEfmt ", 415, "not a sound file"),
])
def test_bad_files_get_a_4xx_with_a_message(app, data, status, words):
    client, _ = app
    response = post(client, [(data, "clip.wav")])
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert words in response.get_json()["error"]["message"]
    assert "clip.wav" in response.get_json()["error"]["message"]
