"""An audio model in the page: sound files chosen in the form are decoded by the browser at
their own rate (WAV and FLAC to the same samples as Python's soundfile; MP3, Ogg and WebM
close, their difference measured), prepared by the page's steps and predicted; the
probabilities equal Keras's on the same file prepared by Python."""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from clientside import audio as presets
from clientside import create_app, export
from clientside.steps import audio
from tests import audio_corpus
from tests.conftest import LiveServer
from tests.e2e.audio_page import microphone_browser, record_and_predict, upload_and_predict
from tests.e2e.conftest import open_page

pytestmark = [pytest.mark.browser, pytest.mark.gallery]

PRESET = presets.input_from_librosa(sr=16000, n_fft=512, hop_length=160, n_mels=40, seconds=1.0, max_seconds=10)


@pytest.fixture(scope="module")
def words(tmp_path_factory):
    """A few spoken words and tones from the corpus, at several rates, mono and stereo."""
    clips = audio_corpus.clips(tmp_path_factory.mktemp("speech"))
    chosen = [c for c in clips if c.what == "speech"][:3]
    chosen += [c for c in clips if c.name in ("chord-44100", "sweep-8000")]
    assert len(chosen) == 5
    return chosen


@pytest.fixture(scope="module")
def sound_model(tmp_path_factory):
    """A small untrained classifier over 40 log-mel bands x 101 frames (1 s at 16 kHz); its
    decibels (-80 to 0) scaled to about -1..1 so that no unit saturates and each clip gets
    its own probabilities."""
    import keras

    keras.utils.set_random_seed(3)
    model = keras.Sequential([keras.Input((40, 101)), keras.layers.Rescaling(1 / 40, offset=1.0),
                              keras.layers.Flatten(), keras.layers.Dense(16, activation="tanh"),
                              keras.layers.Dense(3, activation="softmax")])
    out = export(model, tmp_path_factory.mktemp("sound") / "sound", labels=["yes", "no", "other"],
                 preprocess=PRESET, say=lambda _: None)
    return model, out


def keras_probabilities(model, bundle, files) -> np.ndarray:
    from clientside import load_bundle

    spec = load_bundle(bundle).inputs[0]
    return np.asarray(model.predict(audio.prepare(spec, [f.read_bytes() for f in files]), verbose=0))


def test_the_contract_says_audio_and_the_page_shows_its_widget(sound_model, page):
    _, bundle = sound_model
    contract = json.loads((bundle / "clientside.json").read_text())
    assert contract["inputs"][0]["kind"] == "audio" and contract["inputs"][0]["max_seconds"] == 10
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        expects = page.inner_text("#expects")
        assert "1.0 s of sound at 16 kHz, in mono" in expects and "up to 10 s" in expects, expects
        assert page.is_visible("#drop") and page.is_visible("#record")
    assert page.errors == []


@pytest.mark.parametrize("fmt", ["wav", "flac"])
def test_uploaded_files_predict_as_keras(sound_model, words, page, tmp_path, fmt):
    model, bundle = sound_model
    files = [audio_corpus.write(c, tmp_path, fmt) for c in words]
    want = keras_probabilities(model, bundle, files)
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        got = upload_and_predict(page, files)
    assert got.shape == want.shape == (len(words), 3)
    assert np.ptp(want, axis=0).max() > 0.05, "the clips get probabilities of their own"
    assert np.abs(got - want).max() <= 1e-4, np.abs(got - want).max()
    assert page.query_selector_all(".result audio"), "each card plays its clip back"
    assert page.errors == []


@pytest.fixture(scope="module")
def mel_layer_model(tmp_path_factory):
    """A Keras model that makes its own log-mel spectrogram (keras.layers.MelSpectrogram): the
    page gives it 1 s of samples at 16 kHz. TF.js has no such layer, so the export takes it
    to ONNX Runtime Web (an ONNX STFT)."""
    import keras

    keras.utils.set_random_seed(7)
    model = keras.Sequential([
        keras.Input((16000,)),
        keras.layers.MelSpectrogram(num_mel_bins=40, sampling_rate=16000, sequence_stride=160, fft_length=512),
        keras.layers.Rescaling(1 / 40, offset=1.0), keras.layers.Flatten(),
        keras.layers.Dense(3, activation="softmax")])
    out = export(model, tmp_path_factory.mktemp("mel") / "mel", labels=["yes", "no", "other"],
                 preprocess=presets.input_from_samples(16000, seconds=1.0), say=lambda _: None)
    return model, out


def test_a_keras_model_with_its_own_mel_spectrogram_runs_in_onnx_runtime_web(mel_layer_model, words, page, tmp_path):
    """Only decode, mono, resample and pad run in the page's steps; the model does the rest.
    ONNX Runtime Web equals onnxruntime; both differ from Keras (JAX) by their float32 FFTs."""
    import onnxruntime

    from clientside import load_bundle

    model, bundle = mel_layer_model
    contract = json.loads((bundle / "clientside.json").read_text())
    assert contract["runtime"] == "onnx" and contract["inputs"][0]["kind"] == "audio"
    files = [audio_corpus.write(c, tmp_path, "wav") for c in words]
    x = audio.prepare(load_bundle(bundle).inputs[0], [f.read_bytes() for f in files])
    want = np.asarray(model.predict(x, verbose=0))
    session = onnxruntime.InferenceSession(str(bundle / contract["files"][0]["path"]))
    native = session.run(None, {session.get_inputs()[0].name: x})[0]
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        got = upload_and_predict(page, files)
    print(json.dumps({"ORT Web vs onnxruntime": float(np.abs(got - native).max()),
                      "ORT Web vs Keras": float(np.abs(got - want).max())}))
    assert np.ptp(want, axis=0).max() > 0.05, "the clips get probabilities of their own"
    assert np.abs(got - native).max() <= 1e-5
    assert np.abs(got - want).max() <= 1e-4  # measured: 1.8e-6
    assert page.errors == []


@pytest.fixture(scope="module")
def mic_browser(playwright, words, tmp_path_factory):
    """A Chromium whose microphone says a word once (Chromium's fake capture device)."""
    b = microphone_browser(playwright, audio_corpus.write(words[0], tmp_path_factory.mktemp("mic"), "wav"))
    yield b
    b.close()


def test_a_recording_from_the_microphone_predicts_as_keras_on_its_samples(sound_model, mic_browser):
    """Record, stop, predict: the page's probabilities equal Keras's on the samples the page
    recorded, prepared by Python's steps."""
    from clientside import load_bundle

    model, bundle = sound_model
    got, samples, rate, errors = record_and_predict(mic_browser, bundle)
    spec = load_bundle(bundle).inputs[0]
    want = model.predict(audio.prepare(spec, [{"samples": samples, "rate": rate}]), verbose=0)
    assert np.abs(got - want).max() <= 1e-4
    assert errors == []


DECODE = """async ([url, name, type, base64]) => {
  const { decodeFile } = await import(url);
  const bytes = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0));
  const clip = await decodeFile(new File([bytes], name, { type }));
  const flat = new Float32Array(clip.channels.length * clip.channels[0].length);
  clip.channels.forEach((c, k) => flat.set(c, k * c.length));
  const b = new Uint8Array(flat.buffer);
  let s = '';
  for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
  return { rate: clip.rate, count: clip.channels.length, samples: btoa(s) };
}"""


def test_the_browser_decodes_lossless_files_exactly_and_compressed_ones_closely(words, page, tmp_path, small_bundle):
    """decodeFile (inputs/audio-decode.js) against soundfile on the same files: WAV and FLAC
    sample for sample; MP3, Ogg Vorbis and WebM Opus measured (their decoders' priming and
    rounding differ), each against the clip it was encoded from."""
    import base64
    import re
    from urllib.parse import urljoin

    report = {}
    with LiveServer(create_app(small_bundle)) as server:
        site = tmp_path / "files"
        open_page(page, server.url)
        index = page.evaluate("() => fetch('./').then((r) => r.text())")
        app = re.search(r'<script type="module" src="([^"]+)"', index).group(1)
        module = urljoin(urljoin(server.url, app), "inputs/audio-decode.js")
        for fmt, mime in [("wav", "audio/wav"), ("wav8", "audio/wav"), ("wav32", "audio/wav"),
                          ("flac", "audio/flac"), ("flac24", "audio/flac"), ("mp3", "audio/mpeg"),
                          ("ogg", "audio/ogg"), ("webm", "audio/webm")]:
            for clip in words:
                path = audio_corpus.write(clip, site, fmt)
                got = page.evaluate(DECODE, [module, path.name, mime, base64.b64encode(path.read_bytes()).decode()])
                data = np.frombuffer(base64.b64decode(got["samples"]), np.float32).reshape(got["count"], -1)
                data = data.astype(np.float64)
                if fmt.startswith(("wav", "flac")):
                    want = audio.decode_bytes(path.read_bytes())
                    assert got["rate"] == want.rate == clip.rate
                    assert np.array_equal(data, want.data), f"{path.name}: the browser's samples differ"
                    report[fmt] = 0.0
                    continue
                # against ffmpeg's decoder, and (for what it reads) Python's soundfile, as the server
                # and librosa.load decode: samples more or fewer (priming, padding), the best shift
                # and the largest difference after it, over the peak
                decoders = {"ffmpeg": ffmpeg_decode(path)}
                if fmt != "webm":  # libsndfile reads no WebM
                    sf = audio.decode_bytes(path.read_bytes())
                    decoders["soundfile"] = (sf.rate, sf.data)
                for decoder, (rate, want) in decoders.items():
                    assert got["rate"] == rate and data.shape[0] == want.shape[0], (path.name, decoder)
                    shift, apart = aligned_difference(data, want)
                    report.setdefault(f"{fmt} vs {decoder}", []).append(
                        {"file": path.name, "more samples": data.shape[1] - want.shape[1], "shift": shift,
                         "difference": apart})
    print(json.dumps({k: v if isinstance(v, float) else {
        "most samples more or fewer": max(abs(r["more samples"]) for r in v),
        "largest shift": max(abs(r["shift"]) for r in v),
        "largest difference": max(r["difference"] for r in v)} for k, v in report.items()}, indent=1))
    assert all(report[fmt] == 0.0 for fmt in ("wav", "wav8", "wav32", "flac", "flac24"))
    for name, rows in report.items():  # the same sound, if not the same samples
        assert isinstance(rows, float) or all(r["difference"] < 0.05 for r in rows), (name, rows)


def ffmpeg_decode(path) -> tuple[int, np.ndarray]:
    """ffmpeg's decoder on the file, at the rate it decodes to: (rate, [channels, samples])."""
    import subprocess

    probe = subprocess.run(["ffprobe", "-v", "error", "-select_streams", "a:0", "-show_entries",
                            "stream=sample_rate,channels", "-of", "json", str(path)], capture_output=True, check=True)
    stream = json.loads(probe.stdout)["streams"][0]
    raw = subprocess.run(["ffmpeg", "-v", "error", "-i", str(path), "-f", "f32le", "-acodec", "pcm_f32le", "-"],
                         capture_output=True, check=True).stdout
    pcm = np.frombuffer(raw, np.float32).reshape(-1, int(stream["channels"])).T.astype(np.float64)
    return int(stream["sample_rate"]), pcm


def aligned_difference(a: np.ndarray, b: np.ndarray, most: int = 3000) -> tuple[int, float]:
    """(the shift of a against b, in samples, that matches them best; then the largest
    difference over b's peak), over their common length."""
    best = (0, float("inf"))
    for shift in range(-most, most + 1):
        x = a[:, max(0, shift):]
        y = b[:, max(0, -shift):]
        n = min(x.shape[1], y.shape[1])
        if n < min(a.shape[1], b.shape[1]) // 2:
            continue
        d = float(np.abs(x[:, :n] - y[:, :n]).max())
        if d < best[1]:
            best = (shift, d)
    return best[0], best[1] / max(float(np.abs(b).max()), 1e-12)


@pytest.fixture(scope="module")
def frame_model(tmp_path_factory):
    """A tiny untrained frame-wise model (voice activity's shape): 25 ms windows every 10 ms
    of a 1 s clip at 16 kHz, one sigmoid per window: a timeline."""
    import keras

    keras.utils.set_random_seed(5)
    model = keras.Sequential([keras.Input((98, 400)), keras.layers.Dense(4, activation="tanh"),
                              keras.layers.Dense(1, activation="sigmoid")])
    entry = presets.input_from_samples(16000, seconds=1.0)
    entry["steps"].append({"op": "frames", "window": 400, "hop": 160})
    out = export(model, tmp_path_factory.mktemp("frames") / "frames", preprocess=entry, say=lambda _: None,
                 meta={"outputs": [{"kind": "timeline", "frame_seconds": 0.01, "threshold": 0.5,
                                    "labels": ["speech"]}]})
    return model, out


def test_a_frame_wise_output_is_a_timeline_under_the_clip(frame_model, words, page, tmp_path):
    model, bundle = frame_model
    files = [audio_corpus.write(words[0], tmp_path, "wav")]
    want = keras_probabilities(model, bundle, files)
    with LiveServer(create_app(bundle)) as server:
        open_page(page, server.url)
        got = upload_and_predict(page, files, ".result .timeline-chart")
        chart = page.query_selector(".result .timeline-chart")
        assert chart.query_selector(".waveform path") and chart.query_selector("path.track")
        said = page.inner_text(".result .timeline-said")
        with page.expect_download() as download:
            page.click(".result .timeline a.download")  # as a visitor saves it
        link = download.value.suggested_filename
        csv = Path(download.value.path()).read_text(encoding="utf-8")
    assert got.shape == want.shape == (1, 98, 1) and np.abs(got - want).max() <= 1e-5
    assert said.startswith("At or above 0.5: speech:")
    assert link == "dense_1-timeline.csv" or link.endswith("-timeline.csv")
    lines = csv.strip().splitlines()
    assert lines[0] == '"seconds","speech"' and len(lines) == 99
    assert abs(float(lines[5].split(",")[1]) - want[0, 4, 0]) <= 1e-6
    assert page.errors == []
