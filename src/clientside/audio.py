"""Audio inputs from the objects users have: each preset gives the part of an input entry
(`kind`, `steps`) that makes the page and /api/prepare compute what the library computes,
and refuses the settings the steps cannot reproduce, naming them.

    export(model, "out", preprocess=clientside.audio.input_from_librosa(sr=16000, n_mels=64))
    export(model, "out", preprocess=clientside.audio.input_from_whisper_feature_extractor(fe))

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


__all__ = ["PresetError", "input_from_librosa", "input_from_samples", "input_from_whisper_feature_extractor"]
