"""Audio inputs: a sound file (or a recording) made into what the model takes, by a declared
list of steps run here with NumPy and SciPy and in the page (static/steps/audio.js) with the
same arithmetic, in float64 until the batch is made.

    decode        the file's PCM as float32, every channel, at the file's own rate
    mono          the mean of the channels
    resample      to the model's rate: SciPy's polyphase filter (resample_poly, a Kaiser
                  window, beta 5), as librosa's res_type="polyphase"
    pad_or_trim   to a length in seconds or samples (zeros at the end)
    frames        windows of `window` samples every `hop`, for models run per window
    stft          |STFT|^power: periodic Hann window, centred with reflect or constant padding
    mel           a mel filter bank (HTK or Slaney scale, Slaney area norm or none), as librosa's
    log           power_to_db as librosa's, a natural or base-10 log, or Whisper's log10 clamp
    normalize     zero mean and unit variance, peak, or an affine (x - mean) / std
    transpose     [bins, time] -> [time, bins], for models that take time first

What a step gets and gives is a Signal: a clip ([channels, samples]), frames ([frames,
window]) or a spectrogram ([bins, time]), with the clip's rate. The browser decodes with its
own decoder at the file's own rate (never resampling): WAV and FLAC decode to the same PCM
everywhere; compressed formats (MP3, Ogg, WebM) differ between decoders by their priming
samples, so they are close, not exact.
"""
from __future__ import annotations

import io
import math
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from ..errors import InputError

Step = dict[str, Any]

#: The longest clip an input takes unless its contract says otherwise (its `max_seconds`).
DEFAULT_MAX_SECONDS = 60.0
#: Rates a decoded file may have: beyond them a header is more likely a bomb than a recording.
MIN_RATE, MAX_RATE = 3_000, 384_000  # the page's decoder (an OfflineAudioContext) takes 3 kHz and up
#: The file types the page accepts and soundfile (libsndfile) decodes here.
FORMATS = ("wav", "flac", "mp3", "ogg", "webm")


@dataclass(frozen=True)
class Signal:
    """What flows between the steps: data (float64) of one kind, and the clip's sampling rate."""

    data: np.ndarray
    rate: int
    what: str  # "clip" [channels, samples] | "frames" [frames, window] | "spectrum" [bins, time]
    n_fft: int = 0  # of a spectrum: the FFT size it came from (its bins are n_fft // 2 + 1)
    scale: str = "linear"  # of a spectrum: "linear" (frequency bins) or "mel"


def _need(signal: Signal, *what: str, op: str) -> None:
    if signal.what not in what:
        raise ValueError(f"{op} takes {' or '.join(what)}, not {signal.what} (put it where the steps give that)")


# ---- decoding -------------------------------------------------------------------------------

def decode_bytes(data: bytes, max_seconds: float = DEFAULT_MAX_SECONDS, name: str = "the file") -> Signal:
    """The file's PCM (float32 values, in float64), [channels, samples], at its own rate.
    Refuses, as an InputError: an empty file, one no decoder reads, a rate outside
    MIN_RATE..MAX_RATE, a clip longer than max_seconds (read no further than that)."""
    if not data:
        raise InputError(f"{name} is empty", status=422)
    try:
        import soundfile
    except ImportError:  # pragma: no cover - the audio extra
        raise InputError("this server cannot read audio files: pip install 'clientside[audio]'", status=501) from None
    try:
        with soundfile.SoundFile(io.BytesIO(data)) as f:
            rate, frames = int(f.samplerate), int(f.frames)
            if not MIN_RATE <= rate <= MAX_RATE:
                raise InputError(f"{name}: a sampling rate of {rate} Hz is not one a recording has "
                                 f"({MIN_RATE:,} to {MAX_RATE:,} Hz)", status=422)
            limit = math.floor(max_seconds * rate)
            if frames > limit:
                raise InputError(f"{name} is {frames / rate:.1f} s long; this model takes at most "
                                 f"{max_seconds:g} s", status=413)
            pcm = f.read(limit + 1, dtype="float32", always_2d=True)
    except InputError:
        raise
    except Exception as exc:  # noqa: BLE001 - libsndfile's own errors: a file it cannot read
        said = re.sub(r"^Error opening .*?: ", "", str(exc).splitlines()[0])  # not the BytesIO's repr
        raise InputError(f"{name} is not a sound file this server can read ({FORMATS_SAID}): {said[:200]}",
                         status=415) from None
    if len(pcm) > limit:  # a header that under-reports its length
        raise InputError(f"{name} is longer than {max_seconds:g} s, the most this model takes", status=413)
    if len(pcm) == 0:
        raise InputError(f"{name} holds no samples", status=422)
    return Signal(pcm.T.astype(np.float64), rate, "clip")


FORMATS_SAID = "WAV, FLAC, MP3 or Ogg"


def from_samples(samples: Any, rate: int) -> Signal:
    """A recording as [channels, samples] or [samples] float values at rate."""
    x = np.asarray(samples, dtype=np.float32).astype(np.float64)
    return Signal(x[None] if x.ndim == 1 else x, int(rate), "clip")


# ---- the steps ------------------------------------------------------------------------------

def decode(signal: Signal) -> Signal:
    """Marks where the file is read: prepare() decodes before the first step, so this step
    only checks that it comes first and gets a clip."""
    _need(signal, "clip", op="decode")
    return signal


def mono(signal: Signal) -> Signal:
    _need(signal, "clip", op="mono")
    return replace(signal, data=signal.data.mean(axis=0, keepdims=True))


def resample(signal: Signal, rate: int) -> Signal:
    """SciPy's resample_poly from the clip's rate to `rate` (up/down reduced by their gcd;
    the default Kaiser window, beta 5.0), channel by channel."""
    _need(signal, "clip", op="resample")
    if int(rate) <= 0:
        raise ValueError(f"resample: rate must be positive, got {rate}")
    if signal.rate == rate:
        return signal
    from scipy.signal import resample_poly

    g = math.gcd(signal.rate, int(rate))
    data = resample_poly(signal.data, int(rate) // g, signal.rate // g, axis=-1)
    return Signal(np.asarray(data, np.float64), int(rate), "clip")


def pad_or_trim(signal: Signal, seconds: float | None = None, samples: int | None = None) -> Signal:
    """To exactly `samples` (or `seconds` at the clip's rate, rounded down) per channel: zeros
    at the end, or the end cut off."""
    _need(signal, "clip", op="pad_or_trim")
    if (seconds is None) == (samples is None):
        raise ValueError("pad_or_trim takes one of seconds or samples")
    n = int(samples) if samples is not None else math.floor(float(seconds) * signal.rate)  # type: ignore[arg-type]
    if n <= 0:
        raise ValueError(f"pad_or_trim: the length must be positive, got {n}")
    data = signal.data[:, :n]
    if data.shape[1] < n:
        data = np.pad(data, ((0, 0), (0, n - data.shape[1])))
    return replace(signal, data=data)


def frames(signal: Signal, window: int, hop: int, pad_end: bool = False) -> Signal:
    """Windows of `window` samples every `hop` samples of a mono clip: [frames, window]. A
    clip shorter than one window is padded with zeros to one; pad_end: zeros at the end so
    that the last samples start a window of their own."""
    _need(signal, "clip", op="frames")
    if window <= 0 or hop <= 0:
        raise ValueError(f"frames: window and hop must be positive, got {window} and {hop}")
    if signal.data.shape[0] != 1:
        raise ValueError("frames takes a mono clip: put mono before it")
    x = signal.data[0]
    n = len(x)
    count = 1 + max(0, -(-(n - window) // hop) if pad_end else (n - window) // hop)
    need = (count - 1) * hop + window
    if need > n:
        x = np.pad(x, (0, need - n))
    index = np.arange(window)[None, :] + hop * np.arange(count)[:, None]
    return replace(signal, data=x[index], what="frames")


def hann(length: int) -> np.ndarray:
    """The periodic Hann window (scipy.signal.get_window("hann", length), librosa's and
    torch's default), in float64."""
    return 0.5 - 0.5 * np.cos(2.0 * np.pi * np.arange(length) / length)


def stft(signal: Signal, n_fft: int, hop_length: int, win_length: int | None = None, center: bool = True,
         pad_mode: str = "constant", power: float = 2.0, drop_last: bool = False) -> Signal:
    """|STFT|^power of a mono clip, [n_fft // 2 + 1, frames], as librosa.stft: a periodic
    Hann window of win_length centred in n_fft; with center, the clip padded by n_fft // 2 on
    both sides (constant zeros, librosa's default since 0.10; or reflect, torch's and
    Whisper's). drop_last: the last frame left out (Whisper's)."""
    _need(signal, "clip", op="stft")
    if signal.data.shape[0] != 1:
        raise ValueError("stft takes a mono clip: put mono before it")
    if pad_mode not in ("reflect", "constant"):
        raise ValueError(f"stft: pad_mode is reflect or constant, got {pad_mode!r}")
    if power not in (1.0, 2.0):
        raise ValueError(f"stft: power is 1 (magnitude) or 2 (power), got {power}")
    win = int(win_length or n_fft)
    if not 0 < win <= n_fft or hop_length <= 0:
        raise ValueError(f"stft: need 0 < win_length <= n_fft and hop_length > 0 (got {win}, {n_fft}, {hop_length})")
    window = np.zeros(n_fft)
    start = (n_fft - win) // 2
    window[start:start + win] = hann(win)
    x = signal.data[0]
    if center:
        if pad_mode == "reflect" and len(x) <= n_fft // 2:
            raise InputError(f"the clip is {len(x)} samples: too short for a reflect-padded STFT of {n_fft}",
                             status=422)
        x = np.pad(x, n_fft // 2, mode="reflect" if pad_mode == "reflect" else "constant")
    if len(x) < n_fft:
        raise InputError(f"the clip is {len(x)} samples, shorter than one STFT window of {n_fft}", status=422)
    count = 1 + (len(x) - n_fft) // hop_length
    index = np.arange(n_fft)[None, :] + hop_length * np.arange(count)[:, None]
    spectrum = np.fft.rfft(x[index] * window, axis=1)
    magnitude = np.abs(spectrum) if power == 1.0 else spectrum.real ** 2 + spectrum.imag ** 2
    if drop_last:
        magnitude = magnitude[:-1]
    return Signal(np.ascontiguousarray(magnitude.T), signal.rate, "spectrum", n_fft=n_fft)


def hz_to_mel(hz: np.ndarray, htk: bool) -> np.ndarray:
    hz = np.asanyarray(hz, dtype=np.float64)
    if htk:
        return 2595.0 * np.log10(1.0 + hz / 700.0)
    f_sp = 200.0 / 3
    mels = hz / f_sp
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(hz >= min_log_hz, min_log_mel + np.log(np.maximum(hz, min_log_hz) / min_log_hz) / logstep, mels)


def mel_to_hz(mels: np.ndarray, htk: bool) -> np.ndarray:
    mels = np.asanyarray(mels, dtype=np.float64)
    if htk:
        return 700.0 * (10.0 ** (mels / 2595.0) - 1.0)
    f_sp = 200.0 / 3
    freqs = f_sp * mels
    min_log_hz = 1000.0
    min_log_mel = min_log_hz / f_sp
    logstep = math.log(6.4) / 27.0
    return np.where(mels >= min_log_mel, min_log_hz * np.exp(logstep * (mels - min_log_mel)), freqs)


def mel_filters(rate: int, n_fft: int, n_mels: int, fmin: float = 0.0, fmax: float | None = None,
                htk: bool = False, norm: str | None = "slaney") -> np.ndarray:
    """[n_mels, n_fft // 2 + 1]: librosa.filters.mel's triangles, in float64."""
    fmax = rate / 2.0 if fmax is None else float(fmax)
    fft_freqs = np.fft.rfftfreq(n_fft, 1.0 / rate)
    mel_f = mel_to_hz(np.linspace(hz_to_mel(np.array(fmin), htk), hz_to_mel(np.array(fmax), htk), n_mels + 2), htk)
    fdiff = np.diff(mel_f)
    ramps = mel_f[:, None] - fft_freqs[None, :]
    lower = -ramps[:-2] / fdiff[:-1, None]
    upper = ramps[2:] / fdiff[1:, None]
    weights = np.maximum(0.0, np.minimum(lower, upper))
    if norm == "slaney":
        weights *= (2.0 / (mel_f[2:n_mels + 2] - mel_f[:n_mels]))[:, None]
    return weights


def mel(signal: Signal, n_mels: int, fmin: float = 0.0, fmax: float | None = None, htk: bool = False,
        norm: str | None = "slaney") -> Signal:
    """A linear spectrogram through librosa's mel filter bank: [n_mels, time]."""
    _need(signal, "spectrum", op="mel")
    if signal.scale != "linear":
        raise ValueError("mel takes a linear spectrogram (from stft), not one already on the mel scale")
    if norm not in ("slaney", None):
        raise ValueError(f"mel: norm is 'slaney' or null, got {norm!r}")
    if fmax is not None and not fmin < fmax <= signal.rate / 2:
        raise ValueError(f"mel: need fmin < fmax <= {signal.rate / 2:g} (half the rate), got {fmin}, {fmax}")
    filters = mel_filters(signal.rate, signal.n_fft, int(n_mels), float(fmin), fmax, bool(htk), norm)
    return replace(signal, data=filters @ signal.data, scale="mel")


LOGS = ("db", "ln", "log10", "whisper")


def log(signal: Signal, kind: str = "db", ref: float | str = 1.0, amin: float = 1e-10,
        top_db: float | None = 80.0) -> Signal:
    """db: librosa.power_to_db(S, ref, amin, top_db) (ref a number or "max"); ln, log10:
    log(max(S, amin)); whisper: log10(max(S, 1e-10)), floored at its maximum - 8, then
    (x + 4) / 4, as Whisper's feature extractor."""
    _need(signal, "spectrum", "frames", op="log")
    if kind not in LOGS:
        raise ValueError(f"log: kind is one of {', '.join(LOGS)}, got {kind!r}")
    s = signal.data
    if kind == "db":
        if ref != "max" and not (isinstance(ref, (int, float)) and ref > 0):
            raise ValueError(f"log: ref is a positive number or 'max', got {ref!r}")
        base = float(np.max(s)) if ref == "max" else float(ref)
        out = 10.0 * np.log10(np.maximum(amin, s)) - 10.0 * np.log10(max(amin, base))
        if top_db is not None:
            out = np.maximum(out, out.max() - float(top_db))
    elif kind == "ln":
        out = np.log(np.maximum(s, amin))
    elif kind == "log10":
        out = np.log10(np.maximum(s, amin))
    else:
        out = np.log10(np.maximum(s, 1e-10))
        out = (np.maximum(out, out.max() - 8.0) + 4.0) / 4.0
    return replace(signal, data=out)


NORMALIZE = ("standard", "peak", "affine")


def normalize(signal: Signal, kind: str = "standard", mean: float = 0.0, std: float = 1.0) -> Signal:
    """standard: (x - mean(x)) / sqrt(var(x) + 1e-7), as wav2vec2's feature extractor;
    peak: x / max|x| (silence stays zeros); affine: (x - mean) / std with the numbers given."""
    if kind not in NORMALIZE:
        raise ValueError(f"normalize: kind is one of {', '.join(NORMALIZE)}, got {kind!r}")
    x = signal.data
    if kind == "standard":
        out = (x - x.mean()) / np.sqrt(x.var() + 1e-7)
    elif kind == "peak":
        peak = float(np.abs(x).max())
        out = x / peak if peak > 0 else x.copy()
    else:
        if not std:
            raise ValueError("normalize: std must not be 0")
        out = (x - float(mean)) / float(std)
    return replace(signal, data=out)


def transpose(signal: Signal) -> Signal:
    """The two axes swapped: a spectrogram [bins, time] to [time, bins]."""
    if signal.data.ndim != 2:
        raise ValueError("transpose takes a 2-D signal")
    return replace(signal, data=np.ascontiguousarray(signal.data.T))


#: How an audio input may be given on the page: a file, a recording, or live from the microphone
#: (a sliding window of the clip's length, predicted again and again).
WIDGETS = ("upload", "record", "live")

STEPS: dict[str, Callable[..., Any]] = {
    "decode": decode, "mono": mono, "resample": resample, "pad_or_trim": pad_or_trim, "frames": frames,
    "stft": stft, "mel": mel, "log": log, "normalize": normalize, "transpose": transpose,
}


# ---- the kind: validate, prepare ------------------------------------------------------------

def validate(spec: dict[str, Any], where: str) -> None:
    """The steps: known, with their parameters, `decode` first; and they run on a second of
    a tone at 16 kHz into the item shape the model takes."""
    from .common import check_params

    steps = spec.get("steps") or []
    check_params(steps, STEPS, f"{where}.steps")
    if not steps or steps[0]["op"] != "decode":
        raise ValueError(f"{where}.steps: an audio input's steps start with {{\"op\": \"decode\"}}")
    if any(s["op"] == "decode" for s in steps[1:]):
        raise ValueError(f"{where}.steps: decode comes once, first")
    odd = [w for w in spec.get("widgets", []) if w not in WIDGETS]
    if odd:
        raise ValueError(f"{where}.widgets: an audio input offers {', '.join(WIDGETS)}, not {', '.join(odd)}")
    seconds = spec.get("max_seconds", DEFAULT_MAX_SECONDS)
    if not isinstance(seconds, (int, float)) or not 0 < seconds <= 3600:
        raise ValueError(f"{where}.max_seconds: a number of seconds up to 3600, got {seconds!r}")
    for i, step in enumerate(steps):
        _check_types(step, f"{where}.steps[{i}] ({step['op']})")
    # two tones of different lengths: a model of a set length needs steps that set it
    tones = [from_samples(0.5 * np.sin(2 * np.pi * 440 * np.arange(n) / 16000), 16000) for n in (12000, 20000)]
    try:
        outs = [run_steps(tone, steps) for tone in tones]
    except InputError:
        return  # a refusal a real clip could also get: the parameters themselves are usable
    except ValueError as exc:
        raise ValueError(f"{where}.steps: {exc}") from None
    try:
        for out in outs:
            fit(out, spec, where)
    except ValueError as exc:
        follows = outs[0].data.shape != outs[1].data.shape
        raise ValueError(f"{exc}" + ("; what the steps give grows with the clip: a pad_or_trim (or frames) step "
                                     "sets its length" if follows else "")) from None


def _check_types(step: Step, where: str) -> None:
    """Each parameter of the kind its step function declares (a number, a word, true or
    false; null where it may be left out), so that a wrong one is named, not met mid-run."""
    import inspect

    kinds = {"int": (int,), "float": (int, float), "str": (str,), "bool": (bool,)}
    parameters = inspect.signature(STEPS[step["op"]]).parameters
    for name, value in step.items():
        if name == "op" or name not in parameters:
            continue
        declared = str(parameters[name].annotation).replace(" ", "").split("|")
        if value is None and "None" in declared:
            continue
        allowed = tuple(t for d in declared for t in kinds.get(d, ()))
        numeric = bool(allowed) and bool not in allowed and isinstance(value, bool)
        if allowed and (not isinstance(value, allowed) or numeric):
            words = {"int": "a whole number", "float": "a number", "str": "text", "bool": "true or false",
                     "None": "null"}
            said = " or ".join(words.get(d, d) for d in declared)
            raise ValueError(f"{where}: {name} is {said}, got {value!r}")


def run_steps(signal: Signal, steps: Sequence[Step]) -> Signal:
    for s in steps:
        signal = STEPS[s["op"]](signal, **{k: v for k, v in s.items() if k != "op"})
    return signal


def fit(signal: Signal, spec: dict[str, Any], where: str) -> np.ndarray:
    """The steps' result as the model's item shape: as it is, or with axes of 1 added or taken
    away where the sizes are the same in the same order (a clip [1, n] for [n] or [n, 1]).
    Anything else is refused: the steps must say it (mono, transpose)."""
    x = signal.data
    want = spec["shape"][1:]
    core = [d for d in x.shape if d != 1]
    wanted = [d for d in want if d != 1]
    if len(core) == len(wanted) and all(w is None or w == d for w, d in zip(wanted, core)):
        return x.reshape([d if d is not None else -1 for d in _sized(want, x.shape)])
    raise ValueError(f"{where}: the steps give {list(x.shape)} ({signal.what}); the model takes "
                     f"[{', '.join('any' if d is None else str(d) for d in want)}] per item")


def _sized(want: list[int | None], got: tuple[int, ...]) -> list[int | None]:
    """want with its free sizes filled from got's sizes other than 1, in order."""
    sizes = iter(d for d in got if d != 1)
    return [d if d is not None else next(sizes, 1) for d in want]


def prepare(spec: dict[str, Any], items: Sequence[Any], limits: Any = None,
            names: Sequence[str] | None = None) -> np.ndarray:
    """A batch from items: each a file's bytes, or {"samples": [...], "rate": n} (a recording
    already in numbers, as JSON gives it). names: what errors call each item (file names)."""
    from .common import as_batch

    seconds = float(spec.get("max_seconds", DEFAULT_MAX_SECONDS))
    rows = []
    for i, item in enumerate(items):
        name = names[i] if names is not None else f"{spec['name']}[{i}]"
        if isinstance(item, (bytes, bytearray)):
            signal = decode_bytes(bytes(item), seconds, name)
        elif isinstance(item, dict) and "samples" in item and "rate" in item:
            signal = _recording(item, seconds, name)
        else:
            raise InputError(f"{name}: expected a sound file, or {{\"samples\": [...], \"rate\": n}}", status=422)
        try:
            rows.append(fit(run_steps(signal, spec["steps"]), spec, name))
        except ValueError as exc:
            raise InputError(str(exc), status=422) from None
    if len({r.shape for r in rows}) > 1:
        raise InputError(f"{spec['name']}: the clips give different shapes "
                         f"({', '.join(str(list(r.shape)) for r in rows)}): give the steps a pad_or_trim", status=422)
    return as_batch(rows, spec.get("dtype", "float32"))


def _recording(item: dict[str, Any], seconds: float, name: str) -> Signal:
    try:
        rate = int(item["rate"])
        x = np.asarray(item["samples"], dtype=np.float64)
    except (TypeError, ValueError):
        raise InputError(f"{name}: samples must be numbers and rate an integer", status=422) from None
    if not MIN_RATE <= rate <= MAX_RATE:
        raise InputError(f"{name}: a sampling rate of {rate} Hz is out of range", status=422)
    if x.ndim not in (1, 2) or x.size == 0 or not np.isfinite(x).all():
        raise InputError(f"{name}: samples must be a non-empty list (or a list per channel) of finite numbers",
                         status=422)
    if x.shape[-1] > seconds * rate:
        raise InputError(f"{name} is {x.shape[-1] / rate:.1f} s long; this model takes at most {seconds:g} s",
                         status=413)
    return from_samples(x, rate)
