"""The audio kind's steps: Python's (clientside/steps/audio.py) equal the libraries they stand
for (SciPy's resample_poly and librosa's polyphase resampling, librosa's STFT, mel filters,
melspectrogram, power_to_db and frames, torch.stft with reflect padding, torchaudio's
MelSpectrogram, Spectrogram and AmplitudeToDB, transformers' WhisperFeatureExtractor) on a
corpus of 55 clips (speech, sox's noise and plucks, tones, sweeps, silence, clipping; 8 to
48 kHz; mono and stereo; 5 ms to 1.2 s), and the page's (static/steps/audio.js, in Chromium)
equal Python's within 1e-5 of the output's scale."""
from __future__ import annotations

import base64
import io
import json
import re
from urllib.parse import urljoin

import librosa
import numpy as np
import pytest
import soundfile
from torchaudio import transforms as ta

from clientside import audio as presets
from clientside.errors import InputError
from clientside.steps import audio
from tests import audio_corpus


@pytest.fixture(scope="module")
def corpus(tmp_path_factory):
    clips = audio_corpus.clips(tmp_path_factory.mktemp("speech"))
    assert len(clips) >= 50 and {c.what for c in clips} >= {"speech", "tone", "noise", "silence", "clipped", "short"}
    return clips


def signal(clip) -> audio.Signal:
    return audio.from_samples(clip.samples.T if clip.samples.ndim == 2 else clip.samples, clip.rate)


def relative(got: np.ndarray, want: np.ndarray) -> float:
    scale = max(float(np.abs(want).max()), 1e-30)
    return float(np.abs(np.asarray(got, np.float64) - want).max()) / scale


def test_the_corpus_has_every_rate_and_both_layouts(corpus):
    assert {c.rate for c in corpus} == set(audio_corpus.RATES)
    assert any(c.samples.ndim == 2 for c in corpus) and any(c.samples.ndim == 1 for c in corpus)
    assert min(len(c.samples) for c in corpus) <= 100  # a few milliseconds
    assert sum(c.what == "speech" for c in corpus) == len(audio_corpus.WORDS)


# ---- Python against the libraries -------------------------------------------------------------

@pytest.mark.parametrize("to", [16000, 22050, 44100])
def test_resample_is_scipys_and_librosas_polyphase(corpus, to):
    for clip in corpus:
        x = audio.mono(signal(clip))
        got = audio.resample(x, to).data[0]
        want = librosa.resample(x.data[0], orig_sr=clip.rate, target_sr=to, res_type="polyphase")
        assert got.shape == want.shape and np.array_equal(got, want), clip.name


def test_mono_is_librosas(corpus):
    for clip in corpus:
        x = signal(clip)
        want = librosa.to_mono(x.data)
        assert np.allclose(audio.mono(x).data[0], want, rtol=0, atol=1e-12), clip.name


@pytest.mark.parametrize("settings", [
    {"n_fft": 512, "hop_length": 128, "center": True, "pad_mode": "constant"},
    {"n_fft": 400, "hop_length": 160, "center": True, "pad_mode": "reflect"},
    {"n_fft": 1024, "hop_length": 256, "win_length": 800, "center": False},
])
def test_stft_power_is_librosas(corpus, settings):
    for clip in corpus:
        x = audio.mono(signal(clip))
        if len(x.data[0]) <= settings["n_fft"]:
            continue  # too short for this window: refused, below
        got = audio.stft(x, power=2.0, **settings).data
        want = np.abs(librosa.stft(x.data[0], window="hann", dtype=np.complex128, **settings)) ** 2
        assert got.shape == want.shape and relative(got, want) < 1e-12, clip.name


def test_reflect_padded_stft_is_torchs(corpus):
    import torch
    for clip in corpus[:20]:
        x = audio.mono(signal(clip))
        if len(x.data[0]) <= 400:
            continue
        got = audio.stft(x, n_fft=400, hop_length=160, pad_mode="reflect", power=1.0).data
        want = torch.stft(torch.from_numpy(x.data[0]), 400, 160, window=torch.hann_window(400, dtype=torch.float64),
                          center=True, pad_mode="reflect", return_complex=True).abs().numpy()
        assert relative(got, want) < 1e-12, clip.name


# librosa warns of mel filters that catch no FFT bin (Whisper's 80 mels on a 400-point FFT have some)
@pytest.mark.filterwarnings("ignore:Empty filters detected")
@pytest.mark.parametrize(("n_fft", "n_mels", "fmin", "fmax", "htk", "norm"), [
    (512, 64, 0.0, None, False, "slaney"), (400, 80, 0.0, 8000.0, False, "slaney"),
    (2048, 128, 20.0, 7600.0, True, None),
    (1024, 40, 30.0, None, True, "slaney"),
])
def test_mel_filters_are_librosas(n_fft, n_mels, fmin, fmax, htk, norm):
    for rate in (16000, 22050, 44100):
        top = fmax if fmax is not None and fmax <= rate / 2 else None
        got = audio.mel_filters(rate, n_fft, n_mels, fmin, top, htk, norm)
        want = librosa.filters.mel(sr=rate, n_fft=n_fft, n_mels=n_mels, fmin=fmin, fmax=top, htk=htk, norm=norm,
                                   dtype=np.float64)
        assert relative(got, want) < 1e-12


@pytest.mark.parametrize("options", [
    {"sr": 16000, "n_fft": 512, "hop_length": 160, "n_mels": 64},
    {"sr": 22050, "n_fft": 1024, "hop_length": 256, "win_length": 800, "pad_mode": "reflect", "n_mels": 40,
     "htk": True, "norm": None, "fmin": 20.0, "fmax": 8000.0, "ref": np.max, "top_db": None, "seconds": 1.0},
])
def test_the_librosa_preset_is_melspectrogram_then_power_to_db(corpus, options):
    """What the preset's steps give equals librosa's own calls on the clip librosa.load gives
    with res_type="polyphase" (the steps' resampler)."""
    steps = presets.input_from_librosa(**options)["steps"]
    sr = options["sr"]
    kwargs = {k: v for k, v in options.items() if k not in ("sr", "ref", "top_db", "seconds")}
    for clip in corpus:
        x = audio.mono(signal(clip)).data[0]
        y = librosa.resample(x, orig_sr=clip.rate, target_sr=sr, res_type="polyphase") if clip.rate != sr else x
        if "seconds" in options:
            y = librosa.util.fix_length(y, size=int(options["seconds"] * sr))
        if len(y) <= options["n_fft"] // 2:
            continue
        s = librosa.feature.melspectrogram(y=y, sr=sr, dtype=np.float64, **kwargs)
        want = librosa.power_to_db(s, ref=options.get("ref", 1.0), top_db=options.get("top_db", 80.0))
        got = audio.run_steps(signal(clip), steps).data
        # librosa's mel filters are float32 by default: its numbers round there
        assert got.shape == want.shape and relative(got, want) < 1e-5, clip.name


def test_frames_are_librosas(corpus):
    for clip in corpus:
        x = audio.mono(signal(clip))
        if len(x.data[0]) < 400:
            continue
        got = audio.frames(x, window=400, hop=160).data
        want = librosa.util.frame(x.data[0], frame_length=400, hop_length=160).T
        assert np.array_equal(got, want), clip.name


def test_the_whisper_preset_is_whispers_feature_extractor(corpus):
    """transformers' WhisperFeatureExtractor (its NumPy path, 80 and 128 mels) on 16 kHz clips;
    a 2 s chunk here (its own chunk_length setting) to keep the corpus small."""
    import transformers
    worst = 0.0
    for n_mels in (80, 128):
        fe = transformers.WhisperFeatureExtractor(feature_size=n_mels, chunk_length=2)
        steps = presets.input_from_whisper_feature_extractor(fe)["steps"]
        for clip in corpus:
            x = audio.resample(audio.mono(signal(clip)), 16000)
            want = fe(x.data[0].astype(np.float32), sampling_rate=16000, return_tensors="np")["input_features"][0]
            got = audio.run_steps(x, steps[1:]).data
            assert got.shape == want.shape == (n_mels, 200)
            worst = max(worst, relative(got, want))
    # the extractor computes its STFT in complex64 (transformers' audio_utils.spectrogram): its
    # own rounding, near the log's floor, is what differs (measured: 4.9e-5 of the scale)
    assert worst < 1e-4, worst


def torchaudio_cases():
    """(transform, to_db, preset options), made when called: under torch.float64 as the default
    dtype, torchaudio makes its window and mel filters in float64."""
    return [
        (ta.MelSpectrogram(sample_rate=16000), ta.AmplitudeToDB(top_db=80.0), {}),  # its defaults: HTK, reflect
        (ta.MelSpectrogram(22050, n_fft=1024, win_length=800, hop_length=256, f_min=20.0, f_max=8000.0, n_mels=64,
                          norm="slaney", mel_scale="slaney", pad_mode="constant", power=1.0),
         ta.AmplitudeToDB("magnitude", top_db=80.0), {"seconds": 1.0}),
        (ta.MelSpectrogram(16000, n_fft=512, hop_length=160, n_mels=40, power=2.0),
         ta.AmplitudeToDB("magnitude", top_db=50.0), {}),
        (ta.Spectrogram(n_fft=256, hop_length=64, center=False), ta.AmplitudeToDB(top_db=60.0), {"sample_rate": 8000}),
        (ta.MelSpectrogram(44100, n_fft=2048, hop_length=512), None, {"time_first": True}),
    ]


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
@pytest.mark.parametrize("dtype", ["float64", "float32"])
def test_the_torchaudio_preset_is_its_transforms(corpus, dtype):
    """to_db(transform(waveform)) on each clip at the transform's rate (resampled by the steps'
    resampler first), against the preset's steps from there on."""
    import torch

    default = torch.get_default_dtype()
    torch.set_default_dtype(getattr(torch, dtype))
    try:
        cases = torchaudio_cases()
    finally:
        torch.set_default_dtype(default)
    worst = 0.0
    for transform, to_db, options in cases:
        steps = presets.input_from_torchaudio(transform, to_db, **options)["steps"]
        rate = steps[2]["rate"]
        transform = transform.double()
        for clip in corpus:
            x = audio.resample(audio.mono(signal(clip)), rate)
            y = x.data[0]
            if "seconds" in options:
                y = librosa.util.fix_length(y, size=int(options["seconds"] * rate))
            try:
                got = audio.run_steps(x, steps[1:]).data
            except InputError:  # too short for the STFT: torchaudio cannot take it either
                with pytest.raises(RuntimeError):
                    transform(torch.from_numpy(y))
                continue
            want = transform(torch.from_numpy(y))
            want = (to_db(want) if to_db is not None else want).numpy()
            want = want.T if options.get("time_first") else want
            assert got.shape == want.shape, (clip.name, got.shape, want.shape)
            worst = max(worst, relative(got, want))
    # float64: the same arithmetic (measured 2.5e-13). float32, as users make them: torchaudio's
    # window and filters round there (its default 128 HTK filters by 1.2e-5 of their peak;
    # measured 3.5e-5 of the output here). Without a top_db, bins 200 dB down are FFT rounding
    # noise on either side: each case has a floor.
    assert worst < (1e-12 if dtype == "float64" else 1e-4), worst


@pytest.mark.filterwarnings("ignore:At least one mel filterbank has all zero values")
def test_presets_refuse_what_the_steps_cannot_do():
    with pytest.raises(presets.PresetError, match="window="):
        presets.input_from_librosa(sr=16000, window="hamming")
    with pytest.raises(presets.PresetError, match="norm="):
        presets.input_from_librosa(sr=16000, norm=2.0)
    with pytest.raises(presets.PresetError, match="ref="):
        presets.input_from_librosa(sr=16000, ref=np.median)
    import torch
    for transform, said in [
        (ta.MelSpectrogram(16000, window_fn=torch.hamming_window), "window_fn"),
        (ta.MelSpectrogram(16000, normalized=True), "normalized=True"),
        (ta.MelSpectrogram(16000, pad=100), "pad=100"),
        (ta.MelSpectrogram(16000, pad_mode="replicate"), "pad_mode='replicate'"),
        (ta.MelSpectrogram(11025, n_fft=512), "sample_rate=11025"),
        (ta.MelSpectrogram(16000, n_fft=401), "n_fft=401"),
        (ta.Spectrogram(power=None), "power=None"),
        (ta.Spectrogram(), "sample_rate="),
        (ta.MFCC(16000), "MFCC"),
    ]:
        with pytest.raises(presets.PresetError, match=re.escape(said)):
            presets.input_from_torchaudio(transform, sample_rate=None)
    import transformers
    with pytest.raises(presets.PresetError, match="dither="):
        presets.input_from_whisper_feature_extractor(transformers.WhisperFeatureExtractor(dither=0.5))


# ---- decoding and refusals --------------------------------------------------------------------

@pytest.mark.parametrize("fmt", ["wav", "flac", "wav32"])
def test_lossless_files_decode_to_their_samples(corpus, tmp_path, fmt):
    for clip in corpus[::3]:
        path = audio_corpus.write(clip, tmp_path, fmt)
        got = audio.decode_bytes(path.read_bytes())
        want = clip.samples if fmt == "wav32" else audio_corpus.as_pcm16(clip.samples)
        want = want.T if want.ndim == 2 else want[None]
        assert got.rate == clip.rate and np.array_equal(got.data, want.astype(np.float64)), clip.name


def test_bad_files_are_refused_with_a_status():
    tone = io.BytesIO()
    soundfile.write(tone, np.zeros(16000 * 3, np.float32), 16000, format="WAV")
    for data, status, words in [(b"", 422, "empty"), (b"RIFF....WAVEnot really", 415, "not a sound file"),
                                (b"<html>404</html>", 415, "not a sound file"),
                                (tone.getvalue(), 413, "at most 2 s")]:
        with pytest.raises(InputError, match=words) as found:
            audio.decode_bytes(data, max_seconds=2)
        assert found.value.status == status


def spec(steps, shape, **extra):
    return {"name": "sound", "kind": "audio", "dtype": "float32", "shape": shape,
            "steps": [{"op": "decode"}, *steps], **extra}


def test_validate_names_what_is_wrong():
    audio.validate(spec([{"op": "mono"}, {"op": "resample", "rate": 16000}, {"op": "pad_or_trim", "seconds": 1}],
                        [None, 16000]), "inputs[0]")
    audio.validate(spec([{"op": "mono"}, {"op": "pad_or_trim", "samples": 100}], [None, 100, 1]), "inputs[0]")
    audio.validate(spec([{"op": "mono"}], [None, None]), "inputs[0]")  # a model that takes any length
    for steps, shape, words in [
        ([{"op": "mono"}], [None, 16000], "grows with the clip: a pad_or_trim"),
        ([{"op": "mono"}, {"op": "pad_or_trim", "samples": 100}], [None, 100, 2], r"the steps give \[1, 100\]"),
        ([{"op": "mel", "n_mels": 40}], [None, 40, None], "mel takes spectrum"),
        ([{"op": "resample"}], [None, None], "missing a required argument"),
        ([{"op": "stft", "n_fft": 512, "hop_length": 128, "pad_mode": "edge"}], [None, 257, None], "pad_mode"),
        ([{"op": "mono"}, {"op": "stft", "n_fft": "big", "hop_length": 128}], [None, 257, None],
         r"steps\[2\] \(stft\): n_fft is a whole number, got 'big'"),
        ([{"op": "mono"}, {"op": "stft", "n_fft": 512, "hop_length": 128, "center": 1}], [None, 257, None],
         "center is true or false, got 1"),
        ([{"op": "mono"}, {"op": "stft", "n_fft": 512, "hop_length": True}], [None, 257, None],
         "hop_length is a whole number, got True"),
        ([{"op": "mono"}, {"op": "log", "ref": [1]}], [None, None], "ref is a number or text, got"),
    ]:
        with pytest.raises(ValueError, match=words):
            audio.validate(spec(steps, shape), "inputs[0]")
    with pytest.raises(ValueError, match="start with"):
        audio.validate({**spec([], [None, None]), "steps": [{"op": "mono"}]}, "inputs[0]")
    with pytest.raises(ValueError, match="offers upload, record, live"):
        audio.validate(spec([{"op": "mono"}], [None, None], widgets=["camera"]), "inputs[0]")


def test_prepare_makes_a_batch_or_says_why_not(corpus):
    s = spec([{"op": "mono"}, {"op": "resample", "rate": 16000}, {"op": "pad_or_trim", "seconds": 0.5}], [None, 8000])
    files = []
    for clip in corpus[:4]:
        buffer = io.BytesIO()
        soundfile.write(buffer, clip.samples, clip.rate, format="WAV", subtype="FLOAT")
        files.append(buffer.getvalue())
    batch = audio.prepare(s, files)
    assert batch.shape == (4, 8000) and batch.dtype == np.float32
    recording = audio.prepare(s, [{"samples": corpus[0].samples.tolist(), "rate": corpus[0].rate}])
    assert np.array_equal(recording[0], batch[0]) or corpus[0].samples.ndim == 2
    free = spec([{"op": "mono"}], [None, None])
    with pytest.raises(InputError, match="different shapes"):
        audio.prepare(free, files[:2])


# ---- the page's steps against Python's, in Chromium -------------------------------------------

@pytest.fixture(scope="module")
def live_small_app(small_bundle):
    """Any app: the page's modules are served from it (the steps are imported by their URL)."""
    from clientside import create_app
    from tests.conftest import LiveServer

    with LiveServer(create_app(small_bundle)) as server:
        yield server.url


CASES = {
    "librosa mel dB": presets.input_from_librosa(sr=16000, n_fft=512, hop_length=160, n_mels=64)["steps"],
    "librosa reflect, htk, time first": presets.input_from_librosa(
        sr=22050, n_fft=1024, hop_length=256, win_length=800, pad_mode="reflect", n_mels=40, htk=True, norm=None,
        fmin=20.0, fmax=8000.0, ref=np.max, top_db=None, seconds=1.0, time_first=True)["steps"],
    # torchaudio's HTK scale, no norm, reflect padding, and magnitude dB (a dB step, then twice it)
    "torchaudio mel, magnitude dB": presets.input_from_torchaudio(
        ta.MelSpectrogram(16000, n_fft=512, hop_length=160, n_mels=40),
        ta.AmplitudeToDB("magnitude", top_db=80.0))["steps"],
    "whisper-like, 400-point FFT": [{"op": "decode"}, {"op": "mono"}, {"op": "resample", "rate": 16000},
                                    {"op": "pad_or_trim", "samples": 32000},
                                    {"op": "stft", "n_fft": 400, "hop_length": 160, "pad_mode": "reflect",
                                     "drop_last": True},
                                    {"op": "mel", "n_mels": 80, "fmax": 8000.0}, {"op": "log", "kind": "whisper"}],
    "frames, standard": [{"op": "decode"}, {"op": "mono"}, {"op": "resample", "rate": 8000},
                         {"op": "frames", "window": 256, "hop": 128, "pad_end": True},
                         {"op": "normalize", "kind": "standard"}],
    "waveform, peak": [{"op": "decode"}, {"op": "mono"}, {"op": "resample", "rate": 44100},
                       {"op": "pad_or_trim", "seconds": 0.25}, {"op": "normalize", "kind": "peak"}],
    "magnitude, ln": [{"op": "decode"}, {"op": "mono"}, {"op": "stft", "n_fft": 300, "hop_length": 100, "power": 1.0},
                      {"op": "log", "kind": "ln", "amin": 1e-5}],
}

# Clips in and results out as base64 of their bytes (float32 in, float64 out): JSON lists of a
# few million numbers took most of this test's time.
BROWSER = """async ([url, clips, cases]) => {
  const m = await import(url);
  m.useFFT(await import(new URL('../../vendor/fourier-transform.mjs', url)));
  const bytes = (b64) => Uint8Array.from(atob(b64), (c) => c.charCodeAt(0)).buffer;
  const base64 = (array) => {
    const b = new Uint8Array(array.buffer, array.byteOffset, array.byteLength);
    let s = '';
    for (let i = 0; i < b.length; i += 0x8000) s += String.fromCharCode(...b.subarray(i, i + 0x8000));
    return btoa(s);
  };
  const decoded = clips.map((c) => {
    const all = new Float32Array(bytes(c.samples));
    const n = all.length / c.channels;
    return { channels: Array.from({ length: c.channels }, (_, k) => all.subarray(k * n, (k + 1) * n)), rate: c.rate };
  });
  const out = {};
  for (const [name, steps] of Object.entries(cases)) {
    out[name] = decoded.map((c) => {
      try {
        const s = m.runSteps(m.clip(c.channels, c.rate), steps);
        const flat = new Float64Array(s.data.length * s.data[0].length);
        s.data.forEach((r, i) => flat.set(r, i * r.length));
        return { shape: [s.data.length, s.data[0].length], data: base64(flat) };
      } catch (err) {
        return { error: err.message };
      }
    });
  }
  return out;
}"""


def steps_module_url(page, url: str) -> str:
    index = page.evaluate("() => fetch('./').then((r) => r.text())")
    app = re.search(r'<script type="module" src="([^"]+)"', index).group(1)
    return urljoin(urljoin(url, app), "steps/audio.js")


def test_the_page_computes_what_python_computes(corpus, page, live_small_app):
    url = live_small_app
    page.route("**/harness.html", lambda route: route.fulfill(body="<!doctype html><title>h</title>",
                                                               content_type="text/html"))
    page.goto(url + "harness.html")
    clips = list(corpus)  # the very short ones too: where Python refuses, the page must refuse
    layouts = [np.ascontiguousarray(c.samples.T if c.samples.ndim == 2 else c.samples[None], np.float32)
               for c in clips]
    given = [{"samples": base64.b64encode(x.tobytes()).decode(), "channels": x.shape[0], "rate": c.rate}
             for c, x in zip(clips, layouts)]
    got = page.evaluate(BROWSER, [steps_module_url(page, url), given, CASES])
    worst = {}
    for name, steps in CASES.items():
        for clip, answer in zip(clips, got[name]):
            try:
                want = audio.run_steps(signal(clip), steps).data
            except (ValueError, InputError) as exc:
                assert "error" in answer, f"{name} on {clip.name}: Python refused ({exc}), the page did not"
                continue
            assert "error" not in answer, f"{name} on {clip.name}: {answer.get('error')}"
            rows = np.frombuffer(base64.b64decode(answer["data"]), np.float64).reshape(answer["shape"])
            assert rows.shape == want.shape, (name, clip.name)
            worst[name] = max(worst.get(name, 0.0), relative(rows, want))
    print(json.dumps(worst, indent=1))
    assert max(worst.values()) <= 1e-5, worst
