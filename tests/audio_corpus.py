"""Sound files for the audio tests, made on this machine without the internet: speech from
espeak-ng (several voices, speeds and pitches), pink and brown noise and plucked strings from
sox, tones, sweeps, noise, silence and clipping from NumPy; at 8, 16, 22.05, 44.1 and 48 kHz,
mono and stereo, from 5 ms to 2 s; written as WAV (16-bit and float) and FLAC, and encoded to
MP3, Ogg and WebM by ffmpeg for the decoders' tests. espeak-ng, sox and ffmpeg come from
Debian (scripts/ensure-system-packages); a missing one fails the tests, it never thins the
corpus."""
from __future__ import annotations

import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np

RATES = (8000, 16000, 22050, 44100, 48000)
WORDS = ("yes", "no", "up", "down", "left", "right", "stop", "go", "on", "off", "zero", "one")
VOICES = ("en", "en+f3", "en+m3", "en-us", "en+f4")


@dataclass(frozen=True)
class Clip:
    name: str
    samples: np.ndarray  # float32, [samples] or [samples, channels] (soundfile's layout)
    rate: int
    what: str  # speech, tone, sweep, noise, silence, clipped, short


def _speech(word: str, voice: str, speed: int, pitch: int, tmp: Path) -> tuple[np.ndarray, int]:
    import soundfile

    out = tmp / f"{word}-{voice}-{speed}-{pitch}.wav"
    subprocess.run(["espeak-ng", "-v", voice, "-s", str(speed), "-p", str(pitch), "-w", str(out), word],
                   check=True, capture_output=True)
    x, rate = soundfile.read(out, dtype="float32")
    return x, rate


def _sox(name: str, rate: int, channels: int, synth: list[str], tmp: Path) -> Clip:
    """sox's own generators (-R: the same noise every run)."""
    import soundfile

    out = tmp / f"{name}.wav"
    subprocess.run(["sox", "-R", "-n", "-r", str(rate), "-b", "16", "-c", str(channels), str(out), "synth", *synth],
                   check=True, capture_output=True)
    x, got = soundfile.read(out, dtype="float32")
    assert got == rate
    return Clip(name, x, rate, "noise" if "noise" in synth[1] else "tone")


def _resampled(x: np.ndarray, rate: int, to: int) -> np.ndarray:
    """A clip at another rate, to have speech at every rate (how it got there does not matter)."""
    from scipy.signal import resample_poly

    g = np.gcd(rate, to)
    return resample_poly(x, to // g, rate // g, axis=0).astype(np.float32)


def clips(tmp: Path) -> list[Clip]:
    """At least 50 clips: every kind at several rates, some stereo."""
    rng = np.random.default_rng(0)
    out: list[Clip] = []
    for tool in ("espeak-ng", "sox"):
        if not shutil.which(tool):
            raise RuntimeError(f"{tool} is missing: ./scripts/ensure-system-packages installs it")
    for i, word in enumerate(WORDS):
        voice = VOICES[i % len(VOICES)]
        x, rate = _speech(word, voice, 120 + 20 * (i % 4), 30 + 10 * (i % 5), tmp)
        to = RATES[i % len(RATES)]
        x = _resampled(x, rate, to) if to != rate else x
        if i % 3 == 0:  # stereo: the word, and the word quieter a little later
            late = np.concatenate([np.zeros(to // 100, np.float32), 0.5 * x])[: len(x)]
            x = np.stack([x, late], axis=1)
        out.append(Clip(f"speech-{word}-{to}", x.astype(np.float32), to, "speech"))
    for rate in RATES:
        t = np.arange(int(rate * 1.0)) / rate
        out.append(Clip(f"tone-440-{rate}", (0.5 * np.sin(2 * np.pi * 440 * t)).astype(np.float32), rate, "tone"))
        chord = 0.3 * np.sin(2 * np.pi * 261.6 * t) + 0.3 * np.sin(2 * np.pi * 329.6 * t)
        out.append(Clip(f"chord-{rate}", chord.astype(np.float32), rate, "tone"))
        sweep = 0.5 * np.sin(2 * np.pi * (50 * t + (rate / 4 - 50) / 2 * t * t))  # 50 Hz up to rate/4
        out.append(Clip(f"sweep-{rate}", sweep.astype(np.float32), rate, "sweep"))
        noise = rng.normal(0, 0.2, size=int(rate * 0.7)).clip(-1, 1)
        out.append(Clip(f"noise-{rate}", noise.astype(np.float32), rate, "noise"))
        out.append(Clip(f"silence-{rate}", np.zeros(int(rate * 0.5), np.float32), rate, "silence"))
        loud = np.clip(1.8 * np.sin(2 * np.pi * 220 * t[: rate // 2]), -1, 1)
        out.append(Clip(f"clipped-{rate}", loud.astype(np.float32), rate, "clipped"))
        stereo = np.stack([np.sin(2 * np.pi * 330 * t), 0.5 * rng.normal(0, 0.1, len(t))], axis=1).clip(-1, 1)
        out.append(Clip(f"stereo-{rate}", (0.6 * stereo).astype(np.float32), rate, "tone"))
        out.append(Clip(f"short-{rate}", (0.5 * np.sin(2 * np.pi * 1000 * t[: max(8, rate // 200)])).astype(
            np.float32), rate, "short"))
    out.append(_sox("sox-pink-16000", 16000, 1, ["0.8", "pinknoise", "vol", "0.3"], tmp))
    out.append(_sox("sox-brown-44100", 44100, 1, ["0.6", "brownnoise", "vol", "0.4"], tmp))
    out.append(_sox("sox-pluck-22050", 22050, 2, ["1.2", "pluck", "C3", "pluck", "E3"], tmp))
    return out


def pcm16(x: np.ndarray) -> np.ndarray:
    """x as the 16-bit integers a file holds (scaled by 32767, as encoders do)."""
    return np.round(np.clip(x, -1, 1) * 32767).astype(np.int16)


def as_pcm16(x: np.ndarray) -> np.ndarray:
    """What a decoder gives back for x written as 16-bit integers: each / 32768, in float32."""
    return (pcm16(x) / 32768).astype(np.float32)


def write(clip: Clip, folder: Path, fmt: str) -> Path:
    """clip as a file: wav (16-bit), wav8 (unsigned 8-bit), wav32 (float), flac (16-bit),
    flac24 (24-bit); mp3, ogg (Vorbis), webm (Opus) through ffmpeg, from the 16-bit WAV."""
    import soundfile

    folder.mkdir(parents=True, exist_ok=True)
    if fmt in ("wav", "flac"):
        path = folder / f"{clip.name}.{fmt}"
        soundfile.write(path, pcm16(clip.samples), clip.rate, subtype="PCM_16", format=fmt.upper())
        return path
    if fmt in ("wav8", "flac24"):
        subtype, container = ("PCM_U8", "WAV") if fmt == "wav8" else ("PCM_24", "FLAC")
        path = folder / f"{clip.name}.{fmt}.{container.lower()}"
        soundfile.write(path, clip.samples, clip.rate, subtype=subtype, format=container)
        return path
    if fmt == "wav32":
        path = folder / f"{clip.name}.f32.wav"
        soundfile.write(path, clip.samples, clip.rate, subtype="FLOAT", format="WAV")
        return path
    source = write(clip, folder, "wav")
    codec = {"mp3": ["-c:a", "libmp3lame", "-b:a", "128k"], "ogg": ["-c:a", "libvorbis", "-q:a", "6"],
             "webm": ["-c:a", "libopus", "-b:a", "96k"]}[fmt]
    path = folder / f"{clip.name}.{fmt}"
    subprocess.run(["ffmpeg", "-loglevel", "error", "-y", "-i", str(source), *codec, str(path)], check=True)
    return path
