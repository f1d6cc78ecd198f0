"""Audio inputs from the objects users have: each preset gives the part of an input entry
(`kind`, `steps`) that makes the page and /api/prepare compute what the library computes,
and refuses the settings the steps cannot reproduce, naming them.

    export(model, "out", preprocess=clientside.audio.input_from_librosa(sr=16000, n_mels=64))
    export(model, "out", preprocess=clientside.audio.input_from_whisper_feature_extractor(fe))
    export(model, "out", preprocess=clientside.audio.input_from_torchaudio(mel, to_db))

The steps themselves are clientside/steps/audio.py (and static/steps/audio.js).
"""
from __future__ import annotations

from typing import Any

import numpy as np

from .steps import audio as steps

Doc = dict[str, Any]


class PresetError(ValueError):
    """A setting of the library's object that the audio steps cannot reproduce."""


def _entry(chain: list[dict[str, Any]], max_seconds: float | None, widgets: tuple[str, ...] | None) -> Doc:
    """widgets: those the page offers; by default none is written, so the page offers all
    it has (steps.WIDGETS, and any a later version adds)."""
    doc: Doc = {"kind": "audio", "steps": [{"op": "decode"}, *chain]}
    if widgets is not None:
        doc["widgets"] = list(widgets)
    if max_seconds is not None:
        doc["max_seconds"] = float(max_seconds)
    return doc


def clip_steps(sr: int, seconds: float | None = None, samples: int | None = None, mono: bool = True) -> list[Doc]:
    """decode's clip made mono, at sr, of a set length (if one is given)."""
    chain: list[Doc] = [{"op": "mono"}] if mono else []
    chain.append({"op": "resample", "rate": int(sr)})
    if seconds is not None or samples is not None:
        chain.append({"op": "pad_or_trim", **({"samples": int(samples)} if samples is not None
                                              else {"seconds": float(seconds)})})  # type: ignore[arg-type]
    return chain


def input_from_samples(sr: int, seconds: float | None = None, samples: int | None = None, *,
                       max_seconds: float | None = None, widgets: tuple[str, ...] | None = None) -> Doc:
    """A model that takes the waveform itself (a Keras model with its own MelSpectrogram
    layer, a wav2vec-style model): mono, at sr, padded or cut to a length if given."""
    return _entry(clip_steps(sr, seconds, samples), max_seconds, widgets)


def input_from_librosa(sr: int, *, n_fft: int = 2048, hop_length: int | None = None, win_length: int | None = None,
                       window: Any = "hann", center: bool = True, pad_mode: str = "constant", power: float = 2.0,
                       n_mels: int = 128, fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
                       norm: Any = "slaney", to_db: bool = True, ref: Any = 1.0, amin: float = 1e-10,
                       top_db: float | None = 80.0, seconds: float | None = None, time_first: bool = False,
                       max_seconds: float | None = None, widgets: tuple[str, ...] | None = None) -> Doc:
    """What `librosa.power_to_db(librosa.feature.melspectrogram(y=y, sr=sr, ...), ref=..., amin=...,
    top_db=...)` gives for a clip loaded with `librosa.load(path, sr=sr)` (mono, resampled),
    [n_mels, frames]; time_first: [frames, n_mels]. seconds: the clip padded or cut first.
    librosa.load's default resampler is soxr; the steps resample with resample_poly
    (librosa's res_type="polyphase"), so load with that for the same numbers, or at the
    file's own rate."""
    if not (window == "hann" or window == ("hann",)):
        raise PresetError(f"window={window!r}: the steps' STFT uses librosa's default, a periodic Hann window")
    if norm not in ("slaney", None):
        raise PresetError(f"norm={norm!r}: the steps' mel filters take norm='slaney' or norm=None")
    if pad_mode not in ("constant", "reflect"):
        raise PresetError(f"pad_mode={pad_mode!r}: the steps pad with 'constant' (zeros) or 'reflect'")
    if power not in (1.0, 2.0):
        raise PresetError(f"power={power}: the steps take 1 (magnitude) or 2 (power)")
    if callable(ref):
        if ref is not np.max:
            raise PresetError(f"ref={ref!r}: the steps take a number or np.max")
        ref = "max"
    chain = clip_steps(sr, seconds)
    chain.append({"op": "stft", "n_fft": int(n_fft), "hop_length": int(hop_length or (win_length or n_fft) // 4),
                  "win_length": int(win_length) if win_length else None, "center": bool(center),
                  "pad_mode": pad_mode, "power": float(power)})
    chain.append({"op": "mel", "n_mels": int(n_mels), "fmin": float(fmin),
                  "fmax": float(fmax) if fmax is not None else None, "htk": bool(htk), "norm": norm})
    if to_db:
        chain.append({"op": "log", "kind": "db", "ref": ref if ref == "max" else float(ref), "amin": float(amin),
                      "top_db": float(top_db) if top_db is not None else None})
    if time_first:
        chain.append({"op": "transpose"})
    return _entry(chain, max_seconds, widgets)


def input_from_whisper_feature_extractor(fe: Any, *, max_seconds: float | None = None,
                                         widgets: tuple[str, ...] | None = None) -> Doc:
    """What transformers' WhisperFeatureExtractor gives (its numpy path): the clip at its
    sampling rate, padded or cut to its chunk (30 s), a reflect-padded STFT of n_fft with
    hop_length, the last frame left out, its mel filters (80 or 128, Slaney), Whisper's log.
    Refused where it would differ: dithering, a padding value other than 0, filters other
    than the Slaney ones the steps make."""
    rate, n_fft, hop, n_mels = int(fe.sampling_rate), int(fe.n_fft), int(fe.hop_length), int(fe.feature_size)
    if float(getattr(fe, "dither", 0.0) or 0.0) != 0.0:
        raise PresetError(f"dither={fe.dither}: the steps add no noise; make the feature extractor with dither=0.0")
    if float(getattr(fe, "padding_value", 0.0) or 0.0) != 0.0:
        raise PresetError(f"padding_value={fe.padding_value}: the steps pad with zeros")
    if getattr(fe, "padding_side", "right") != "right":
        raise PresetError(f"padding_side={fe.padding_side!r}: the steps pad at the end")
    filters = steps.mel_filters(rate, n_fft, n_mels, 0.0, rate / 2.0, htk=False, norm="slaney")
    theirs = np.asarray(fe.mel_filters, dtype=np.float64)
    if theirs.shape != filters.T.shape or np.abs(theirs - filters.T).max() > 1e-6 * np.abs(filters).max():
        raise PresetError("mel_filters: these are not the Slaney filters from 0 to half the sampling rate that the "
                          "steps make")
    chain = clip_steps(rate, samples=int(fe.n_samples))
    chain.append({"op": "stft", "n_fft": n_fft, "hop_length": hop, "win_length": None, "center": True,
                  "pad_mode": "reflect", "power": 2.0, "drop_last": True})
    chain.append({"op": "mel", "n_mels": n_mels, "fmin": 0.0, "fmax": rate / 2.0, "htk": False, "norm": "slaney"})
    chain.append({"op": "log", "kind": "whisper"})
    return _entry(chain, max_seconds, widgets)


def _torchaudio_stft(spec: Any) -> Doc:
    """The stft step of a torchaudio.transforms.Spectrogram, or the reason it has none."""
    if spec.power not in (1.0, 2.0):
        raise PresetError(f"power={spec.power}: the steps take 1 (magnitude) or 2 (power), not a complex spectrogram")
    if spec.normalized:
        raise PresetError(f"normalized={spec.normalized!r}: the steps do not scale the STFT by the window; "
                          "make the transform with normalized=False")
    if spec.pad:
        raise PresetError(f"pad={spec.pad}: the steps add no zeros around the clip; make the transform with pad=0 "
                          "(or pad the clip with seconds=)")
    if spec.onesided is False:
        raise PresetError("onesided=False: the steps keep the n_fft // 2 + 1 bins of a one-sided STFT")
    if spec.center and spec.pad_mode not in ("reflect", "constant"):
        raise PresetError(f"pad_mode={spec.pad_mode!r}: the steps pad with 'reflect' (torch's default) or "
                          "'constant' (zeros)")
    n_fft, win = int(spec.n_fft), int(spec.win_length)
    window = np.asarray(spec.window.detach().cpu().double().numpy())
    if window.shape != (win,) or np.abs(window - steps.hann(win)).max() > 1e-6:
        raise PresetError("window_fn: the steps' STFT uses a periodic Hann window (torch.hann_window, the "
                          "transform's default); this transform's window is another")
    return {"op": "stft", "n_fft": n_fft, "hop_length": int(spec.hop_length),
            "win_length": win if win != n_fft else None, "center": bool(spec.center), "pad_mode": spec.pad_mode,
            "power": float(spec.power)}


def _torchaudio_mel(scale: Any, rate: int, n_fft: int) -> Doc:
    """The mel step of a torchaudio.transforms.MelScale, held to its own filter bank."""
    if scale.norm not in ("slaney", None):
        raise PresetError(f"norm={scale.norm!r}: the steps' mel filters take norm='slaney' or norm=None")
    if rate % 2 or n_fft % 2:
        odd = f"sample_rate={rate}" if rate % 2 else f"n_fft={n_fft}"
        raise PresetError(f"{odd}: torchaudio places its bins from 0 to sample_rate // 2 in whole hertz, where the "
                          "steps (as librosa) place them at k * sample_rate / n_fft; they agree only when both are "
                          "even")
    step = {"op": "mel", "n_mels": int(scale.n_mels), "fmin": float(scale.f_min), "fmax": float(scale.f_max),
            "htk": scale.mel_scale == "htk", "norm": scale.norm}
    filters = steps.mel_filters(rate, n_fft, step["n_mels"], step["fmin"], step["fmax"], step["htk"], step["norm"])
    theirs = np.asarray(scale.fb.detach().cpu().double().numpy()).T
    # torchaudio makes its filters in float32: they round there (1.2e-5 of the peak for its
    # default 128 HTK filters); a setting the steps read wrong would differ by far more
    if theirs.shape != filters.shape or np.abs(theirs - filters).max() > 1e-4 * np.abs(filters).max():
        raise PresetError(f"mel_scale={scale.mel_scale!r}: these filters are not the ones the steps make from the "
                          "transform's settings")
    return step


def input_from_torchaudio(transform: Any, to_db: Any = None, *, sample_rate: int | None = None,
                          seconds: float | None = None, time_first: bool = False, max_seconds: float | None = None,
                          widgets: tuple[str, ...] | None = None) -> Doc:
    """What `to_db(transform(waveform))` gives for a mono waveform at the transform's rate:
    transform a torchaudio.transforms.MelSpectrogram (or a Spectrogram, with sample_rate),
    to_db an AmplitudeToDB or None; [n_mels, frames], time_first: [frames, n_mels].
    seconds: the clip padded or cut first. The steps resample with resample_poly, not
    torchaudio's Resample (a windowed sinc of its own): train on clips at the model's rate,
    or resampled the same way, for the same numbers."""
    from torchaudio import transforms as ta

    if isinstance(transform, ta.MelSpectrogram):
        spec, scale, rate = transform.spectrogram, transform.mel_scale, int(transform.sample_rate)
    elif isinstance(transform, ta.Spectrogram):
        spec, scale, rate = transform, None, int(sample_rate or 0)
    else:
        raise PresetError(f"{type(transform).__name__}: the steps reproduce torchaudio's MelSpectrogram and "
                          "Spectrogram (then AmplitudeToDB)")
    stft = _torchaudio_stft(spec)
    if not rate:
        raise PresetError("a Spectrogram has no sample rate: give sample_rate=, the rate the model's clips have")
    chain = clip_steps(rate, seconds)
    chain.append(stft)
    if scale is not None:
        chain.append(_torchaudio_mel(scale, rate, stft["n_fft"]))
    if to_db is not None:
        if not isinstance(to_db, ta.AmplitudeToDB):
            raise PresetError(f"{type(to_db).__name__}: to_db is an AmplitudeToDB or None")
        top_db = float(to_db.top_db) if to_db.top_db is not None else None
        if float(to_db.multiplier) not in (10.0, 20.0):
            raise PresetError(f"multiplier={to_db.multiplier}: the steps take stype='power' (10) or 'magnitude' (20)")
        # the steps' dB is 10 log10; magnitude's 20 log10 is twice that, floored at half top_db
        twice = float(to_db.multiplier) == 20.0
        chain.append({"op": "log", "kind": "db", "ref": float(10.0 ** to_db.db_multiplier), "amin": float(to_db.amin),
                      "top_db": top_db / 2.0 if twice and top_db is not None else top_db})
        if twice:
            chain.append({"op": "normalize", "kind": "affine", "mean": 0.0, "std": 0.5})
    if time_first:
        chain.append({"op": "transpose"})
    return _entry(chain, max_seconds, widgets)


__all__ = ["PresetError", "input_from_librosa", "input_from_samples", "input_from_torchaudio",
           "input_from_whisper_feature_extractor"]
